import type { RepoConfig } from '../config/types.js';
import { unicastProblem } from './addresses.js';
import {
  groupNameProblem,
  hostNameProblem,
  inventoryValueProblem,
  variableNameProblem,
} from './ansible-names.js';
import type { Diagnostic } from './diagnostics.js';
import { ipv4ToInt } from './ipconfig.js';
import { vaultSegmentsProblem } from './paths.js';
import { nameserverProblem } from './pve-param-rules.js';
import { showValue } from './show-value.js';
import { positionOf, type PathSegment, type YamlSource } from './yaml-source.js';

/**
 * Every inventory group the configuration names: the name rules' (`fallback` when it sets
 * none, as the renderer does) and the static hosts'.
 */
export function configuredGroups(
  config: RepoConfig,
  fallback: RepoConfig['inventory']['groups'] = [],
): Set<string> {
  const rules = config.inventory.groups.length ? config.inventory.groups : fallback;
  return new Set([
    // The k3s role groups are in every inventory (inventory/groups.ts K3S_ROLE_GROUPS).
    'k3s_server',
    'k3s_agent',
    ...rules.map((g) => g.group),
    ...config.inventory.static_hosts.flatMap((h) => h.groups),
  ]);
}

/**
 * Rules about the values of a schema-valid `pve-gitops.yaml` that later steps write into the
 * Ansible inventory or a Vault URL: every one of them is checked here, with its line, so the
 * inventory, provision and kubeconfig steps never meet a value they must refuse.
 */
export function configRules(
  config: RepoConfig,
  source: YamlSource,
  groupFallback: RepoConfig['inventory']['groups'],
): Diagnostic[] {
  const out: Diagnostic[] = [];
  const data = (source.data ?? {}) as Record<string, unknown>;
  const at = (where: PathSegment[], message: string, what: 'key' | 'value' = 'value') => {
    const { line, col } = positionOf(source, where, what);
    out.push({ file: source.file, line, col, message, severity: 'error' });
  };
  const written = (section: string, key: string) =>
    (data[section] as Record<string, unknown> | undefined)?.[key] !== undefined;

  for (const [k, v] of Object.entries(config.inventory.vars)) {
    const keyWhy = variableNameProblem(k);
    if (keyWhy)
      at(['inventory', 'vars', k], `inventory.vars key ${showValue(k)} ${keyWhy}.`, 'key');
    const why = inventoryValueProblem(String(v));
    if (why) at(['inventory', 'vars', k], `inventory.vars.${k} ${showValue(String(v))} ${why}.`);
  }
  if (written('k3s', 'installer_url')) {
    const why = inventoryValueProblem(config.k3s.installer_url);
    if (why)
      at(
        ['k3s', 'installer_url'],
        `k3s.installer_url ${showValue(config.k3s.installer_url)} ${why}.`,
      );
  }
  config.inventory.groups.forEach((g, i) => {
    const why = groupNameProblem(g.group);
    if (why)
      at(
        ['inventory', 'groups', i, 'group'],
        `inventory.groups[${i}].group ${showValue(g.group)} ${why}.`,
      );
  });

  const groups = configuredGroups(config, groupFallback);
  const hostNames = new Set<string>();
  config.inventory.static_hosts.forEach((h, i) => {
    const base: PathSegment[] = ['inventory', 'static_hosts', i];
    const label = `inventory.static_hosts[${i}]`;
    const nameWhy =
      hostNameProblem(h.name) ??
      (groups.has(h.name)
        ? 'is also the name of an inventory group; a host and a group may not share a name'
        : undefined) ??
      (hostNames.has(h.name) ? 'is listed twice' : undefined);
    if (nameWhy) at([...base, 'name'], `${label}.name ${showValue(h.name)} ${nameWhy}.`);
    hostNames.add(h.name);
    const n = ipv4ToInt(h.ip);
    const ipWhy =
      inventoryValueProblem(h.ip) ??
      (n === undefined ? undefined : unicastProblem(n) && `is ${unicastProblem(n)}`);
    if (ipWhy) at([...base, 'ip'], `${label}.ip ${showValue(h.ip)} ${ipWhy}.`);
    if (h.user !== undefined) {
      const why = inventoryValueProblem(h.user);
      if (why) at([...base, 'user'], `${label}.user ${showValue(h.user)} ${why}.`);
    }
    h.groups.forEach((g, j) => {
      const why = groupNameProblem(g);
      if (why) at([...base, 'groups', j], `${label}.groups[${j}] ${showValue(g)} ${why}.`);
    });
  });

  const ns = config.defaults.nameserver;
  const nsWhy = ns === undefined ? undefined : nameserverProblem(ns);
  if (nsWhy) at(['defaults', 'nameserver'], `defaults.nameserver ${showValue(ns!)} ${nsWhy}.`);
  for (const kind of ['mount', 'path', 'key'] as const) {
    const value = config.vault[kind];
    const why = vaultSegmentsProblem(value, kind);
    if (why) at(['vault', kind], `vault.${kind} ${showValue(value)} ${why}.`);
  }
  return out;
}
