import { formatDiagnostic } from '../../lib/vm/diagnostics.js';
import { loadRepository } from '../../lib/vm/load.js';
import { validationHeadline, validationReport } from '../../lib/vm/report.js';
import type { Command } from '../cli.js';

const command: Command = {
  summary:
    'Checks pve-gitops.yaml and every vms/*.yaml without contacting any server. Exit 0 valid, 1 invalid.',
  usage: 'pve-gitops validate [--json] [--repo DIR]',
  options: {
    json: {
      type: 'boolean',
      description: 'Print the report as JSON on stdout (schemas/validate.schema.json).',
    },
  },
  examples: [
    ['pve-gitops validate', 'Check the repository; each problem names its file and line.'],
    ['pve-gitops validate --repo ../homelab --json', 'The report of another repository, as JSON.'],
  ],
  async run(values, _positionals, ctx) {
    const repo = await loadRepository(ctx.repo);
    const report = validationReport(repo);
    if (values.json) {
      ctx.out(`${JSON.stringify(report, null, 2)}\n`);
    } else {
      for (const d of repo.diagnostics) ctx.log.info(formatDiagnostic(d));
      ctx.out(`${validationHeadline(repo)}\n`);
    }
    return report.valid ? 0 : 1;
  },
};
export default command;
