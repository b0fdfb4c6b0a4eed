import { newHostKeys } from '../../lib/provision/host-keys.js';
import { applyRepository } from '../../lib/reconcile/apply.js';
import { connectFromEnv } from '../../lib/reconcile/connect.js';
import { loadValidRepository } from '../../lib/vm/load.js';
import { UsageError } from '../../lib/errors.js';
import type { Command } from '../cli.js';
import { onInterrupt } from '../interrupt.js';

const list = (v: unknown): string[] =>
  Array.isArray(v) ? v.map(String) : typeof v === 'string' ? [v] : [];

/** How long running tasks may take to finish after SIGINT/SIGTERM before apply exits anyway. */
const STOP_GRACE_MS = 60_000;

/** `--allow-deletes N`: a whole number, 0 when absent. */
export function allowDeletesOf(v: string | boolean | string[] | boolean[] | undefined): number {
  if (v === undefined) return 0;
  if (typeof v !== 'string' || !/^\d{1,6}$/.test(v))
    throw new UsageError(`--allow-deletes takes a whole number of VMs, not '${String(v)}'.`);
  return Number(v);
}

const command: Command = {
  summary:
    'Creates, updates and heals VMs so the cluster matches vms/. Exit 0 done, 1 on any failure.',
  usage:
    'pve-gitops apply [--dry-run] [--only NAME]... [--recreate NAME]... ' +
    '[--reprovision-node NODE] [--prune] [--allow-deletes N] [--json] [--repo DIR]',
  options: {
    'dry-run': { type: 'boolean' },
    only: { type: 'string', multiple: true },
    recreate: { type: 'string', multiple: true },
    'reprovision-node': { type: 'string' },
    prune: { type: 'boolean' },
    'allow-deletes': { type: 'string' },
    json: { type: 'boolean' },
  },
  async run(values, _positionals, ctx) {
    const allowDeletes = allowDeletesOf(values['allow-deletes']);
    const repo = await loadValidRepository(ctx.repo);
    const client = await connectFromEnv(ctx.env, repo.config, ctx.log);
    const stop = onInterrupt(ctx.log, STOP_GRACE_MS);
    try {
      const result = await applyRepository(
        repo,
        { client, log: ctx.log, env: ctx.env },
        {
          dryRun: values['dry-run'] === true,
          only: list(values.only),
          recreate: list(values.recreate),
          reprovisionNode:
            typeof values['reprovision-node'] === 'string' ? values['reprovision-node'] : undefined,
          prune: values.prune === true,
          allowDeletes,
          signal: stop.signal,
        },
      );
      // known_hosts for the new VMs, read through the pinned API; provision --known-hosts takes it.
      const keys = await newHostKeys(client, result.newHosts, ctx.log);
      ctx.out(
        values.json
          ? `${JSON.stringify({ ...result, knownHosts: keys.knownHosts, hostKeysMissing: keys.missing }, null, 2)}\n`
          : `${result.message}\n`,
      );
      if (result.interrupted) return stop.exitCode() ?? 1;
      return result.failed.length ? 1 : 0;
    } finally {
      stop.dispose();
      await client.close();
    }
  },
};
export default command;
