import path from 'node:path';
import { UsageError } from '../../lib/errors.js';
import { checkOutputPath, writeOutputFile } from '../../lib/fs/output-file.js';
import { readAndPlan } from '../../lib/reconcile/apply.js';
import { connectFromEnv } from '../../lib/reconcile/connect.js';
import { renderPlanMarkdown } from '../../lib/reconcile/render-markdown.js';
import { renderPlanText } from '../../lib/reconcile/render-text.js';
import { loadValidRepository } from '../../lib/vm/load.js';
import type { Command } from '../cli.js';
import { allowDeletesOf } from './apply.js';

const command: Command = {
  summary: 'Shows what apply would change in the cluster. Exit 0 no changes, 2 changes, 1 error.',
  usage: 'pve-gitops plan [--json | --markdown] [--out FILE] [--allow-deletes N] [--repo DIR]',
  details: 'Reads the cluster with the PROXMOX_* environment, as apply does, and changes nothing.',
  options: {
    json: {
      type: 'boolean',
      description: 'Print the plan as JSON (schemas/plan.schema.json).',
    },
    markdown: {
      type: 'boolean',
      description: 'Print the plan as the Markdown of the pull-request comment.',
    },
    out: {
      type: 'string',
      value: 'FILE',
      description: 'Write the plan to FILE instead of stdout.',
      complete: 'file',
    },
    'allow-deletes': {
      type: 'string',
      value: 'N',
      description:
        'Plan up to N deletions by prune in one run, more than prune.max_deletes allows (as apply will be given).',
    },
  },
  examples: [
    ['pve-gitops plan', 'What apply would change, as text.'],
    ['pve-gitops plan --json --out plan.json', 'The plan for a script or an artifact.'],
  ],
  async run(values, _positionals, ctx) {
    if (values.json && values.markdown)
      throw new UsageError('Choose one of --json and --markdown.');
    const out = typeof values.out === 'string' ? path.resolve(values.out) : undefined;
    // Refused before the cluster is asked anything.
    if (out) await checkOutputPath(out, { what: '--out' });
    const repo = await loadValidRepository(ctx.repo);
    const client = await connectFromEnv(ctx.env, repo.config, ctx.log);
    let text: string;
    let code: number;
    try {
      const { plan } = await readAndPlan(repo, client, ctx.log, {
        allowDeletes: allowDeletesOf(values['allow-deletes']),
      });
      text = values.json
        ? `${JSON.stringify(plan, null, 2)}\n`
        : values.markdown
          ? `${renderPlanMarkdown(plan, { vms: repo.vms })}\n`
          : renderPlanText(plan);
      code = plan.errors.length ? 1 : plan.hasChanges ? 2 : 0;
    } finally {
      await client.close();
    }
    if (out) {
      // The plan holds no secret; it is shared as an artifact.
      await writeOutputFile(out, text, { what: '--out', mode: 0o644 });
      ctx.log.info(`Plan written to ${out}.`);
    } else {
      ctx.out(text);
    }
    return code;
  },
};
export default command;
