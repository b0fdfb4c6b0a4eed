import type { VmSpec } from '../vm/types.js';
import type { Remedy } from './plan-types.js';
import type { NodeState, VmState } from './snapshot-types.js';

/**
 * What health says about one existing VM: healthy, unknown (nothing can be decided, so
 * nothing is done), or off its definition — acted on, or only reported. `hung` marks a VM
 * verified unhealthy by its own answers (agent silent past the grace, stuck in prelaunch):
 * only those count against health.max_unhealthy_percent and may ever be recreated.
 */
export type HealthVerdict =
  | { kind: 'healthy' }
  /**
   * A phrase after "VM name (vmid) …": "holds lock 'backup'", "could not be checked: …".
   * `agentOnly`: only the guest could not be checked; the VM's settings can still converge.
   */
  | { kind: 'unknown'; reason: string; agentOnly?: boolean }
  | { kind: 'act'; remedy: Remedy; reason: string; escalation?: 'recreate'; hung: boolean }
  /** Off its definition, but not acted on; `why` says so ("protected, so only reported"). */
  | { kind: 'report'; reason: string; why: string; hung: boolean };

/**
 * Judges a VM's power and guest state against its definition. Never proposes destroying a
 * VM only because it is stopped: stopped → start, paused → resume; a running VM whose guest
 * agent is verified silent past the boot grace is hung → reset, then recreate when
 * remediation says so. Whatever cannot be verified — the node is not online, the config or
 * the agent could not be read for a reason other than a silent agent — is unknown.
 */
export function assessHealth(
  spec: VmSpec,
  vm: VmState,
  bootGraceSeconds: number,
  node?: NodeState,
): HealthVerdict {
  if (node?.status !== 'online') {
    const problem = node?.problem ? ` (${node.problem})` : '';
    return {
      kind: 'unknown',
      reason: `is on node ${vm.node}, which is ${node ? node.status : 'not visible'}${problem}`,
    };
  }
  if (vm.lock) return { kind: 'unknown', reason: `holds lock '${vm.lock}'` };
  const status = vm.qmpstatus && vm.status === 'running' ? vm.qmpstatus : vm.status;
  if (!['running', 'stopped', 'paused', 'prelaunch', 'suspended'].includes(status))
    return { kind: 'unknown', reason: `is in state '${status}'` };
  if (!vm.config) {
    const why = vm.configError ? ` (${vm.configError})` : '';
    return { kind: 'unknown', reason: `has a config that could not be read${why}` };
  }
  if (vm.agent === 'unknown') {
    const reason = `could not be checked: ${vm.agentDetail ?? 'no reason'}`;
    return { kind: 'unknown', reason, agentOnly: true };
  }

  const verdict = judge(spec, vm, status, bootGraceSeconds);
  if (verdict.kind !== 'act') return verdict;
  if (spec.protected) return { ...report(verdict), why: 'protected, so only reported' };
  if (spec.remediation === 'none' && verdict.remedy !== 'stop')
    return { ...report(verdict), why: 'remediation is none, so only reported' };
  // Proxmox's protection flag refuses the destroy a recreate starts with: reset only.
  if (verdict.remedy === 'reset' && spec.remediation === 'recreate' && !vm.config.protection)
    return { ...verdict, escalation: 'recreate' };
  return verdict;
}

const report = (v: Extract<HealthVerdict, { kind: 'act' }>) => ({
  kind: 'report' as const,
  reason: v.reason,
  hung: v.hung,
});

function judge(spec: VmSpec, vm: VmState, status: string, grace: number): HealthVerdict {
  const power = (remedy: Remedy, reason: string): HealthVerdict => ({
    kind: 'act',
    remedy,
    reason,
    hung: false,
  });
  if (spec.state === 'stopped') {
    return status === 'stopped'
      ? { kind: 'healthy' }
      : power('stop', `${status}; definition says stopped`);
  }
  if (status === 'stopped') return power('start', 'stopped; definition says running');
  if (status === 'paused' || status === 'suspended')
    return power('resume', `${status}; definition says running`);
  if (status === 'prelaunch')
    return { kind: 'act', remedy: 'reset', reason: 'stuck in prelaunch', hung: true };
  // The definition wants an agent the config does not enable (yet): nothing to ask.
  if (spec.agent && !vm.config?.agent && vm.uptime >= grace) {
    const reason = 'could not be checked: its config does not enable the guest agent';
    return { kind: 'unknown', reason, agentOnly: true };
  }
  if (spec.agent && vm.agent === 'silent' && vm.uptime >= grace) {
    const why = vm.agentDetail ? ` (${vm.agentDetail})` : '';
    return {
      kind: 'act',
      remedy: 'reset',
      reason: `hung: guest agent silent after ${vm.uptime} s of uptime${why}`,
      hung: true,
    };
  }
  return { kind: 'healthy' };
}
