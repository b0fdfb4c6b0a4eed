import { describe, expect, it } from 'vitest';
import configSchema from '../../../schemas/config.schema.json' with { type: 'json' };
import vmSchema from '../../../schemas/vm.schema.json' with { type: 'json' };
import type { RepoConfig } from '../config/types.js';
import type { VmDefinition, VmDisk, VmK3s, VmNetwork } from './types.js';
import { configValidator, vmValidator } from './validators.js';

type Schema = {
  type?: string;
  properties?: Record<string, Schema>;
  patternProperties?: Record<string, Schema>;
  items?: Schema;
  additionalProperties?: boolean | Schema;
  description?: string;
};

/** Every object schema closed (or a map of typed values) and every property described. */
function audit(schema: Schema, where: string, problems: string[]): void {
  if (schema.type === 'object') {
    if (schema.additionalProperties === undefined || schema.additionalProperties === true)
      problems.push(`${where}: open object`);
    if (typeof schema.additionalProperties === 'object')
      audit(schema.additionalProperties, `${where}.*`, problems);
  }
  for (const [k, s] of Object.entries({ ...schema.properties, ...schema.patternProperties })) {
    if (!s.description) problems.push(`${where}.${k}: no description`);
    audit(s, `${where}.${k}`, problems);
  }
  if (schema.items) {
    if (!schema.items.description) problems.push(`${where}[]: no description`);
    audit(schema.items, `${where}[]`, problems);
  }
}

// `satisfies` makes the compiler fail when types.ts gains or loses a key these lists miss.
const VM_KEYS = Object.keys({
  name: 1,
  target_node: 1,
  vmid: 1,
  cores: 1,
  sockets: 1,
  memory: 1,
  cpu_type: 1,
  clone: 1,
  full_clone: 1,
  onboot: 1,
  agent: 1,
  ipconfig0: 1,
  nameserver: 1,
  ciuser: 1,
  sshkeys: 1,
  network: 1,
  disks: 1,
  tags: 1,
  description: 1,
  state: 1,
  protected: 1,
  remediation: 1,
  playbook: 1,
  k3s: 1,
} satisfies Record<keyof VmDefinition, 1>);
const NETWORK_KEYS = Object.keys({
  bridge: 1,
  model: 1,
  firewall: 1,
  vlan: 1,
  mac: 1,
} satisfies Record<keyof VmNetwork, 1>);
const DISK_KEYS = Object.keys({ size: 1, storage: 1, mount: 1 } satisfies Record<keyof VmDisk, 1>);
const K3S_KEYS = Object.keys({ role: 1, join: 1 } satisfies Record<keyof VmK3s, 1>);
const CONFIG_KEYS = Object.keys({
  defaults: 1,
  nodes: 1,
  bridges: 1,
  storages: 1,
  templates: 1,
  inventory: 1,
  exclude: 1,
  prune: 1,
  concurrency: 1,
  health: 1,
  vault: 1,
  k3s: 1,
  vmid_range: 1,
  owner_id: 1,
} satisfies Record<keyof RepoConfig, 1>);

describe('schemas', () => {
  it('close every object and describe every property', () => {
    const problems: string[] = [];
    audit(vmSchema, 'vm', problems);
    audit(configSchema, 'config', problems);
    expect(problems).toEqual([]);
  });

  it('cover exactly the fields of the TypeScript types', () => {
    const vm = vmSchema as Schema;
    const sorted = (o?: object) => Object.keys(o ?? {}).sort();
    expect(sorted(vm.properties)).toEqual([...VM_KEYS].sort());
    expect(sorted(vm.properties!.network.properties)).toEqual([...NETWORK_KEYS].sort());
    expect(sorted(Object.values(vm.properties!.disks.patternProperties!)[0].properties)).toEqual(
      [...DISK_KEYS].sort(),
    );
    expect(sorted(vm.properties!.k3s.properties)).toEqual([...K3S_KEYS].sort());
    expect(sorted((configSchema as Schema).properties)).toEqual([...CONFIG_KEYS].sort());
  });

  it('accept the Terraform-era forms and the documented disk slots only', () => {
    const v = vmValidator().validate;
    const base = { name: 'a', target_node: 'pve1' };
    for (const agent of [0, 1, true, false]) expect(v({ ...base, agent })).toBe(true);
    expect(v({ ...base, agent: 2 })).toBe(false);
    for (const slot of ['scsi0', 'scsi30', 'virtio15', 'sata5'])
      expect(v({ ...base, disks: { [slot]: { size: '1G' } } })).toBe(true);
    for (const slot of ['scsi31', 'virtio16', 'sata6', 'ide0', 'scsi'])
      expect(v({ ...base, disks: { [slot]: { size: '1G' } } })).toBe(false);
    for (const size of ['32', '0G', '1.5G', '32GB', '32g'])
      expect(v({ ...base, disks: { scsi0: { size } } })).toBe(false);
    expect(v({ ...base, vmid: 99 })).toBe(false);
    expect(v({ ...base, vmid: 999999999 })).toBe(true);
    expect(v({ ...base, k3s: { role: 'agent', join: 'https://10.0.0.1:6443' } })).toBe(true);
    expect(v({ ...base, k3s: { role: 'agent', join: 'http://10.0.0.1:6443' } })).toBe(false);
    expect(configValidator().validate({})).toBe(true);
  });
});
