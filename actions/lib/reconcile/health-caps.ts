import type { VmSpec } from '../vm/types.js';
import { assessHealth, type HealthVerdict } from './health.js';
import type { VmHealth } from './plan-types.js';
import type { ClusterSnapshot, VmState } from './snapshot-types.js';

/**
 * Judges every managed VM (a definition and its one owned VM), then applies the cap on hung
 * VMs. Verdicts by VM name, and the sentence saying why hung VMs are held, if they are.
 */
export function assessAll(
  managed: Array<{ spec: VmSpec; vm: VmState }>,
  snapshot: ClusterSnapshot,
  graceSeconds: number,
  maxUnhealthyPercent: number,
): { verdicts: Map<string, HealthVerdict>; remediationHeld?: string } {
  const verdicts = new Map<string, HealthVerdict>();
  for (const { spec, vm } of managed)
    verdicts.set(spec.name, assessHealth(spec, vm, graceSeconds, snapshot.nodes[vm.node]));
  return { verdicts, remediationHeld: holdHungVms(verdicts, maxUnhealthyPercent) };
}

/** A verdict as the plan reports it. */
export function healthEntry(name: string, vm: VmState, v: HealthVerdict): VmHealth {
  const base = { vm: name, vmid: vm.vmid, node: vm.node };
  if (v.kind === 'healthy') return { ...base, status: 'healthy' };
  if (v.kind === 'unknown') return { ...base, status: 'unknown', reason: v.reason };
  const hung = v.hung ? { hung: true } : {};
  if (v.kind === 'act') return { ...base, status: 'unhealthy', reason: v.reason, ...hung };
  return { ...base, status: 'unhealthy', reason: v.reason, held: v.why, ...hung };
}

/**
 * The circuit breaker of Cluster API's MachineHealthCheck (`maxUnhealthy`): when more than
 * `maxPercent` of the managed VMs are hung at once, the cause is most likely shared — a
 * broken template, a network or storage outage — and resetting or recreating them would
 * only multiply the damage. Turns every hung VM's action into a report (in place) and
 * returns the sentence that says why; undefined when within the limit.
 *
 * Only hung VMs count (agent silent past the grace, stuck in prelaunch): starting a stopped
 * VM or resuming a paused one destroys nothing and still happens; unknown VMs are not
 * unhealthy, but they are managed VMs and count in the total. One hung VM shows no pattern,
 * so it never trips the breaker: a repository of one or two VMs still heals.
 */
export function holdHungVms(
  verdicts: Map<string, HealthVerdict>,
  maxPercent: number,
): string | undefined {
  const hung = [...verdicts].filter(([, v]) => (v.kind === 'act' || v.kind === 'report') && v.hung);
  const managed = verdicts.size;
  if (hung.length < 2 || hung.length * 100 <= maxPercent * managed) return undefined;
  const share = Math.round((hung.length * 100) / managed);
  const why = `not remediated: more than health.max_unhealthy_percent (${maxPercent} %) of the managed VMs are hung`;
  for (const [name, v] of hung) {
    if (v.kind === 'act') verdicts.set(name, { kind: 'report', reason: v.reason, why, hung: true });
  }
  return (
    `${hung.length} of ${managed} managed VMs (${share} %) are hung, more than ` +
    `health.max_unhealthy_percent (${maxPercent} %): something shared is likely broken (a ` +
    `template, the network, a storage), so none of them is reset or recreated this run ` +
    `(${hung.map(([n]) => n).join(', ')}); fix the cause, or raise the limit to let apply act.`
  );
}
