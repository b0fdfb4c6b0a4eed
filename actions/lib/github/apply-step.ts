import * as core from '@actions/core';
import { PveGitopsError } from '../errors.js';
import type { Logger } from '../log.js';
import { LineProgress } from '../progress.js';
import { newHostKeys, type HostKeysResult } from '../ssh/host-keys.js';
import { applyRepository, type ApplyResult } from '../reconcile/apply.js';
import { connectFromEnv } from '../reconcile/connect.js';
import { renderApplyMarkdown } from '../reconcile/render-apply.js';
import { loadValidRepository } from '../vm/load.js';
import { writePlanOutputs } from './plan-step.js';
import { writeJobSummary } from './pr-comment.js';
import { getReconcileInputs, type ReconcileInputs } from './reconcile-inputs.js';

/**
 * The apply action: applies the plan, writes outputs `has-changes`, `plan-json` and
 * `new-hosts` (JSON `[{name, vmid, node, ip, new: true}]`), `known-hosts` (the new hosts' SSH
 * host keys read through the guest agent, `IP keytype base64` lines) and a job summary, then fails the
 * step when any VM failed.
 */
export async function applyStep(
  log: Logger,
  inputs: ReconcileInputs = getReconcileInputs(),
): Promise<ApplyResult> {
  const repo = await loadValidRepository(inputs.repoDir);
  const client = await connectFromEnv(inputs.env, repo.config, log);
  let result: ApplyResult;
  let keys: HostKeysResult;
  try {
    result = await applyRepository(
      repo,
      // One timestamped line per step start and end, in the step's log.
      { client, log, env: inputs.env, progress: new LineProgress((t) => log.info(t.trimEnd())) },
      {
        dryRun: inputs.dryRun,
        only: inputs.only,
        recreate: inputs.recreate,
        prune: inputs.prune,
        allowDeletes: inputs.allowDeletes,
      },
    );
    keys = await newHostKeys(client, result.newHosts, log);
  } finally {
    await client.close();
  }
  try {
    await writePlanOutputs(result.plan);
    core.setOutput('new-hosts', JSON.stringify(result.newHosts));
    core.setOutput('known-hosts', keys.knownHosts);
  } finally {
    await writeJobSummary(renderApplyMarkdown(result, undefined, repo.vms));
  }
  if (result.failed.length) throw new PveGitopsError(result.message);
  // Unhealthy VMs left alone do not fail the step (the VMs it made still get provisioned),
  // but the sentence saying why becomes a warning annotation.
  if (result.held.length) log.warn(result.message);
  else log.info(result.message);
  return result;
}
