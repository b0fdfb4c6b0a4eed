import { escapeMarkdown as md, inlineCode } from '../text/markdown.js';
import type { VmSpec } from '../vm/types.js';
import type { ApplyResult } from './apply.js';
import { fit, renderPlanMarkdown } from './render-markdown.js';

/**
 * Job summary of an apply: its outcome, failures, unhealthy VMs it left alone, new hosts, then
 * the plan it applied. Pure.
 */
export function renderApplyMarkdown(
  result: ApplyResult,
  maxChars = 1_000_000,
  vms?: readonly VmSpec[],
): string {
  const blocks = [
    `## pve-gitops apply${result.dryRun ? ' (dry run)' : ''}`,
    `**${md(result.message)}**`,
  ];
  if (result.failed.length) {
    blocks.push(
      [
        '### Failed',
        '',
        '| VM | Error | Rolled back |',
        '|---|---|---|',
        ...result.failed.map(
          (f) =>
            `| ${md(f.vm)} | ${md(f.error)} | ${f.rolledBack ? 'yes' : f.nothingCreated ? 'nothing was created' : 'no'} |`,
        ),
      ].join('\n'),
    );
  }
  if (result.held.length) {
    blocks.push(
      [
        '### Unhealthy, left as they are',
        '',
        '| VM | Why |',
        '|---|---|',
        ...result.held.map((h) => `| ${md(h.vm)} | ${md(h.reason)} |`),
      ].join('\n'),
    );
  }
  if (result.newHosts.length) {
    blocks.push(
      [
        '### New hosts',
        '',
        '| VM | VMID | Node | IP |',
        '|---|---|---|---|',
        ...result.newHosts.map(
          (h) => `| ${md(h.name)} | ${h.vmid} | ${md(h.node)} | ${md(h.ip ?? '–')} |`,
        ),
      ].join('\n'),
    );
  }
  if (result.pendingReboot.length)
    blocks.push(
      `Pending reboot (changed settings apply at next start): ${result.pendingReboot.map(inlineCode).join(', ')}`,
    );
  if (result.done.length) {
    blocks.push(
      [
        '### Done',
        '',
        '| VM | Actions | Seconds |',
        '|---|---|---|',
        ...result.done.map(
          (d) => `| ${md(d.vm)} | ${md(d.actions.join(', '))} | ${d.seconds.toFixed(1)} |`,
        ),
      ].join('\n'),
    );
  }
  blocks.push(
    renderPlanMarkdown(result.plan, {
      title: 'Plan applied',
      maxChars: Math.floor(maxChars / 2),
      vms,
    }).replace(/^## /, '### '),
  );
  return fit(blocks, maxChars, '\n\n_Summary truncated: see the plan artifact for the full plan._');
}
