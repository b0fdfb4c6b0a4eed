// A VmSpec built by hand, with the documented defaults: for the pure tests of every step.
import type { VmSpec } from './types.js';

const GIB = 2 ** 30;

/** A VmSpec named `name`, defaults as pve-gitops.yaml gives them, overridden by `over`. */
export function spec(name: string, over: Partial<VmSpec> = {}): VmSpec {
  return {
    name,
    file: `vms/${name}.yaml`,
    node: 'pve1',
    cores: 2,
    sockets: 1,
    memory: 2048,
    cpuType: 'host',
    template: 'ubuntu-24.04-cloudinit',
    fullClone: true,
    onboot: true,
    agent: true,
    ciuser: 'ubuntu',
    network: { bridge: 'vmbr0', model: 'virtio', firewall: false },
    disks: [{ slot: 'scsi0', size: '32G', sizeBytes: 32 * GIB, storage: 'local-lvm' }],
    tags: ['pve-gitops'],
    state: 'running',
    protected: false,
    remediation: 'recreate',
    ...over,
  };
}
