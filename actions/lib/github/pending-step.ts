import * as core from '@actions/core';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ConfigurationError } from '../errors.js';
import type { Logger } from '../log.js';
import { gitExec } from '../gitops/git.js';
import { PENDING_REF, readPending, updatePending, type Pending } from '../gitops/pending.js';
import { TAG_NAME } from '../gitops/tags.js';
import { parseHostList } from '../inventory/addresses.js';

/** Input names of the pending action (action.yml). */
export const PENDING_INPUTS = {
  workingDirectory: 'working-directory',
  mode: 'mode',
  newHosts: 'new-hosts',
  tags: 'tags',
  since: 'since',
  taken: 'taken',
} as const;

type Mode = 'record' | 'take' | 'done';

export interface PendingInputs {
  /** Repository root: `working-directory` relative to GITHUB_WORKSPACE. */
  repoDir: string;
  /** record: add to the queue; take: read it with this run's own; done: remove what was taken. */
  mode: Mode;
  /** Hosts of this run (IP,name lines or JSON), recorded or provisioned with the queue's. */
  newHosts: string;
  /** Tag names of this run (record), space-separated. */
  tags: string[];
  /** The commit whose apply created the hosts (record); default GITHUB_SHA. */
  since: string;
  /** The `taken` output of take (done). */
  taken: string;
}

/** Reads the inputs from the runner's environment. */
export function getPendingInputs(env: NodeJS.ProcessEnv = process.env): PendingInputs {
  const workspace = path.resolve(env.GITHUB_WORKSPACE ?? process.cwd());
  const mode = core.getInput(PENDING_INPUTS.mode);
  if (mode !== 'record' && mode !== 'take' && mode !== 'done')
    throw new ConfigurationError(`mode must be record, take or done, not '${mode.slice(0, 40)}'.`);
  const tags = core.getInput(PENDING_INPUTS.tags).split(/\s+/).filter(Boolean);
  const bad = tags.find((t) => !TAG_NAME.test(t) || t.includes('..'));
  if (bad)
    throw new ConfigurationError(`The tags input holds '${bad.slice(0, 60)}', not a tag name.`);
  return {
    repoDir: path.resolve(workspace, core.getInput(PENDING_INPUTS.workingDirectory) || '.'),
    mode,
    newHosts: core.getInput(PENDING_INPUTS.newHosts),
    tags,
    since: core.getInput(PENDING_INPUTS.since) || env.GITHUB_SHA || '',
    taken: core.getInput(PENDING_INPUTS.taken),
  };
}

const vmDefined = (repoDir: string, name: string) =>
  ['yaml', 'yml'].some((ext) => existsSync(path.join(repoDir, 'vms', `${name}.${ext}`)));

/**
 * The pending action. `record` adds this run's new hosts and tags to refs/pve-gitops/
 * unprovisioned; `take` outputs `new-hosts` (this run's and the queue's, hosts whose VM file
 * is gone dropped), `message` (the queue's tags as `[ansible NAME]`) and `taken`; `done`
 * removes exactly `taken` after provisioning succeeded.
 */
export async function pendingStep(log: Logger, inputs = getPendingInputs()): Promise<void> {
  const exec = gitExec(inputs.repoDir);
  const own = parseHostList(inputs.newHosts, `The ${PENDING_INPUTS.newHosts} input`).hosts;
  if (inputs.mode === 'record') {
    if (!/^[0-9a-f]{40}$/.test(inputs.since))
      throw new ConfigurationError(
        `since must be a full commit SHA, not '${inputs.since.slice(0, 60)}'.`,
      );
    const add: Pending = {
      hosts: own.map((h) => ({ name: h.name, ip: h.ip, since: inputs.since })),
      tags: inputs.tags.map((name) => ({ name, since: inputs.since })),
    };
    const queued = await log.group(`Record what is left to provision (${PENDING_REF})`, () =>
      updatePending(exec, { add }, { log }),
    );
    // Earlier runs' leftovers count too: provisioning runs when anything waits.
    core.setOutput('count', String(queued.hosts.length + queued.tags.length));
    return;
  }
  if (inputs.mode === 'done') {
    let taken: Pending;
    try {
      taken = JSON.parse(inputs.taken || '{"hosts":[],"tags":[]}') as Pending;
    } catch {
      throw new ConfigurationError('The taken input is not the JSON the take mode wrote.');
    }
    await log.group('Mark the hosts and tags provisioned', () =>
      updatePending(exec, { remove: taken }, { log }),
    );
    return;
  }
  const { pending } = await readPending(exec);
  const gone = pending.hosts.filter((h) => !vmDefined(inputs.repoDir, h.name));
  for (const h of gone) log.warn(`${h.name} is pending but vms/ no longer defines it; skipped.`);
  const hosts = new Map(own.map((h) => [h.name, h.ip]));
  for (const h of pending.hosts) if (!gone.includes(h)) hosts.set(h.name, h.ip);
  const tags = [...new Set(pending.tags.map((t) => t.name))];
  if (pending.hosts.length || tags.length)
    log.info(
      `Left from earlier runs: ${pending.hosts.map((h) => h.name).join(' ') || 'no host'}; ${tags.join(' ') || 'no tag'}.`,
    );
  core.setOutput('new-hosts', [...hosts].map(([name, ip]) => `${ip},${name}`).join('\n'));
  core.setOutput('message', tags.map((t) => `[ansible ${t}]`).join(' '));
  // Gone hosts are removed too: done clears them with the rest.
  core.setOutput('taken', JSON.stringify(pending));
}
