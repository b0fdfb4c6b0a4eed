import type { VmSpec } from '../vm/types.js';
import type { NodeCapacity, PlanAction } from './plan-types.js';
import type { ClusterSnapshot } from './snapshot-types.js';

const MIB = 2 ** 20;
const runs = (status: string) => status === 'running' || status === 'paused';

/**
 * Memory assigned to running VMs per node, before and after the plan. Stopped VMs do not
 * count: they hold no memory. Pure; preflight checks `memoryAfter` against
 * `memoryTotal × memoryOvercommit` on the nodes a create, replace or migrate lands on.
 */
export function computeCapacity(
  snapshot: ClusterSnapshot,
  actions: PlanAction[],
  specs: Map<string, VmSpec>,
  overcommit: Record<string, number>,
): NodeCapacity[] {
  const rows = new Map<string, NodeCapacity>();
  for (const n of Object.values(snapshot.nodes)) {
    rows.set(n.name, {
      node: n.name,
      status: n.status,
      memoryTotal: Math.round(n.memoryTotal / MIB),
      memoryOvercommit: overcommit[n.name] ?? 1,
      memoryBefore: 0,
      memoryAfter: 0,
      vmsBefore: 0,
      vmsAfter: 0,
    });
  }
  const row = (node: string) => rows.get(node);
  const byId = new Map(snapshot.vms.map((v) => [v.vmid, v]));
  for (const vm of snapshot.vms) {
    const r = row(vm.node);
    if (!r) continue;
    r.vmsBefore++;
    if (runs(vm.status)) r.memoryBefore += Math.round(vm.maxmem / MIB);
  }
  for (const r of rows.values()) {
    r.memoryAfter = r.memoryBefore;
    r.vmsAfter = r.vmsBefore;
  }
  const move = (node: string | undefined, mem: number, vms: number) => {
    const r = node ? row(node) : undefined;
    if (!r) return;
    r.memoryAfter += mem;
    r.vmsAfter += vms;
  };
  for (const a of actions) {
    const spec = specs.get(a.vm);
    const vm = a.vmid !== undefined ? byId.get(a.vmid) : undefined;
    const oldMem = vm && runs(vm.status) ? Math.round(vm.maxmem / MIB) : 0;
    const newMem = spec && spec.state === 'running' ? spec.memory : 0;
    switch (a.kind) {
      case 'create':
        move(spec?.node, newMem, 1);
        break;
      case 'replace':
        move(vm?.node, -oldMem, -1);
        move(spec?.node, newMem, 1);
        break;
      case 'delete':
        move(vm?.node, -oldMem, -1);
        break;
      case 'migrate':
        move(a.from, -oldMem, -1);
        move(a.to, oldMem, 1);
        break;
      case 'update': {
        const mem = a.changes?.find((c) => c.field === 'memory');
        if (mem && oldMem) move(a.node, Number(mem.to) - Number(mem.from), 0);
        break;
      }
      case 'remediate':
        if (a.remedy === 'start') move(a.node, vm ? Math.round(vm.maxmem / MIB) : newMem, 0);
        if (a.remedy === 'stop') move(a.node, -oldMem, 0);
        break;
      default:
        break;
    }
  }
  return [...rows.values()].sort((a, b) => a.node.localeCompare(b.node));
}
