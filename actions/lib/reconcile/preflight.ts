import type { VmSpec } from '../vm/types.js';
import { formatSize, staticIpOf } from './parse.js';
import type { Plan, PlanAction } from './plan-types.js';
import type { ClusterSnapshot, StorageState } from './snapshot-types.js';

export interface PreflightFailure {
  vm: string;
  message: string;
}

/**
 * Checks, before anything is touched, that every create, replace and migrate in the plan has
 * what it needs on its target node: node online, bridge up, storage usable with room, memory
 * within the overcommit ratio, template reachable, VMID and static IP free. Pure.
 */
export function preflight(
  planned: Plan,
  desired: VmSpec[],
  snapshot: ClusterSnapshot,
): PreflightFailure[] {
  const failures: PreflightFailure[] = [];
  const specs = new Map(desired.map((s) => [s.name, s]));
  const fail = (vm: string, message: string) => failures.push({ vm, message });
  // Room still free per storage as the plan consumes it; shared storages count once.
  const room = new Map<string, number>();
  const storageKey = (node: string, s: StorageState) => (s.shared ? s.id : `${node}/${s.id}`);
  const landing = new Set<string>();

  for (const a of planned.actions) {
    if (a.kind !== 'create' && a.kind !== 'replace' && a.kind !== 'migrate') continue;
    const spec = specs.get(a.vm);
    if (!spec) continue;
    const target = a.kind === 'migrate' ? a.to! : spec.node;
    const node = snapshot.nodes[target];
    if (!node) {
      fail(a.vm, `VM ${a.vm}: node ${target} is not in the cluster.`);
      continue;
    }
    if (node.status !== 'online') {
      const why = node.problem ? ` (${node.problem.replace(/\.$/, '')})` : '';
      fail(a.vm, `VM ${a.vm}: node ${target} is ${node.status}${why}.`);
      continue;
    }
    landing.add(target);
    const bridge = node.bridges[spec.network.bridge];
    if (!bridge)
      fail(a.vm, `VM ${a.vm}: bridge ${spec.network.bridge} does not exist on node ${target}.`);
    else if (!bridge.active)
      fail(a.vm, `VM ${a.vm}: bridge ${spec.network.bridge} on node ${target} is not active.`);

    for (const disk of disksMoving(a, spec, snapshot)) {
      const st = node.storages[disk.storage];
      const where = `storage ${disk.storage} on node ${target}`;
      if (!st) fail(a.vm, `VM ${a.vm}: ${where} does not exist (disk ${disk.slot}).`);
      else if (!st.enabled) fail(a.vm, `VM ${a.vm}: ${where} is disabled.`);
      else if (!st.active) fail(a.vm, `VM ${a.vm}: ${where} is not active.`);
      else if (!st.content.includes('images'))
        fail(
          a.vm,
          `VM ${a.vm}: ${where} does not hold disk images (content: ` +
            `${st.content.join(',') || 'none'}).`,
        );
      else {
        const key = storageKey(target, st);
        const left = (room.get(key) ?? st.avail) - disk.sizeBytes;
        room.set(key, left);
        if (left < 0) {
          fail(
            a.vm,
            `VM ${a.vm}: ${where} has no room for disk ${disk.slot} ` +
              `(${formatSize(disk.sizeBytes)}; ` +
              `${formatSize(Math.max(0, left + disk.sizeBytes))} left after the VMs before ` +
              `it).`,
          );
        }
      }
    }

    if (a.kind !== 'migrate') {
      checkTemplate(a, spec, snapshot, fail);
      checkIdentity(a, spec, snapshot, desired, fail);
    }
  }

  for (const c of planned.capacity) {
    if (!landing.has(c.node)) continue;
    const limit = Math.floor(c.memoryTotal * c.memoryOvercommit);
    if (c.memoryAfter > limit) {
      const who = planned.actions
        .filter(
          (a) =>
            (a.kind === 'migrate' ? a.to : specs.get(a.vm)?.node) === c.node &&
            ['create', 'replace', 'migrate'].includes(a.kind),
        )
        .map((a) => a.vm);
      fail(
        who[0] ?? c.node,
        `Node ${c.node}: memory for running VMs would reach ${c.memoryAfter} MiB, over ` +
          `its limit of ${limit} MiB (${c.memoryTotal} MiB × overcommit ` +
          `${c.memoryOvercommit}); VMs landing there: ${who.join(', ')}.`,
      );
    }
  }
  return failures;
}

function disksMoving(
  a: PlanAction,
  spec: VmSpec,
  snapshot: ClusterSnapshot,
): Array<{ slot: string; storage: string; sizeBytes: number }> {
  if (a.kind !== 'migrate') return spec.disks;
  const vm = snapshot.vms.find((v) => v.vmid === a.vmid);
  // Disks on shared storage stay where they are; local ones are copied to the target.
  const from = snapshot.nodes[a.from!];
  return (vm?.config?.disks ?? [])
    .filter((d) => !from?.storages[d.storage]?.shared)
    .map((d) => ({ slot: d.slot, storage: d.storage, sizeBytes: d.sizeBytes ?? 0 }));
}

function checkTemplate(
  a: PlanAction,
  spec: VmSpec,
  snapshot: ClusterSnapshot,
  fail: (vm: string, m: string) => void,
) {
  const named = snapshot.templates.filter((t) => t.name === spec.template);
  if (named.length === 0) {
    fail(a.vm, `VM ${a.vm}: template ${spec.template} does not exist in the cluster.`);
    return;
  }
  if (named.some((t) => t.node === spec.node)) return;
  const sharedFrom = named.find((t) => {
    const node = snapshot.nodes[t.node];
    return t.storages?.length && t.storages.every((s) => node?.storages[s]?.shared);
  });
  if (!sharedFrom) {
    fail(
      a.vm,
      `VM ${a.vm}: template ${spec.template} is on ` +
        `${named.map((t) => t.node).join(', ')} with local disks, so it cannot be cloned ` +
        `to node ${spec.node}; copy the template to ${spec.node} or use shared storage.`,
    );
  }
}

function checkIdentity(
  a: PlanAction,
  spec: VmSpec,
  snapshot: ClusterSnapshot,
  desired: VmSpec[],
  fail: (vm: string, m: string) => void,
) {
  if (a.kind === 'create' && spec.vmid !== undefined) {
    const holder =
      snapshot.vms.find((v) => v.vmid === spec.vmid) ??
      snapshot.templates.find((t) => t.vmid === spec.vmid);
    if (holder)
      fail(
        a.vm,
        `VM ${a.vm}: VMID ${spec.vmid} is already used by '${holder.name}' on ${holder.node}.`,
      );
    const twin = desired.find((d) => d !== spec && d.vmid === spec.vmid);
    if (twin) fail(a.vm, `VM ${a.vm}: VMID ${spec.vmid} is also set in ${twin.file}.`);
  }
  if (!spec.staticIp) return;
  const other =
    snapshot.vms.find(
      (v) => v.name !== spec.name && staticIpOf(v.config?.ipconfig0) === spec.staticIp,
    ) ?? snapshot.vms.find((v) => v.name !== spec.name && v.addresses?.includes(spec.staticIp!));
  if (other)
    fail(
      a.vm,
      `VM ${a.vm}: static IP ${spec.staticIp} is already used by VM ${other.name} ` +
        `(${other.vmid}) on ${other.node}.`,
    );
  const twin = desired.find((d) => d !== spec && d.staticIp === spec.staticIp);
  if (twin) fail(a.vm, `VM ${a.vm}: static IP ${spec.staticIp} is also set in ${twin.file}.`);
}
