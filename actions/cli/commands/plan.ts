import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../../lib/errors.js';
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
  options: {
    json: { type: 'boolean' },
    markdown: { type: 'boolean' },
    out: { type: 'string' },
    'allow-deletes': { type: 'string' },
  },
  async run(values, _positionals, ctx) {
    if (values.json && values.markdown)
      throw new UsageError('Choose one of --json and --markdown.');
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
          ? `${renderPlanMarkdown(plan)}\n`
          : renderPlanText(plan);
      code = plan.errors.length ? 1 : plan.hasChanges ? 2 : 0;
    } finally {
      await client.close();
    }
    if (typeof values.out === 'string') {
      await writeFile(path.resolve(values.out), text);
      ctx.log.info(`Plan written to ${values.out}.`);
    } else {
      ctx.out(text);
    }
    return code;
  },
};
export default command;
