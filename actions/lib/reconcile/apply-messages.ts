// The closing sentence of an apply: what happened, in one line.
import type { ApplyResult } from './apply-types.js';
import type { Plan } from './plan-types.js';

/** `Interrupted: 1 of 4 VMs done; stopped part-way: b; not started: c, d; …`. */
export function interruptedMessage(result: ApplyResult, total: number): string {
  const { stopped, notStarted } = result.interrupted!;
  const parts = [`Interrupted: ${result.done.length} of ${total} VMs done`];
  if (stopped.length) parts.push(`stopped part-way: ${stopped.join(', ')}`);
  if (notStarted.length) parts.push(`not started: ${notStarted.join(', ')}`);
  if (result.failed.length) parts.push(`failed: ${result.failed.map((f) => f.vm).join(', ')}`);
  parts.push('run apply again to finish (it completes half-made VMs)');
  return `${parts.join('; ')}.`;
}

/**
 * `1 of 3 VMs failed: bad; rolled back: bad.`, with the VMs never created and what to run for
 * locked leftovers.
 */
export function failureMessage(failed: ApplyResult['failed'], total: number): string {
  const rolled = failed.filter((f) => f.rolledBack).map((f) => f.vm);
  const none = failed.filter((f) => f.nothingCreated).map((f) => f.vm);
  const parts = [`${failed.length} of ${total} VMs failed: ${failed.map((f) => f.vm).join(', ')}`];
  if (rolled.length) parts.push(`rolled back: ${rolled.join(', ')}`);
  if (none.length) parts.push(`nothing was created for ${none.join(', ')}`);
  for (const f of failed) {
    if (f.leftover)
      parts.push(
        `${f.vm} left VM ${f.leftover.vmid} locked on ${f.leftover.node}: run ` +
          `'${f.leftover.run}' there`,
      );
  }
  return `${parts.join('; ')}.`;
}

/** `2 to create, 1 to update` from a plan's summary. */
export function describeCounts(plan: Plan): string {
  const parts = Object.entries(plan.summary)
    .filter(([k, n]) => k !== 'noop' && n > 0)
    .map(([k, n]) => `${n} to ${k}`);
  return parts.join(', ') || 'no changes';
}
