import { escapeMarkdown, inlineCode, mermaidLabel } from '../text/markdown.js';
import type { VmSpec } from '../vm/types.js';
import { destructiveActions, healthProblems } from './destructive.js';
import type { ActionKind, Plan, PlanAction } from './plan-types.js';
import { topologyMarkdown } from './render-topology.js';

/** GitHub's limit on a PR or issue comment body. */
export const COMMENT_LIMIT = 65_536;

export interface RenderOptions {
  /** Characters at most; the rest is cut with a pointer to the full plan. Default 65,536. */
  maxChars?: number;
  /** Where the full plan is, for the truncation note. */
  fullPlanHint?: string;
  /** Heading text. */
  title?: string;
  /** The repository's VMs: with them, a topology diagram (nodes, VMs, k3s joins) is drawn. */
  vms?: readonly VmSpec[];
}

const TITLES: Record<ActionKind, string> = {
  create: 'Create',
  replace: 'Replace',
  update: 'Update in place',
  resize: 'Grow disks',
  migrate: 'Migrate',
  remediate: 'Remediate',
  delete: 'Delete',
  noop: 'Unchanged',
};
const ORDER: ActionKind[] = [
  'create',
  'replace',
  'update',
  'resize',
  'migrate',
  'remediate',
  'delete',
];

const cell = (v: string | number | boolean | null | undefined) =>
  v === null || v === undefined || v === '' ? '–' : escapeMarkdown(String(v));

/** One line: what the plan does, e.g. `2 to create, 1 to update, 12 unchanged`. */
export function summaryLine(plan: Plan): string {
  const parts = ORDER.filter((k) => plan.summary[k] > 0).map((k) => `${plan.summary[k]} to ${k}`);
  const head = parts.length ? parts.join(', ') : 'No changes';
  const tail = [`${plan.summary.noop} unchanged`];
  if (plan.errors.length)
    tail.push(`${plan.errors.length} error${plan.errors.length > 1 ? 's' : ''}`);
  return `${head}; ${tail.join(', ')}.`;
}

function rowFor(a: PlanAction): string[] {
  const vmid = a.vmid ?? 'new';
  switch (a.kind) {
    case 'update':
      return [
        a.vm,
        a.node,
        String(vmid),
        (a.changes ?? []).map((c) => c.field).join(', '),
        a.pendingReboot ? 'pending reboot' : 'now',
      ];
    case 'resize':
      return [
        a.vm,
        a.node,
        String(vmid),
        (a.disks ?? []).map((d) => `${d.slot} ${d.from} → ${d.to}`).join(', '),
        '',
      ];
    case 'migrate':
      return [a.vm, `${a.from} → ${a.to}`, String(vmid), a.online ? 'online' : 'offline', a.reason];
    case 'remediate':
      return [
        a.vm,
        a.node,
        String(vmid),
        a.remedy + (a.escalation ? `, then ${a.escalation} if still hung` : ''),
        a.reason,
      ];
    default:
      return [a.vm, a.node, String(vmid), a.reason, ''];
  }
}

const HEADERS: Partial<Record<ActionKind, string[]>> = {
  update: ['VM', 'Node', 'VMID', 'Settings', 'Takes effect'],
  resize: ['VM', 'Node', 'VMID', 'Disks', ''],
  migrate: ['VM', 'Node', 'VMID', 'Mode', 'Reason'],
  remediate: ['VM', 'Node', 'VMID', 'Remedy', 'Reason'],
};

function table(headers: string[], rows: string[][]): string {
  const keep = headers.map((h, i) => h !== '' || rows.some((r) => r[i]));
  const pick = <T>(xs: T[]) => xs.filter((_, i) => keep[i]);
  const lines = [
    `| ${pick(headers).join(' | ')} |`,
    `|${pick(headers)
      .map(() => '---')
      .join('|')}|`,
  ];
  for (const r of rows) lines.push(`| ${pick(r).map(cell).join(' | ')} |`);
  return lines.join('\n');
}

function diffDetails(a: PlanAction): string {
  const rows = (a.changes ?? []).map((c) =>
    [c.field, c.from, c.to, c.mode === 'hot' ? 'now' : 'at reboot', c.note ?? ''].map((v) =>
      v === null ? '' : String(v),
    ),
  );
  return [
    `<details><summary>${escapeMarkdown(a.vm)}: ${rows.length} setting${rows.length === 1 ? '' : 's'}</summary>`,
    '',
    table(['Setting', 'From', 'To', 'Takes effect', 'Note'], rows),
    '',
    '</details>',
  ].join('\n');
}

/** Mermaid bar chart of memory per node, before and after the plan. */
export function memoryChart(plan: Plan): string {
  if (!plan.capacity.length) return '';
  const names = plan.capacity.map((c) => `"${mermaidLabel(c.node)}"`).join(', ');
  const before = plan.capacity.map((c) => c.memoryBefore).join(', ');
  const after = plan.capacity.map((c) => c.memoryAfter).join(', ');
  const limits = plan.capacity
    .map((c) => Math.floor(c.memoryTotal * c.memoryOvercommit))
    .join(', ');
  return [
    '```mermaid',
    'xychart-beta',
    '  title "Memory of running VMs per node (MiB): before, after, limit"',
    `  x-axis [${names}]`,
    '  y-axis "MiB"',
    `  bar [${before}]`,
    `  bar [${after}]`,
    `  line [${limits}]`,
    '```',
  ].join('\n');
}

