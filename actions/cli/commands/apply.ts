import { newHostKeys } from '../../lib/ssh/host-keys.js';
import { applyRepository } from '../../lib/reconcile/apply.js';
import { connectFromEnv } from '../../lib/reconcile/connect.js';
import { loadValidRepository } from '../../lib/vm/load.js';
import { UsageError } from '../../lib/errors.js';
import { colorWanted, streamLogger } from '../../lib/log.js';
import { progressFor } from '../../lib/progress.js';
import type { Command } from '../cli.js';
import { onInterrupt } from '../interrupt.js';

const list = (v: unknown): string[] =>
  Array.isArray(v) ? v.map(String) : typeof v === 'string' ? [v] : [];

/** How long running tasks may take to finish after SIGINT/SIGTERM before apply exits anyway. */
const STOP_GRACE_MS = 60_000;

/** `--allow-deletes N`: a whole number, 0 when absent. */
export function allowDeletesOf(v: unknown): number {
  if (v === undefined) return 0;
  if (typeof v !== 'string' || !/^\d{1,6}$/.test(v))
    throw new UsageError(
      `--allow-deletes takes a whole number of VMs, not '${typeof v === 'string' ? v : 'nothing'}'.`,
    );
  return Number(v);
}

const command: Command = {
  summary:
    'Creates, updates and heals VMs so the cluster matches vms/. Exit 0 done, 1 on any failure.',
  usage:
    'pve-gitops apply [--dry-run] [--only NAME]... [--recreate NAME]... ' +
    '[--reprovision-node NODE] [--prune] [--allow-deletes N] [--json] [--repo DIR]',
  details:
    'Reads the cluster (PROXMOX_URL, PROXMOX_TOKEN_ID, PROXMOX_TOKEN_SECRET and PROXMOX_TLS_FINGERPRINT or PROXMOX_CA_FILE), plans, then clones, configures, resizes, starts and heals VMs, a few at a time per node and storage (pve-gitops.yaml concurrency). VMs it cannot decide about are reported, never destroyed. Ctrl-C (SIGINT) or SIGTERM starts nothing new, lets running tasks finish (60 s at most) and exits 130/143 with a summary; a second signal exits at once. Running apply again completes what was interrupted.',
  options: {
    'dry-run': {
      type: 'boolean',
      description: 'Plan and print what would be done; change nothing.',
    },
    only: {
      type: 'string',
      multiple: true,
      value: 'NAME',
      description: 'Act on this VM only; repeat the option for several.',
      default: 'every VM',
      complete: 'vm',
    },
    recreate: {
      type: 'string',
      multiple: true,
      value: 'NAME',
      description: 'Destroy and create this VM again from its file (never a protected VM).',
      complete: 'vm',
    },
    'reprovision-node': {
      type: 'string',
      value: 'NODE',
      description: 'Recreate every VM on this Proxmox node (after a node was reinstalled).',
    },
    prune: {
      type: 'boolean',
      description:
        "Delete VMs this repository owns whose file is gone (also pve-gitops.yaml's prune.enabled).",
    },
    'allow-deletes': {
      type: 'string',
      value: 'N',
      description:
        'Let prune delete up to N VMs in this run, more than prune.max_deletes (default 2) allows.',
    },
    json: {
      type: 'boolean',
      description:
        'Print the result as JSON (new hosts, known_hosts lines, failures) on stdout (schemas/apply.schema.json).',
    },
  },
  examples: [
    ['pve-gitops apply --dry-run', 'Show what apply would do, without touching the cluster.'],
    ['pve-gitops apply --only k8s-observability', 'Create or update one VM.'],
    ['pve-gitops apply --json > result.json', 'Apply and keep the new hosts for provisioning.'],
  ],
  async run(values, _positionals, ctx) {
    const allowDeletes = allowDeletesOf(values['allow-deletes']);
    const repo = await loadValidRepository(ctx.repo);
    // Each VM's steps as they start and end: a live view on a terminal, lines otherwise; log
    // lines are printed above the live view, never through it.
    const progress = progressFor(process.stderr, ctx.env);
    const log = streamLogger((line) => progress.print(line), {
      debug: ctx.debug,
      color: colorWanted(ctx.env),
    });
    const client = await connectFromEnv(ctx.env, repo.config, log);
    const stop = onInterrupt(log, STOP_GRACE_MS);
    try {
      const result = await applyRepository(
        repo,
        { client, log, env: ctx.env, progress },
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
      progress.close();
      const keys = await newHostKeys(client, result.newHosts, log);
      ctx.out(
        values.json
          ? `${JSON.stringify({ ...result, knownHosts: keys.knownHosts, hostKeysMissing: keys.missing }, null, 2)}\n`
          : `${result.message}\n`,
      );
      if (result.interrupted) return stop.exitCode() ?? 1;
      return result.failed.length ? 1 : 0;
    } finally {
      progress.close();
      stop.dispose();
      await client.close();
    }
  },
};
export default command;
