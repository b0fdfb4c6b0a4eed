// What prune does with owned VMs that have no file: keep (prune off, protected, locked, their
// file excluded), or delete — and never more in one run than the user allowed.
import { OWNER_TAG } from '../vm/types.js';
import { isPrunable } from './ownership.js';
import type { PlanOptions } from './plan.js';
import type { Finding, PlanAction, PlanError } from './plan-types.js';
import type { ClusterSnapshot } from './snapshot-types.js';

/**
 * Plans the owned VMs without a file. A VM whose file `exclude` skips is not managed, so it is
 * kept like a VM of another tool (excluded never means absent).
 */
export function planPrune(
  snapshot: ClusterSnapshot,
  desiredNames: Set<string>,
  selected: (name: string) => boolean,
  options: PlanOptions,
  actions: PlanAction[],
  findings: Finding[],
): void {
  const excluded = new Set(options.excluded ?? []);
  const owner = options.ownerTag ?? OWNER_TAG;
  for (const vm of snapshot.vms) {
    if (desiredNames.has(vm.name) || !isPrunable(vm, owner) || !selected(vm.name)) continue;
    if (excluded.has(vm.name)) {
      findings.push({
        level: 'info',
        vm: vm.name,
        node: vm.node,
        message:
          `VM ${vm.name} (${vm.vmid}): its file is excluded by \`exclude\`, so it is not ` +
          `managed and never deleted.`,
      });
    } else if (!options.prune) {
      findings.push({
        level: 'info',
        vm: vm.name,
        node: vm.node,
        message:
          `VM ${vm.name} (${vm.vmid}) is tagged ${owner} but has no file in vms/; ` +
          `prune is off, so it stays.`,
      });
    } else if (vm.config?.protection) {
      findings.push({
        level: 'warning',
        vm: vm.name,
        node: vm.node,
        message:
          `VM ${vm.name} (${vm.vmid}) has no file in vms/ but has Proxmox protection set; ` +
          `not deleted.`,
      });
    } else if (vm.lock) {
      findings.push({
        level: 'warning',
        vm: vm.name,
        node: vm.node,
        message: `VM ${vm.name} (${vm.vmid}) holds lock '${vm.lock}'; not deleted this run.`,
      });
    } else {
      actions.push({
        kind: 'delete',
        vm: vm.name,
        vmid: vm.vmid,
        node: vm.node,
        reason: `tagged ${owner}, no file in vms/, prune enabled`,
      });
    }
  }
}

/** A run deletes at most maxDeletes VMs unless the user confirmed more for this run. */
export function capDeletes(actions: PlanAction[], errors: PlanError[], options: PlanOptions): void {
  const deletes = actions.filter((a) => a.kind === 'delete');
  const cap = Math.max(options.maxDeletes ?? Infinity, options.allowDeletes ?? 0);
  if (deletes.length <= cap) return;
  errors.push({
    message:
      `Prune would delete ${deletes.length} VMs (${deletes.map((a) => a.vm).join(', ')}), ` +
      `more than prune.max_deletes (${options.maxDeletes}) allows in one run; if that is ` +
      `meant, run again with --allow-deletes ${deletes.length} (dispatch input allow-deletes).`,
  });
}
