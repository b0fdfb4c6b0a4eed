import { readFile } from 'node:fs/promises';
import { ConfigurationError } from '../errors.js';
import type { HostAddress } from './render.js';

const NAME = /^[a-z0-9][a-z0-9-]*$/;
const IP = /^[0-9A-Fa-f.:]+$/;

/**
 * Addresses an earlier `k8s.ini` knew, so a DHCP VM keeps its address between runs when no
 * cluster is asked. Commented-out lines are ignored; every address is marked not new.
 */
export function knownAddresses(ini: string): HostAddress[] {
  const out: HostAddress[] = [];
  for (const line of ini.split('\n')) {
    const m = /^([a-z0-9][a-z0-9.-]*)\s+(?:\S+\s+)*?ansible_host=(\S+)/.exec(line);
    if (m) out.push({ name: m[1], ip: m[2], new: false });
  }
  return out;
}

function entry(name: unknown, ip: unknown, isNew: unknown, where: string): HostAddress {
  if (typeof name !== 'string' || !NAME.test(name) || typeof ip !== 'string' || !IP.test(ip)) {
    throw new ConfigurationError(`${where}: expected a VM name and an IP address.`);
  }
  return { name, ip, new: isNew !== false };
}

/**
 * The hosts an apply created or recreated, as the apply step prints them: the
 * `new_hosts.txt` form (`IP,name` per line), a JSON array of `{name, ip | address, new?}`,
 * or the whole `pve-gitops apply --json` output (its `newHosts`).
 * Entries without an address are skipped (they cannot be provisioned) and returned apart.
 */
export function parseHostList(
  text: string,
  source: string,
): { hosts: HostAddress[]; withoutAddress: string[] } {
  const trimmed = text.trim();
  const hosts: HostAddress[] = [];
  const withoutAddress: string[] = [];
  if (!trimmed) return { hosts, withoutAddress };
  if (trimmed.startsWith('[') || trimmed.startsWith('{')) {
    let list: unknown;
    try {
      list = JSON.parse(trimmed);
    } catch {
      throw new ConfigurationError(`${source} is not valid JSON.`);
    }
    // The whole output of `pve-gitops apply --json`: its newHosts list.
    if (list && typeof list === 'object' && !Array.isArray(list)) {
      list = (list as { newHosts?: unknown }).newHosts;
      if (!Array.isArray(list))
        throw new ConfigurationError(`${source} has no newHosts list (pve-gitops apply --json).`);
    }
    if (!Array.isArray(list)) throw new ConfigurationError(`${source} is not a JSON array.`);
    list.forEach((item: unknown, i) => {
      const o = (item ?? {}) as Record<string, unknown>;
      const ip = o.ip ?? o.address;
      if ((ip === undefined || ip === null || ip === '') && typeof o.name === 'string') {
        withoutAddress.push(o.name);
        return;
      }
      hosts.push(entry(o.name, ip, o.new, `${source}[${i}]`));
    });
    return { hosts, withoutAddress };
  }
  trimmed.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const [ip, name, ...rest] = line.split(',');
    if (rest.length) throw new ConfigurationError(`${source}:${i + 1}: expected 'IP,name'.`);
    hosts.push(entry(name, ip, true, `${source}:${i + 1}`));
  });
  return { hosts, withoutAddress };
}

/** Reads and parses a host list file (any form parseHostList takes); `what` names the flag. */
export async function readHostListFile(file: string, what: string): Promise<HostAddress[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new ConfigurationError(`Cannot read the ${what} file ${file}.`);
  }
  return parseHostList(text, file).hosts;
}
