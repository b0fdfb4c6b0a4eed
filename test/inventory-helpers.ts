import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { RepoConfig } from '../actions/lib/config/types.js';

/** A VmSpec with defaults, for tests. */
export { spec as vm } from '../actions/lib/vm/spec.test-helpers.js';

/** The parts of RepoConfig the inventory reads, with the documented defaults. */
export function inventoryConfig(
  inventory: Partial<RepoConfig['inventory']> = {},
): Pick<RepoConfig, 'inventory' | 'k3s'> {
  return {
    inventory: { groups: [], vars: {}, static_hosts: [], ...inventory },
    k3s: { installer_url: 'https://get.k3s.io', version: 'v1.31.4+k3s1' },
  };
}

interface AnsibleList {
  _meta: { hostvars: Record<string, Record<string, unknown>> };
  [group: string]: { hosts?: string[]; children?: string[] } | AnsibleList['_meta'];
}

/** Parses an inventory file with the real `ansible-inventory --list`. */
export async function ansibleInventory(file: string): Promise<{
  groups: Record<string, string[]>;
  hostvars: Record<string, Record<string, unknown>>;
}> {
  const { stdout } = await promisify(execFile)('ansible-inventory', ['-i', file, '--list'], {
    env: {
      ...process.env,
      ANSIBLE_INVENTORY_UNPARSED_FAILED: 'true',
      ANSIBLE_INVENTORY_ENABLED: 'ini',
    },
  });
  const list = JSON.parse(stdout) as AnsibleList;
  const groups: Record<string, string[]> = {};
  for (const [g, v] of Object.entries(list)) {
    if (g === '_meta') continue;
    const hosts = (v as { hosts?: string[] }).hosts;
    if (hosts) groups[g] = [...hosts].sort();
  }
  return { groups, hostvars: list._meta.hostvars };
}
