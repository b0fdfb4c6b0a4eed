// Plain inputs for the pure reconcile tests: a VmSpec and a snapshot built by hand.
import type { VmSpec } from '../vm/types.js';
import { spec } from '../vm/spec.test-helpers.js';
import type { ClusterSnapshot, NodeState, VmState } from './snapshot-types.js';
import { composeDescription } from './description.js';

export { spec };

const GIB = 2 ** 30;

export function node(name: string, over: Partial<NodeState> = {}): NodeState {
  return {
    name,
    status: 'online',
    cpus: 16,
    memoryTotal: 64 * GIB,
    memoryUsed: 4 * GIB,
    bridges: { vmbr0: { active: true } },
    storages: {
      'local-lvm': {
        id: 'local-lvm',
        content: ['images', 'rootdir'],
        shared: false,
        active: true,
        enabled: true,
        total: 1000 * GIB,
        used: 0,
        avail: 1000 * GIB,
      },
    },
    ...over,
  };
}

/** A VM exactly as pve-gitops would have built it from `s`. */
export function vmOf(s: VmSpec, vmid: number, over: Partial<VmState> = {}): VmState {
  return {
    vmid,
    name: s.name,
    node: s.node,
    status: s.state,
    uptime: 3600,
    tags: [...s.tags],
    maxmem: s.memory * 2 ** 20,
    agent: 'ok',
    config: {
      cores: s.cores,
      sockets: s.sockets,
      memory: s.memory,
      cpu: s.cpuType,
      net0: {
        model: s.network.model,
        mac: 'BC:24:11:00:00:01',
        bridge: s.network.bridge,
        firewall: s.network.firewall,
      },
      disks: s.disks.map((d) => ({
        slot: d.slot,
        storage: d.storage,
        volume: `vm-${vmid}-disk-0`,
        sizeBytes: d.sizeBytes,
        linked: false,
      })),
      ipconfig0: s.ipconfig0,
      nameserver: s.nameserver,
      ciuser: s.ciuser,
      sshkeys: s.sshkeys,
      tags: [...s.tags],
      description: s.description,
      template: s.template,
      fullClone: s.fullClone,
      onboot: s.onboot,
      agent: s.agent,
      protection: false,
      memoryHotplug: false,
    },
    ...over,
  };
}

export function snapshot(
  vms: VmState[] = [],
  nodes: NodeState[] = [node('pve1'), node('pve2')],
): ClusterSnapshot {
  return {
    nodes: Object.fromEntries(nodes.map((n) => [n.name, n])),
    templates: nodes.map((n, i) => ({
      vmid: 9000 + i,
      name: 'ubuntu-24.04-cloudinit',
      node: n.name,
    })),
    vms,
  };
}

export { composeDescription };
