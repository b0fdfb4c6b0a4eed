import * as core from '@actions/core';
import path from 'node:path';
import { ConfigurationError } from '../errors.js';
import type { Logger } from '../log.js';
import { commitInventory, InventoryPushRefused } from '../gitops/commit.js';
import { gitExec } from '../gitops/git.js';
import { checkInventoryPush } from '../gitops/push-check.js';
import { githubBranchRules } from './branch-rules.js';
import { TAG_NAME } from '../gitops/tags.js';
import { parseHostList } from '../inventory/addresses.js';
import { INVENTORY_FILE, NEW_HOSTS_FILE, updateInventory } from '../inventory/update.js';
import { loadValidRepository } from '../vm/load.js';

/** Input names of the inventory action (action.yml). */
export const INVENTORY_INPUTS = {
  workingDirectory: 'working-directory',
  newHosts: 'new-hosts',
  tags: 'tags',
  commit: 'commit',
  branch: 'branch',
  check: 'check',
  checkPush: 'check-push',
  githubToken: 'github-token',
  pushTokenSet: 'push-token-set',
} as const;

export interface InventoryInputs {
  /** Repository root: `working-directory` relative to GITHUB_WORKSPACE. */
  repoDir: string;
  /** The apply step's `new-hosts` output (IP,name lines or JSON). */
  newHosts: string;
  /** Tag names to carry into the commit message (the tags step's `tags`). */
  tags: string[];
  /** Commit and push the files when they changed. */
  commit: boolean;
  /** Branch to push to; default GITHUB_REF_NAME. */
  branch: string;
  /** Only compare; fail when k8s.ini is out of date. */
  check: boolean;
  /** Only check that the inventory commit could be pushed to `branch`, before apply. */
  checkPush: boolean;
  /** Token for GitHub's branch rules API (the check). */
  githubToken: string;
  /** The checkout used PVE_GITOPS_PUSH_TOKEN (maybe a ruleset bypass actor), not GITHUB_TOKEN. */
  pushTokenSet: boolean;
  /** GITHUB_API_URL and GITHUB_REPOSITORY, for the rules API. */
  apiUrl: string;
  repository: string;
}

/** Reads the inputs from the runner's environment. */
export function getInventoryInputs(env: NodeJS.ProcessEnv = process.env): InventoryInputs {
  const workspace = path.resolve(env.GITHUB_WORKSPACE ?? process.cwd());
  const tags = core.getInput(INVENTORY_INPUTS.tags).split(/\s+/).filter(Boolean);
  const bad = tags.find((t) => !TAG_NAME.test(t) || t.includes('..'));
  if (bad)
    throw new ConfigurationError(
      `The tags input holds '${bad.slice(0, 60)}', which is not a tag name.`,
    );
  // Inputs added later default to false when a caller (an older workflow copy) omits them.
  const optionalBool = (name: string) => (core.getInput(name) ? core.getBooleanInput(name) : false);
  const checkPush = optionalBool(INVENTORY_INPUTS.checkPush);
  const commit = core.getBooleanInput(INVENTORY_INPUTS.commit) || checkPush;
  const githubToken = core.getInput(INVENTORY_INPUTS.githubToken);
  if (githubToken) core.setSecret(githubToken);
  const branch = core.getInput(INVENTORY_INPUTS.branch) || env.GITHUB_REF_NAME || '';
  if (commit && !/^[A-Za-z0-9._/-]+$/.test(branch)) {
    throw new ConfigurationError(
      `commit is true but the branch '${branch}' is missing or not a plain branch name.`,
    );
  }
  return {
    repoDir: path.resolve(workspace, core.getInput(INVENTORY_INPUTS.workingDirectory) || '.'),
    newHosts: core.getInput(INVENTORY_INPUTS.newHosts),
    tags,
    commit,
    branch,
    check: core.getBooleanInput(INVENTORY_INPUTS.check),
    checkPush,
    githubToken,
    pushTokenSet: optionalBool(INVENTORY_INPUTS.pushTokenSet),
    apiUrl: env.GITHUB_API_URL ?? 'https://api.github.com',
    repository: env.GITHUB_REPOSITORY ?? '',
  };
}

/**
 * The inventory action: renders inventory/k8s.ini and new_hosts.txt, and with `commit`
 * commits and pushes them as github-actions[bot]. Outputs `changed`, `files`, `committed`,
 * `sha` (the commit holding the inventory) and `new-hosts` (IP,name lines).
 */
export async function inventoryStep(log: Logger, inputs = getInventoryInputs()): Promise<void> {
  if (inputs.checkPush) {
    const api =
      inputs.githubToken && inputs.repository
        ? githubBranchRules(inputs.apiUrl, inputs.repository, inputs.githubToken, log)
        : undefined;
    await log.group(`Check that the inventory commit can be pushed to ${inputs.branch}`, () =>
      checkInventoryPush(gitExec(inputs.repoDir), {
        branch: inputs.branch,
        api,
        pushToken: inputs.pushTokenSet,
        log,
      }),
    );
    return;
  }
  const { config, vms } = await loadValidRepository(inputs.repoDir);
  const hosts = parseHostList(inputs.newHosts, `The ${INVENTORY_INPUTS.newHosts} input`);
  for (const n of hosts.withoutAddress)
    log.warn(`${n} was created without a known address; it is not provisioned.`);
  const r = await log.group('Render the inventory', () =>
    updateInventory({
      repoDir: inputs.repoDir,
      vms,
      config,
      // A run that created no host leaves new_hosts.txt as it is: a run that changes
      // nothing commits nothing (emptying the file would be a commit after every apply).
      newHosts: hosts.hosts.length ? hosts.hosts : undefined,
      check: inputs.check,
      log,
    }),
  );
  core.setOutput('changed', String(r.changed.length > 0));
  core.setOutput('files', r.changed.join(' '));
  core.setOutput('new-hosts', r.rendered.newHosts);
  if (inputs.check) {
    if (r.changed.length)
      throw new ConfigurationError(
        `${INVENTORY_FILE} is out of date; run pve-gitops inventory and commit it.`,
      );
    return;
  }
  const exec = gitExec(inputs.repoDir);
  if (!inputs.commit) {
    core.setOutput('committed', 'false');
    core.setOutput('sha', (await exec(['rev-parse', 'HEAD'])).stdout.trim());
    return;
  }
  const c = await log
    .group('Commit the inventory', () =>
      commitInventory(exec, {
        files: [INVENTORY_FILE, NEW_HOSTS_FILE],
        vmNames: hosts.hosts.map((h) => h.name).sort(),
        tags: inputs.tags,
        branch: inputs.branch,
        log,
      }),
    )
    .catch((err: unknown) => {
      // Provisioning still runs from the job outputs: point it at the kept commit.
      if (err instanceof InventoryPushRefused) {
        core.setOutput('committed', 'false');
        core.setOutput('refused', 'true');
        core.setOutput('sha', err.sha);
      }
      throw err;
    });
  core.setOutput('committed', String(c.committed));
  core.setOutput('sha', c.sha);
}
