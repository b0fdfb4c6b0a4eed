import * as core from '@actions/core';
import * as github from '@actions/github';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigurationError, describeError } from '../errors.js';
import { writeOutputFile } from '../fs/output-file.js';
import type { Logger } from '../log.js';
import { readAndPlan } from '../reconcile/apply.js';
import { connectFromEnv } from '../reconcile/connect.js';
import type { Plan } from '../reconcile/plan-types.js';
import { COMMENT_LIMIT, renderPlanMarkdown } from '../reconcile/render-markdown.js';
import { loadValidRepository } from '../vm/load.js';
import type { VmSpec } from '../vm/types.js';
import { PLAN_MARKER, SUMMARY_LIMIT, upsertStickyComment, writeJobSummary } from './pr-comment.js';
import { getReconcileInputs, type ReconcileInputs } from './reconcile-inputs.js';

/** The pull request number of the triggering event, if any. */
async function pullRequestNumber(env: NodeJS.ProcessEnv): Promise<number | undefined> {
  if (!env.GITHUB_EVENT_PATH) return undefined;
  try {
    const event = JSON.parse(await readFile(env.GITHUB_EVENT_PATH, 'utf8')) as {
      pull_request?: { number?: number };
    };
    return event.pull_request?.number;
  } catch {
    return undefined;
  }
}

const PLAN_FILE = 'pve-gitops-plan.json';
const PLAN_MARKDOWN_FILE = 'pve-gitops-plan.md';

/** Writes the plan outputs shared by plan and apply, and the plan file for the artifact. */
export async function writePlanOutputs(plan: Plan): Promise<string> {
  const json = JSON.stringify(plan);
  core.setOutput('has-changes', String(plan.hasChanges));
  core.setOutput('plan-json', json);
  const file = path.join(process.env.RUNNER_TEMP ?? process.cwd(), PLAN_FILE);
  await writeOutputFile(file, `${JSON.stringify(plan, null, 2)}\n`, { mode: 0o644 });
  core.setOutput('plan-file', file);
  return file;
}

/**
 * The plan as the sticky comment and as the job summary. The comment points at the summary
 * for the full plan, so the summary gets its own, far larger, budget; the comment's leaves
 * room for the marker line, so GitHub's cut never removes the pointer.
 */
export function planMarkdowns(
  plan: Plan,
  notes = '',
  vms?: readonly VmSpec[],
): { comment: string; summary: string } {
  // Findings of earlier checks (a bad [ansible …] tag) lead the comment, cut to a fixed budget.
  const lead = notes.trim() ? `> [!WARNING]\n> ${notes.trim().slice(0, 2000)}\n\n` : '';
  return {
    comment:
      lead +
      renderPlanMarkdown(plan, {
        maxChars: COMMENT_LIMIT - PLAN_MARKER.length - 1 - lead.length,
        fullPlanHint: `the job summary and the plan artifact (${PLAN_FILE})`,
        vms,
      }),
    // Characters, not bytes: four bytes each at worst keeps it under the byte limit.
    summary:
      lead +
      renderPlanMarkdown(plan, {
        maxChars: Math.floor(SUMMARY_LIMIT / 4) - lead.length,
        fullPlanHint: `the plan artifact (${PLAN_FILE})`,
        vms,
      }),
  };
}

/**
 * The plan action: plan JSON and Markdown, job summary, sticky PR comment (a comment failure,
 * e.g. a fork's read-only token, is a warning). Fails on plan errors after writing them.
 */
export async function planStep(
  log: Logger,
  inputs: ReconcileInputs = getReconcileInputs(),
): Promise<Plan> {
  const repo = await loadValidRepository(inputs.repoDir);
  const client = await connectFromEnv(inputs.env, repo.config, log);
  let plan: Plan;
  try {
    plan = (
      await log.group('Read the cluster and plan', () =>
        readAndPlan(repo, client, log, {
          only: inputs.only,
          recreate: inputs.recreate,
          prune: inputs.prune,
        }),
      )
    ).plan;
  } finally {
    await client.close();
  }
  const markdown = planMarkdowns(plan, core.getInput('notes').replace(/\s*\n\s*/g, ' '), repo.vms);
  try {
    await writePlanOutputs(plan);
    // The comment-sized Markdown, for bodies under GitHub's 65,536 characters (drift issue).
    const mdFile = path.join(process.env.RUNNER_TEMP ?? process.cwd(), PLAN_MARKDOWN_FILE);
    await writeOutputFile(mdFile, `${markdown.comment}\n`, { mode: 0o644 });
    core.setOutput('plan-markdown-file', mdFile);
    core.setOutput('new-hosts', JSON.stringify(plan.newHosts));
    const pr = await pullRequestNumber(process.env);
    if (inputs.comment && pr && inputs.githubToken) {
      try {
        const { owner, repo: name } = github.context.repo;
        const r = await upsertStickyComment(
          github.getOctokit(inputs.githubToken),
          { owner, repo: name, issueNumber: pr },
          markdown.comment,
        );
        log.info(`Plan comment ${r.action} on pull request #${pr}.`);
      } catch (err) {
        log.warn(`Could not post the plan comment on pull request #${pr}: ${describeError(err)}`);
      }
    }
  } finally {
    await writeJobSummary(markdown.summary);
  }
  for (const e of plan.errors) log.error(e.message);
  if (plan.errors.length) throw new ConfigurationError(plan.errors[0].message);
  log.info(markdown.summary.split('\n')[2] ?? '');
  return plan;
}
