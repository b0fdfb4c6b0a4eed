import * as core from '@actions/core';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigurationError } from '../errors.js';
import type { Logger } from '../log.js';
import { markApplied } from '../gitops/applied-ref.js';
import { gitExec } from '../gitops/git.js';
import { resolveTags } from '../gitops/resolve-tags.js';
import { formatRun } from '../gitops/tags.js';
import { parseHostList } from '../inventory/addresses.js';
import { loadValidRepository } from '../vm/load.js';

/** Input names of the tags action (action.yml). */
export const TAGS_INPUTS = {
  workingDirectory: 'working-directory',
  playbook: 'playbook',
  newHosts: 'new-hosts',
  markApplied: 'mark-applied',
  fetchAppliedRef: 'fetch-applied-ref',
  source: 'source',
  message: 'message',
  range: 'range',
  lookAlikes: 'look-alikes',
} as const;

export interface TagsInputs {
  /** Repository root: `working-directory` relative to GITHUB_WORKSPACE. */
  repoDir: string;
  /** workflow_dispatch `playbook` input (a tag NAME); overrides the event's. */
  playbook?: string;
  /** The apply step's `new-hosts`: VMs created or recreated, whose `playbook:` field runs. */
  newHosts: string;
  /** A commit to record as applied (moves refs/pve-gitops/applied); collects nothing then. */
  markApplied?: string;
  /** Fetch refs/pve-gitops/applied from origin before reading commits. */
  fetchAppliedRef: boolean;
  /** `event`: commits since the applied ref; `message`: only `message` (and the inputs). */
  source: 'event' | 'message';
  /** The text read when `source` is `message`, e.g. a pushed bot commit's message. */
  message: string;
  /** `A..B`: read exactly these commits (a pull request's base..head); overrides `source`. */
  range: string;
  /** The event payload (GITHUB_EVENT_PATH), `{}` when absent. */
  eventPath?: string;
  /** `fail` (default, apply): a look-alike tag fails the step; `warn` (a pull request): a warning. */
  lookAlikes: 'fail' | 'warn';
}

function lookAlikesInput(v: string): 'fail' | 'warn' {
  if (v === 'fail' || v === 'warn') return v;
  throw new ConfigurationError(`look-alikes must be 'fail' or 'warn', not '${v.slice(0, 40)}'.`);
}

function sourceInput(v: string): 'event' | 'message' {
  if (v === 'event' || v === 'message') return v;
  throw new ConfigurationError(`source must be 'event' or 'message', not '${v.slice(0, 40)}'.`);
}

/** Reads the inputs from the runner's environment. */
export function getTagsInputs(env: NodeJS.ProcessEnv = process.env): TagsInputs {
  const workspace = path.resolve(env.GITHUB_WORKSPACE ?? process.cwd());
  return {
    repoDir: path.resolve(workspace, core.getInput(TAGS_INPUTS.workingDirectory) || '.'),
    playbook: core.getInput(TAGS_INPUTS.playbook) || undefined,
    newHosts: core.getInput(TAGS_INPUTS.newHosts),
    markApplied: core.getInput(TAGS_INPUTS.markApplied) || undefined,
    fetchAppliedRef: core.getBooleanInput(TAGS_INPUTS.fetchAppliedRef),
    source: sourceInput(core.getInput(TAGS_INPUTS.source) || 'event'),
    message: core.getInput(TAGS_INPUTS.message),
    range: core.getInput(TAGS_INPUTS.range),
    eventPath: env.GITHUB_EVENT_PATH || undefined,
    lookAlikes: lookAlikesInput(core.getInput(TAGS_INPUTS.lookAlikes) || 'fail'),
  };
}

async function readEvent(file: string | undefined): Promise<Record<string, unknown>> {
  if (!file) return {};
  try {
    return JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  } catch {
    throw new ConfigurationError(`The event payload ${file} cannot be read as JSON.`);
  }
}

/**
 * The tags action: outputs `playbooks` (one `playbook [--limit host]` a line),
 * `playbooks-json`, `tags` (names, space-separated, for the inventory commit) and `count`;
 * or, with `mark-applied`, records that commit as applied.
 */
export async function tagsStep(log: Logger, inputs = getTagsInputs()): Promise<void> {
  const exec = gitExec(inputs.repoDir);
  if (inputs.markApplied) {
    if (!/^[0-9a-f]{40}$/.test(inputs.markApplied)) {
      throw new ConfigurationError(
        `mark-applied must be a full commit SHA, not '${inputs.markApplied.slice(0, 60)}'.`,
      );
    }
    const sha = inputs.markApplied;
    const r = await log.group('Record the applied commit', () => markApplied(exec, sha, { log }));
    core.setOutput('applied', r);
    return;
  }
  let newVms: Array<{ name: string; file: string; playbook?: string }> = [];
  const hosts = parseHostList(inputs.newHosts, `The ${TAGS_INPUTS.newHosts} input`);
  const names = new Set([...hosts.hosts.map((h) => h.name), ...hosts.withoutAddress]);
  if (names.size) {
    const { vms } = await loadValidRepository(inputs.repoDir);
    newVms = vms.filter((v) => names.has(v.name));
  }
  const event = await readEvent(inputs.eventPath);
  const r = await log
    .group('Collect [ansible NAME] tags', () =>
      resolveTags({
        repoDir: inputs.repoDir,
        exec,
        source: inputs.range
          ? { kind: 'range', range: inputs.range }
          : inputs.source === 'message'
            ? { kind: 'message', message: inputs.message }
            : { kind: 'event', event, fetchApplied: inputs.fetchAppliedRef },
        dispatchPlaybook: inputs.playbook,
        newVms,
        lookAlikes: inputs.lookAlikes === 'warn' ? 'warning' : 'error',
        log,
      }),
    )
    .catch((err: unknown) => {
      // For the plan comment: the same sentence the failing step shows.
      if (err instanceof ConfigurationError) core.setOutput('error', err.message);
      throw err;
    });
  const lines = r.runs.map(formatRun);
  for (const l of lines) log.info(`will run: ${l}`);
  core.setOutput('playbooks', lines.join('\n'));
  core.setOutput('playbooks-json', JSON.stringify(r.runs));
  core.setOutput('tags', r.tags.join(' '));
  core.setOutput('count', String(r.runs.length));
}