/**
 * The plan as Markdown for a PR comment or job summary: a one-line summary, one table per
 * action, collapsible diffs, findings and a memory chart. Pure. Cut at `maxChars` with a
 * pointer to the full plan; never longer.
 */
export function renderPlanMarkdown(plan: Plan, options: RenderOptions = {}): string {
  const max = options.maxChars ?? COMMENT_LIMIT;
  const hint = options.fullPlanHint ?? 'the job summary and the plan artifact (plan.json)';
  const blocks: string[] = [`## ${options.title ?? 'pve-gitops plan'}`, `**${summaryLine(plan)}**`];
  // First after the summary: nothing that destroys a VM may hide further down a long plan.
  const destructive = destructiveActions(plan);
  if (destructive.length) {
    const rows = destructive.map((d) => [d.vm, d.node, String(d.vmid ?? 'new'), d.what, d.reason]);
    blocks.push(
      `### :warning: Destructive actions (${destructive.length})\n\n` +
        table(['VM', 'Node', 'VMID', 'What happens', 'Reason'], rows),
    );
  }
  if (plan.errors.length) {
    blocks.push(
      ['### Errors', '', ...plan.errors.map((e) => `- :x: ${escapeMarkdown(e.message)}`)].join(
        '\n',
      ),
    );
  }
  if (plan.newHosts.length) {
    blocks.push(
      `New hosts (to provision): ` +
        `${plan.newHosts.map((h) => `${inlineCode(h.name)}${h.ip ? ` (${escapeMarkdown(h.ip)})` : ''}`).join(', ')}`,
    );
  }
  for (const kind of ORDER) {
    const acts = plan.actions.filter((a) => a.kind === kind);
    if (!acts.length) continue;
    const headers = HEADERS[kind] ?? ['VM', 'Node', 'VMID', 'Reason', ''];
    blocks.push(`### ${TITLES[kind]} (${acts.length})\n\n${table(headers, acts.map(rowFor))}`);
    if (kind === 'update') for (const a of acts) blocks.push(diffDetails(a));
  }
  const problems = healthProblems(plan);
  if (problems.length) {
    const rows = problems.map((h) => [
      h.vm,
      h.node,
      String(h.vmid),
      h.status,
      [h.reason, h.held].filter(Boolean).join('; '),
    ]);
    const note =
      problems.some((h) => h.status === 'unknown') &&
      '\n\nHealth _unknown_ means nothing could be verified: such a VM is never remediated.';
    blocks.push(
      `### Health (${problems.length} of ${plan.health.length} not healthy)\n\n` +
        table(['VM', 'Node', 'VMID', 'Health', 'Why'], rows) +
        (note || ''),
    );
  }
  if (plan.findings.length) {
    blocks.push(
      [
        '### Notes',
        '',
        ...plan.findings.map(
          (f) => `- ${f.level === 'warning' ? ':warning: ' : ''}${escapeMarkdown(f.message)}`,
        ),
      ].join('\n'),
    );
  }
  if (plan.capacity.length) {
    const rows = plan.capacity.map((c) => [
      c.node,
      c.status,
      `${c.memoryBefore}`,
      `${c.memoryAfter}`,
      `${Math.floor(c.memoryTotal * c.memoryOvercommit)}`,
      `${c.vmsBefore} → ${c.vmsAfter}`,
    ]);
    blocks.push(
      `### Capacity\n\n` +
        `${table(['Node', 'Status', 'Memory before (MiB)', 'After', 'Limit', 'VMs'], rows)}\n\n` +
        memoryChart(plan),
    );
  }
  if (options.vms && plan.actions.length) blocks.push(topologyMarkdown(plan, options.vms));
  return fit(
    blocks,
    max,
    `\n\n_Plan truncated to fit ${max.toLocaleString('en-US')} characters: see ${hint} ` +
      `for the full plan._`,
  );
}

/** Joins blocks, dropping the tail (and cutting the last block) when over `max`. */
export function fit(blocks: string[], max: number, note: string): string {
  const all = blocks.join('\n\n');
  if (all.length <= max) return all;
  const budget = max - note.length;
  let out = '';
  for (const b of blocks) {
    const next = out ? `${out}\n\n${b}` : b;
    if (next.length > budget) {
      // Keep whole lines of the block that overflows, when any fit.
      const room = budget - out.length - 2;
      const lines = b.split('\n');
      let part = '';
      for (const l of lines) {
        if ((part ? part.length + 1 : 0) + l.length > room) break;
        part = part ? `${part}\n${l}` : l;
      }
      // An open <details> or code fence would swallow the note.
      if (part && !/<details>|```/.test(part)) out = out ? `${out}\n\n${part}` : part;
      break;
    }
    out = next;
  }
  return `${out}${note}`.slice(0, max);
}
