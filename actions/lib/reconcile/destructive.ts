import type { Plan, PlanAction, VmHealth } from './plan-types.js';

/** One action that destroys a VM (or may): what a reviewer must see before anything else. */
export interface DestructiveAction {
  vm: string;
  node: string;
  vmid?: number;
  /** What happens to the VM, in words. */
  what: string;
  reason: string;
}

/**
 * The plan's destructive actions — replace, delete, and a remediation that recreates (at
 * once, or when a reset does not heal the VM) — in the order apply runs them. Pure.
 */
export function destructiveActions(plan: Plan): DestructiveAction[] {
  const out: DestructiveAction[] = [];
  const add = (a: PlanAction, what: string) =>
    out.push({ vm: a.vm, node: a.from ?? a.node, vmid: a.vmid, what, reason: a.reason });
  for (const a of plan.actions.filter((x) => x.kind === 'delete'))
    add(a, 'delete (destroyed with its disks)');
  for (const a of plan.actions.filter((x) => x.kind === 'replace'))
    add(a, 'replace (destroyed with its disks, then created again with the same VMID)');
  for (const a of plan.actions.filter((x) => x.kind === 'remediate')) {
    if (a.remedy === 'recreate') add(a, 'recreate (destroyed with its disks, then created again)');
    else if (a.escalation === 'recreate')
      add(
        a,
        `${a.remedy}, then recreate (destroyed with its disks) if still hung, within ` +
          `health.max_recreate per run`,
      );
  }
  return out;
}

/** The health entries a reader must see: unknown and unhealthy, unknown first. */
export function healthProblems(plan: Plan): VmHealth[] {
  const rank = { unknown: 0, unhealthy: 1, healthy: 2 };
  return plan.health
    .filter((h) => h.status !== 'healthy')
    .sort((a, b) => rank[a.status] - rank[b.status] || a.vm.localeCompare(b.vm));
}
