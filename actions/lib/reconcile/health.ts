import type { VmSpec } from '../vm/types.js';
import type { Remedy } from './plan-types.js';
import type { VmState } from './snapshot-types.js';

/** What health says about one existing VM. */
export type HealthVerdict =
  | { kind: 'healthy' }
  /** Nothing can be decided now (lock held, unknown state): skip the VM this run. */
  | { kind: 'skip'; reason: string }
  | { kind: 'act'; remedy: Remedy; reason: string; escalation?: 'recreate' }
  /** Unhealthy, but the definition forbids acting (protected, remediation: none). */
  | { kind: 'report'; reason: string };

/**
 * Judges a VM's power and guest state against its definition. Never proposes destroying a
 * VM only because it is stopped: stopped → start, paused → resume; a running VM whose guest
 * agent stays silent past the boot grace is hung → reset, then recreate when remediation
 * says so.
 */
export function assessHealth(spec: VmSpec, vm: VmState, bootGraceSeconds: number): HealthVerdict {
  if (vm.lock)
    return {
      kind: 'skip',
      reason: `VM ${spec.name} (${vm.vmid}) holds lock '${vm.lock}'; skipped this run`,
    };
  const status = vm.qmpstatus && vm.status === 'running' ? vm.qmpstatus : vm.status;
  if (!['running', 'stopped', 'paused', 'prelaunch', 'suspended'].includes(status)) {
    return {
      kind: 'skip',
      reason: `VM ${spec.name} (${vm.vmid}) is in state '${status}'; skipped this run`,
    };
  }
  const verdict = judge(spec, vm, status, bootGraceSeconds);
  if (verdict.kind !== 'act') return verdict;
  if (spec.protected)
    return { kind: 'report', reason: `${verdict.reason}; protected, so only reported` };
  if (spec.remediation === 'none' && verdict.remedy !== 'stop') {
    return { kind: 'report', reason: `${verdict.reason}; remediation is none, so only reported` };
  }
  if (verdict.remedy === 'reset' && spec.remediation === 'recreate')
    return { ...verdict, escalation: 'recreate' };
  return verdict;
}

function judge(spec: VmSpec, vm: VmState, status: string, grace: number): HealthVerdict {
  if (spec.state === 'stopped') {
    return status === 'stopped'
      ? { kind: 'healthy' }
      : { kind: 'act', remedy: 'stop', reason: `${status}; definition says stopped` };
  }
  if (status === 'stopped')
    return { kind: 'act', remedy: 'start', reason: 'stopped; definition says running' };
  if (status === 'paused' || status === 'suspended')
    return { kind: 'act', remedy: 'resume', reason: `${status}; definition says running` };
  if (status === 'prelaunch') return { kind: 'act', remedy: 'reset', reason: 'stuck in prelaunch' };
  const agentConfigured = spec.agent && (vm.config?.agent ?? true);
  if (agentConfigured && vm.agent === 'silent' && vm.uptime >= grace) {
    const why = vm.agentDetail ? ` (${vm.agentDetail})` : '';
    return {
      kind: 'act',
      remedy: 'reset',
      reason: `hung: guest agent silent after ${vm.uptime} s of uptime${why}`,
    };
  }
  return { kind: 'healthy' };
}
