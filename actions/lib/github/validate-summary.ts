import { escapeMarkdown, inlineCode } from '../text/markdown.js';
import { errorsOf, type Diagnostic } from '../vm/diagnostics.js';
import type { Repository } from '../vm/load.js';
import { validationHeadline } from '../vm/report.js';
import type { VmSpec } from '../vm/types.js';

/** GitHub refuses step summaries over 1 MiB; stay well under it. */
export const SUMMARY_MAX_BYTES = 1024 * 1024 - 4096;

/** Text safe inside a Markdown table cell: inert, whatever it holds (see escapeMarkdown). */
export const cell = escapeMarkdown;

function memory(mib: number): string {
  return mib % 1024 === 0 ? `${mib / 1024} GiB` : `${mib} MiB`;
}

function cores(vm: VmSpec): string {
  return vm.sockets > 1 ? `${vm.cores * vm.sockets} (${vm.sockets}×${vm.cores})` : String(vm.cores);
}

function result(problems: Diagnostic[]): string {
  const errors = errorsOf(problems);
  if (!errors.length) return problems.length ? `⚠️ ${cell(problems[0].message)}` : '✅ valid';
  const first = errors[0];
  const more = errors.length > 1 ? ` (+${errors.length - 1} more)` : '';
  return `❌ line ${first.line}: ${cell(first.message)}${more}`;
}

/**
 * The job summary of a validation, as Markdown: a headline and one table row per file (file,
 * VM, node, cores, memory, disks, result). Rows past `maxBytes` are left out with a note.
 */
export function validationSummary(repo: Repository, maxBytes = SUMMARY_MAX_BYTES): string {
  const ok = errorsOf(repo.diagnostics).length === 0;
  const head = [
    '## pve-gitops validate',
    '',
    `${ok ? '✅' : '❌'} ${validationHeadline(repo)}`,
    '',
    '| File | VM | Node | Cores | Memory | Disks | Result |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  const byFile = new Map<string, Diagnostic[]>();
  for (const d of repo.diagnostics) byFile.set(d.file, [...(byFile.get(d.file) ?? []), d]);
  const specs = new Map(repo.vms.map((vm) => [vm.file, vm]));
  const files = [...new Set([...byFile.keys(), ...repo.files])].sort();
  let text = head.join('\n') + '\n';
  let bytes = Buffer.byteLength(text);
  for (let i = 0; i < files.length; i++) {
    const file = files[i];
    const vm = specs.get(file);
    const problems = byFile.get(file) ?? [];
    const name = vm?.name ?? problems.find((d) => d.vm)?.vm ?? '—';
    const row = vm
      ? [
          inlineCode(file),
          cell(vm.name),
          cell(vm.node),
          cores(vm),
          memory(vm.memory),
          cell(vm.disks.map((d) => `${d.slot} ${d.size}`).join(', ') || '—'),
          result(problems),
        ]
      : [inlineCode(file), cell(name), '—', '—', '—', '—', result(problems)];
    const line = `| ${row.join(' | ')} |\n`;
    const note = `\n_${files.length - i} more files not shown (summary size limit); see the annotations or run \`pve-gitops validate\`._\n`;
    if (bytes + Buffer.byteLength(line) + Buffer.byteLength(note) > maxBytes) {
      return text + note;
    }
    text += line;
    bytes += Buffer.byteLength(line);
  }
  return text;
}
