import { DEFAULT_CONFIG } from '../config/load.js';
import type { RepoConfig } from '../config/types.js';
import { matchesGlob } from '../text/glob.js';
import type { VmSpec } from '../vm/types.js';

/** A name rule of `pve-gitops.yaml`'s `inventory.groups`: first match wins. */
export type GroupRule = RepoConfig['inventory']['groups'][number];

/** The rules used when a repository configures none. */
export const DEFAULT_GROUP_RULES: readonly GroupRule[] = DEFAULT_CONFIG.inventory.groups;

/** Groups derived from `k3s.role`, independent of the name rules. */
export const K3S_ROLE_GROUPS = { server: 'k3s_server', agent: 'k3s_agent' } as const;

/**
 * The group a name rule puts `name` in (first match wins), if any. `*` in a rule matches any
 * run of characters and the whole name must match: `k8s-*` matches every name starting `k8s-`.
 */
export function ruleGroup(rules: readonly GroupRule[], name: string): string | undefined {
  return rules.find((r) => matchesGlob(name, r.match, 'name'))?.group;
}

/** Every group a VM belongs to: its name-rule group and its k3s role group, sorted. */
export function groupsOf(rules: readonly GroupRule[], vm: Pick<VmSpec, 'name' | 'k3s'>): string[] {
  const groups = new Set<string>();
  const byName = ruleGroup(rules, vm.name);
  if (byName) groups.add(byName);
  if (vm.k3s) groups.add(K3S_ROLE_GROUPS[vm.k3s.role]);
  return [...groups].sort();
}
