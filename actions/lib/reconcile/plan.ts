import { OWNER_TAG, type VmSpec } from '../vm/types.js';
import { isOwned as ownedBy } from './ownership.js';
import { computeCapacity } from './capacity.js';
import { diffConfig } from './diff.js';
import { assessAll, healthEntry } from './health-caps.js';
import type { HealthVerdict } from './health.js';
import type {
  ActionKind,
  Finding,
  NewHost,
  Plan,
  PlanAction,
  PlanError,
  VmHealth,
} from './plan-types.js';
import type { ClusterSnapshot, VmState } from './snapshot-types.js';
import { assignVmids, type VmidRange } from './vmid-plan.js';
import { capDeletes, planPrune } from './prune.js';

export interface PlanOptions {
  /** Delete owned VMs that have no file (config prune.enabled or --prune). */
  prune: boolean;
  /** Only plan these VMs (by name); empty or absent = all. */
  only?: string[];
  /** Replace these VMs even when nothing differs. */
  recreate?: string[];
  /** Replace every managed VM on this node (after a node re-install). */
  reprovisionNode?: string;
  /** A running VM whose agent stays silent longer than this is hung. Default 300. */
  bootGraceSeconds?: number;
  /** Memory overcommit ratio per node name; absent = 1.0. */
  memoryOvercommit?: Record<string, number>;
  /** More hung VMs than this share of the managed ones: none is reset or recreated. Default 40. */
  maxUnhealthyPercent?: number;
  /** Where new VMs' ids are derived from their names; absent = ids are allocated at apply. */
  vmidRange?: VmidRange;
  /** Names of VMs whose files `exclude` skips: not managed, so never deleted. */
  excluded?: string[];
  /** Most deletes one run may make (prune.max_deletes); absent = no limit. */
  maxDeletes?: number;
  /** Deletes confirmed for this run (--allow-deletes N); raises maxDeletes to N. */
  allowDeletes?: number;
  /** This repository's owner tag (see ownership.ts); default pve-gitops. */
  ownerTag?: string;
}

/**
 * Compares the desired VMs with a cluster snapshot and returns what apply would do. Pure: no
 * I/O, no clock. Errors (conflicts, shrinks, bad options) are collected in `errors`; apply
 * refuses a plan that has any.
 */
