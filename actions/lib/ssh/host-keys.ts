// New VMs' SSH host keys, read through the guest agent over the authenticated, TLS-pinned
// Proxmox API: a trusted channel, so provisioning can check host keys strictly from the first
// connection instead of trusting whatever answers on first use.
import net from 'node:net';
import type { Logger } from '../log.js';
import type { ProxmoxClient } from '../proxmox/client.js';
import { ProxmoxApiError } from '../proxmox/errors.js';
import { keyType, knownHostsName } from './known-hosts.js';
import { Limiter } from '../proxmox/limiter.js';

/** Key files cloud-init writes at first boot, strongest first; ed25519 is the one we wait for. */
export const HOST_KEY_FILES = [
  ['ssh-ed25519', '/etc/ssh/ssh_host_ed25519_key.pub'],
  ['ecdsa-sha2-nistp256', '/etc/ssh/ssh_host_ecdsa_key.pub'],
  ['ssh-rsa', '/etc/ssh/ssh_host_rsa_key.pub'],
] as const;

export interface HostKeyTarget {
  name: string;
  vmid: number;
  node: string;
  /** The address provisioning connects to; a host without one is reported missing. */
  ip?: string;
  /** Its SSH port when not 22: the lines then name `[IP]:port`, as ssh looks them up. */
  port?: number;
}

export interface CollectHostKeysOptions {
  log: Logger;
  /** How long to retry one host while its agent or cloud-init is not ready. Default 60 s. */
  timeoutMs?: number;
  /** Pause between attempts. Default 1 s. */
  intervalMs?: number;
  /** Hosts read at once. Default 4. */
  concurrency?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

export interface HostKeysResult {
  /** known_hosts lines `IP keytype base64`, one per key, newline-terminated (empty when none). */
  knownHosts: string;
  /** Names of hosts whose keys could not be read; provisioning will refuse them. */
  missing: string[];
}

/** `keytype base64` from a .pub file's content, when it really is a key of the expected type. */
export function parsePublicKey(content: string, expected: string): string | undefined {
  const [type, b64] = content.trim().split(/\s+/);
  if (type !== expected || !b64 || !/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) return undefined;
  const blob = Buffer.from(b64, 'base64');
  if (blob.length < 8 || blob.readUInt32BE(0) > blob.length - 4 || keyType(blob) !== type)
    return undefined;
  return `${type} ${b64}`;
}

type Client = Pick<ProxmoxClient, 'agentFileRead'>;

const noSuchFile = (err: unknown) =>
  err instanceof ProxmoxApiError && /No such file|Failed to open file/i.test(err.message);

/** Reads every host key file once; throws what kept the ed25519 key from being read. */
async function readKeys(client: Client, h: HostKeyTarget): Promise<string[]> {
  const keys: string[] = [];
  let first: Error | undefined;
  for (const [type, file] of HOST_KEY_FILES) {
    try {
      const r = await client.agentFileRead(h.node, h.vmid, file);
      const key = parsePublicKey(r.content, type);
      if (key) keys.push(key);
    } catch (err) {
      // The agent not answering yet fails every file alike: no use asking for the others.
      if (!noSuchFile(err)) throw err;
      first ??= err as Error;
    }
  }
  if (!keys.length) throw first ?? new Error('no host key file holds a valid key yet');
  return keys;
}

/**
 * Reads the SSH host public keys of new VMs through the Proxmox guest agent (file-read of
 * /etc/ssh/ssh_host_*_key.pub) and returns them as known_hosts lines. Each host is retried
 * until `timeoutMs` because cloud-init writes the keys during first boot; a host whose keys
 * cannot be read is named in `missing` and logged, never thrown.
 */
export async function collectHostKeys(
  client: Client,
  hosts: readonly HostKeyTarget[],
  o: CollectHostKeysOptions,
): Promise<HostKeysResult> {
  const timeoutMs = o.timeoutMs ?? 60_000;
  const interval = o.intervalMs ?? 1_000;
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = o.now ?? Date.now;
  const limiter = new Limiter(o.concurrency ?? 4);
  const one = async (h: HostKeyTarget): Promise<string[] | undefined> => {
    if (!h.ip || !net.isIP(h.ip)) {
      o.log.warn(`No SSH host key for ${h.name}: it has no IP address to pin the key to.`);
      return undefined;
    }
    const pinned = knownHostsName(h.ip, h.port ?? 22);
    const deadline = now() + timeoutMs;
    for (let attempt = 1; ; attempt++) {
      try {
        const keys = await readKeys(client, h);
        o.log.info(
          `SSH host keys of ${h.name} (${h.ip}): ${keys.map((k) => k.split(' ')[0]).join(', ')}.`,
        );
        return keys.map((k) => `${pinned} ${k}`);
      } catch (err) {
        const reason = err instanceof Error ? err.message : String(err);
        const fatal = err instanceof ProxmoxApiError && [401, 403, 501].includes(err.status);
        if (fatal || now() + interval > deadline) {
          o.log.warn(
            `Could not read the SSH host key of ${h.name} (VM ${h.vmid} on ${h.node}) through the guest agent after ${attempt} attempt(s): ${reason}`,
          );
          return undefined;
        }
        o.log.debug(`Host key of ${h.name} not readable yet: ${reason}`);
        await sleep(interval);
      }
    }
  };
  const results = await Promise.all(hosts.map((h) => limiter.run(() => one(h))));
  const lines = results.flatMap((r) => r ?? []);
  return {
    knownHosts: lines.length ? `${lines.join('\n')}\n` : '',
    missing: hosts.filter((_, i) => !results[i]).map((h) => h.name),
  };
}

/** The host keys of an apply's new hosts, for the apply adapters' `known-hosts` output. */
export async function newHostKeys(
  client: Client,
  newHosts: readonly HostKeyTarget[],
  log: Logger,
): Promise<HostKeysResult> {
  if (!newHosts.length) return { knownHosts: '', missing: [] };
  return log.group("Read the new hosts' SSH host keys through the guest agent", () =>
    collectHostKeys(client, newHosts, { log }),
  );
}
