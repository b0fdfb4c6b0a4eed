import type { Plan, PlanAction } from './plan-types.js';
import { destructiveActions } from './destructive.js';
import { summaryLine } from './render-markdown.js';

const SIGN: Record<string, string> = {
  create: '+',
  replace: '±',
  update: '~',
  resize: '~',
  migrate: '→',
  remediate: '!',
  delete: '-',
  noop: '=',
};

/** `cores 1 → 2 (at reboot)` */
function change(c: NonNullable<PlanAction['changes']>[number]): string {
  const at = c.mode === 'reboot' ? ' (at reboot)' : '';
  return `${c.field} ${c.from ?? '–'} → ${c.to ?? '–'}${at}`;
}

function line(a: PlanAction): string {
  const id = a.vmid !== undefined ? ` (${a.vmid})` : '';
  const head = `${SIGN[a.kind]} ${a.kind} ${a.vm}${id}`;
  switch (a.kind) {
    case 'update':
      return `${head} on ${a.node}: ${(a.changes ?? []).map(change).join(', ')}`;
    case 'resize':
      return (
        `${head} on ${a.node}: ` +
        `${(a.disks ?? []).map((d) => `${d.slot} ${d.from} → ${d.to}`).join(', ')}`
      );
    case 'migrate':
      return `${head}: ${a.from} → ${a.to} (${a.online ? 'online' : 'offline'})`;
    case 'remediate':
      return (
        `${head} on ${a.node}: ` +
        `${a.remedy}${a.escalation ? `, then ${a.escalation} if still hung` : ''} — ` +
        `${a.reason}`
      );
    default:
      return `${head} on ${a.node}: ${a.reason}`;
  }
}

/**
 * The plan as plain text for a terminal: what destroys VMs first, then one line per change,
 * notes and errors. Pure.
 */
export function renderPlanText(plan: Plan): string {
  const out: string[] = [];
  const destructive = destructiveActions(plan);
  if (destructive.length) {
    out.push(`DESTRUCTIVE (${destructive.length}):`);
    for (const d of destructive) {
      const id = d.vmid !== undefined ? ` (${d.vmid})` : '';
      out.push(`  ${d.vm}${id} on ${d.node}: ${d.what} — ${d.reason}`);
    }
  }
  out.push(...plan.actions.filter((a) => a.kind !== 'noop').map(line));
  for (const f of plan.findings) out.push(`${f.level}: ${f.message}`);
  for (const e of plan.errors) out.push(`error: ${e.message}`);
  out.push(summaryLine(plan));
  return `${out.join('\n')}\n`;
}