export function plan(desired: VmSpec[], snapshot: ClusterSnapshot, options: PlanOptions): Plan {
  const actions: PlanAction[] = [];
  const findings: Finding[] = [];
  const errors: PlanError[] = [];
  const grace = options.bootGraceSeconds ?? 300;
  const only = new Set(options.only ?? []);
  const recreate = new Set(options.recreate ?? []);
  const selected = (name: string) => only.size === 0 || only.has(name);
  const owner = options.ownerTag ?? OWNER_TAG;
  const isOwned = (vm: VmState) => ownedBy(vm, owner);

  const byName = new Map<string, VmState[]>();
  const byId = new Map<number, { vmid: number; name: string; node: string }>();
  for (const t of snapshot.templates) byId.set(t.vmid, t);
  for (const vm of snapshot.vms) {
    byName.set(vm.name, [...(byName.get(vm.name) ?? []), vm]);
    byId.set(vm.vmid, vm);
  }
  const desiredNames = new Set(desired.map((s) => s.name));
  const templateIds = new Set(snapshot.templates.map((t) => t.vmid));

  // Health of every managed VM first: the cap on hung VMs counts them all, not only --only's.
  const managed = desired.flatMap((spec) => {
    const same = byName.get(spec.name) ?? [];
    return same.length === 1 && isOwned(same[0]) ? [{ spec, vm: same[0] }] : [];
  });
  const { verdicts, remediationHeld } = assessAll(
    managed,
    snapshot,
    grace,
    options.maxUnhealthyPercent ?? 40,
  );
  if (remediationHeld) findings.push({ level: 'warning', message: remediationHeld });
  const health: VmHealth[] = [];

  for (const name of [...only, ...recreate]) {
    if (!desiredNames.has(name) && !(byName.get(name) ?? []).some(isOwned)) {
      errors.push({
        vm: name,
        message:
          `VM ${name} named on the command line has no file in vms/ and no VM tagged ` +
          `${owner}.`,
      });
    }
  }
  if (options.reprovisionNode && !snapshot.nodes[options.reprovisionNode]) {
    errors.push({
      message:
        `--reprovision-node ${options.reprovisionNode}: no such node in the cluster ` +
        `(${Object.keys(snapshot.nodes).sort().join(', ')}).`,
    });
  }

  const planned = options.vmidRange
    ? assignVmids(
        desired.filter((s) => s.vmid === undefined && !byName.has(s.name)).map((s) => s.name),
        snapshot,
        options.vmidRange,
        desired.flatMap((s) => (s.vmid === undefined ? [] : [s.vmid])),
      )
    : new Map<string, number>();

  for (const spec of desired) {
    if (!selected(spec.name)) continue;
    const same = byName.get(spec.name) ?? [];
    const idHolder = spec.vmid !== undefined ? byId.get(spec.vmid) : undefined;
    if (same.length > 1) {
      errors.push({
        vm: spec.name,
        message:
          `VM ${spec.name}: ${same.length} VMs in the cluster carry this name (VMIDs ` +
          `${same.map((v) => v.vmid).join(', ')}); rename or remove all but one.`,
      });
      continue;
    }
    const vm = same[0];
    if (idHolder && idHolder.name !== spec.name) {
      const what = templateIds.has(idHolder.vmid) ? 'template' : 'VM';
      errors.push({
        vm: spec.name,
        message:
          `VM ${spec.name}: VMID ${spec.vmid} is taken by ${what} '${idHolder.name}' on ` +
          `${idHolder.node}; choose another vmid or remove it from ${spec.file}.`,
      });
      continue;
    }
    if (vm && !isOwned(vm) && (vm.lock === 'clone' || vm.lock === 'create')) {
      // Clones are tagged only once their copy finished: an untagged VM locked like this is
      // a clone in progress or the leftover of a killed one. Creating another would duplicate.
      errors.push({
        vm: spec.name,
        message:
          `VM ${spec.name}: VMID ${vm.vmid} on ${vm.node} carries this name and is locked ` +
          `(${vm.lock}), the leftover of a ${vm.lock} that was killed part-way (or one ` +
          `still running); once no task runs for it, remove it with 'qm unlock ${vm.vmid} ` +
          `&& qm destroy ${vm.vmid} --purge' on ${vm.node}.`,
      });
      continue;
    }
    if (vm && !isOwned(vm)) {
      errors.push({
        vm: spec.name,
        message:
          `VM ${spec.name}: a VM with this name (VMID ${vm.vmid} on ${vm.node}) exists but ` +
          `is not tagged ${owner}; pve-gitops will not touch it — rename one of them, ` +
          `or add the tag to adopt it.`,
      });
      continue;
    }
    if (vm && spec.vmid !== undefined && vm.vmid !== spec.vmid) {
      errors.push({
        vm: spec.name,
        message:
          `VM ${spec.name}: exists as VMID ${vm.vmid} but ${spec.file} says vmid ` +
          `${spec.vmid}; a VMID cannot change in place — fix the file or use --recreate.`,
      });
      continue;
    }
    if (!vm) {
      if (spec.vmid === undefined && options.vmidRange && !planned.has(spec.name)) {
        const { min, max } = options.vmidRange;
        errors.push({
          vm: spec.name,
          message:
            `VM ${spec.name}: no free VMID is left in vmid_range ${min}-${max}; widen ` +
            `vmid_range in pve-gitops.yaml or set vmid in ${spec.file}.`,
        });
        continue;
      }
      actions.push({
        kind: 'create',
        vm: spec.name,
        vmid: spec.vmid ?? planned.get(spec.name),
        node: spec.node,
        reason: 'not in the cluster',
      });
      continue;
    }
    if (vm.config?.building && !vm.lock) {
      // Cloned by an apply that never finished (killed, cancelled, its node or link lost):
      // every step is redone from what the VM shows, none twice.
      actions.push({
        kind: 'create',
        vm: spec.name,
        vmid: vm.vmid,
        node: vm.node,
        reason: `half-made by an interrupted apply (VMID ${vm.vmid}); completing it`,
        resume: true,
      });
      continue;
    }
    const verdict = verdicts.get(spec.name) ?? { kind: 'unknown', reason: 'was not assessed' };
    health.push(healthEntry(spec.name, vm, verdict));
    planExisting(
      spec,
      vm,
      {
        health: verdict,
        recreate: recreate.has(spec.name),
        reprovisionNode: options.reprovisionNode,
      },
      actions,
      findings,
      errors,
    );
  }

  planPrune(snapshot, desiredNames, selected, options, actions, findings);
  capDeletes(actions, errors, options);
  return {
    ...finish(desired, snapshot, options, actions, findings, errors),
    health,
    ...(remediationHeld ? { remediationHeld } : {}),
  };
}

interface ExistingContext {
  health: HealthVerdict;
  recreate: boolean;
  reprovisionNode?: string;
}

function planExisting(
  spec: VmSpec,
  vm: VmState,
  ctx: ExistingContext,
  actions: PlanAction[],
  findings: Finding[],
  errors: PlanError[],
): void {
  const base = { vm: spec.name, vmid: vm.vmid, node: vm.node };
  const forced = ctx.recreate
    ? '--recreate'
    : ctx.reprovisionNode === vm.node
      ? `--reprovision-node ${vm.node}`
      : undefined;
  if (forced) {
    if (spec.protected) {
      const message = `VM ${spec.name} is protected; ${forced} will not recreate it.`;
      if (ctx.recreate) errors.push({ vm: spec.name, message });
      else findings.push({ level: 'warning', vm: spec.name, node: vm.node, message });
      return;
    }
    if (vm.lock) {
      errors.push({
        vm: spec.name,
        message: `VM ${spec.name} (${vm.vmid}) holds lock '${vm.lock}'; it cannot be recreated now`,
      });
      return;
    }
    actions.push({
      ...base,
      kind: 'replace',
      node: spec.node,
      from: vm.node,
      reason: `requested by ${forced}`,
    });
    return;
  }

  const health = ctx.health;
  if (health.kind === 'unknown') {
    const head = `VM ${spec.name} (${vm.vmid}) ${health.reason}`;
    // Only the guest could not be checked: settings still converge, nothing is remediated.
    const agentOnly = !!health.agentOnly && !!vm.config;
    findings.push({
      level: 'warning',
      vm: spec.name,
      node: vm.node,
      message: agentOnly
        ? `${head}; health unknown, so it is not remediated.`
        : `${head}; skipped this run (health unknown).`,
    });
    if (!agentOnly) return;
  }
  if (!vm.config) return;
  const diff = diffConfig(spec, vm.config);
  for (const w of diff.warnings)
    findings.push({
      level: 'warning',
      vm: spec.name,
      node: vm.node,
      message: `VM ${spec.name}: ${w}`,
    });
  for (const e of diff.errors) errors.push({ vm: spec.name, message: e });
  if (diff.errors.length) return;

  if (diff.replaceReasons.length) {
    const reason = diff.replaceReasons.join('; ');
    if (spec.protected) {
      findings.push({
        level: 'warning',
        vm: spec.name,
        node: vm.node,
        message: `VM ${spec.name} needs replacing (${reason}) but is protected; left as it is.`,
      });
    } else {
      actions.push({ ...base, kind: 'replace', node: spec.node, from: vm.node, reason });
    }
    return;
  }
  const running = vm.status === 'running';
  let node = vm.node;
  if (spec.node !== vm.node) {
    if (vm.hastate) {
      findings.push({
        level: 'info',
        vm: spec.name,
        node: vm.node,
        message:
          `VM ${spec.name} is HA-managed and runs on ${vm.node}; the definition says ` +
          `${spec.node}. HA decides placement, so nothing is done.`,
      });
    } else {
      actions.push({
        ...base,
        kind: 'migrate',
        from: vm.node,
        to: spec.node,
        online: running,
        reason: `target_node is ${spec.node}`,
      });
      node = spec.node;
    }
  }
  if (diff.changes.length) {
    const pendingReboot = running && diff.changes.some((c) => c.mode === 'reboot');
    actions.push({
      ...base,
      node,
      kind: 'update',
      changes: diff.changes,
      pendingReboot,
      reason: pendingReboot ? 'settings differ; some apply at the next reboot' : 'settings differ',
    });
  }
  if (diff.grow.length) {
    actions.push({ ...base, node, kind: 'resize', disks: diff.grow, reason: 'disks grow' });
  }
  if (health.kind === 'act') {
    actions.push({
      ...base,
      node,
      kind: 'remediate',
      remedy: health.remedy,
      reason: health.reason,
      ...(health.escalation ? { escalation: health.escalation } : {}),
    });
  } else if (health.kind === 'report') {
    findings.push({
      level: 'warning',
      vm: spec.name,
      node: vm.node,
      message: `VM ${spec.name}: ${health.reason}; ${health.why}.`,
    });
  }
  const touched = actions.some((a) => a.vm === spec.name);
  if (!touched) actions.push({ ...base, kind: 'noop', reason: 'matches its definition' });
}

function finish(
  desired: VmSpec[],
  snapshot: ClusterSnapshot,
  options: PlanOptions,
  actions: PlanAction[],
  findings: Finding[],
  errors: PlanError[],
): Omit<Plan, 'health'> {
  const summary = Object.fromEntries(
    (
      [
        'create',
        'update',
        'resize',
        'migrate',
        'remediate',
        'replace',
        'delete',
        'noop',
      ] as ActionKind[]
    ).map((k) => [k, 0]),
  ) as Record<ActionKind, number>;
  for (const a of actions) summary[a.kind]++;
  const specs = new Map(desired.map((s) => [s.name, s]));
  const newHosts: NewHost[] = [];
  for (const a of actions) {
    const spec = specs.get(a.vm);
    const reason =
      a.kind === 'create'
        ? 'create'
        : a.kind === 'replace'
          ? 'replace'
          : a.remedy === 'recreate'
            ? 'recreate'
            : undefined;
    if (!reason || !spec) continue;
    newHosts.push({
      name: a.vm,
      ...(a.vmid !== undefined ? { vmid: a.vmid } : {}),
      node: spec.node,
      ...(spec.staticIp ? { ip: spec.staticIp } : {}),
      reason,
    });
  }
  return {
    schemaVersion: 1,
    summary,
    hasChanges: actions.some((a) => a.kind !== 'noop'),
    actions,
    findings,
    errors,
    capacity: computeCapacity(snapshot, actions, specs, options.memoryOvercommit ?? {}),
    newHosts,
  };
}
