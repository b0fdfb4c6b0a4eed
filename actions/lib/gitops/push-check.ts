import { ConfigurationError } from '../errors.js';
import type { Logger } from '../log.js';
import type { GitExec } from './git.js';

/** One rule GitHub applies to a branch (GET /repos/{owner}/{repo}/rules/branches/{branch}). */
export interface BranchRule {
  type: string;
  ruleset_id?: number;
}

/** What the check asks GitHub; undefined answers mean "could not tell". */
export interface BranchRulesApi {
  rules(branch: string): Promise<BranchRule[] | undefined>;
}

/**
 * Rules that refuse a direct push from an actor not on the ruleset's bypass list. GITHUB_TOKEN
 * can never be on it; an unsigned bot commit fails required_signatures too.
 */
const BLOCKING = new Set([
  'pull_request',
  'required_status_checks',
  'required_signatures',
  'required_deployments',
  'update',
  'merge_queue',
]);

const HOW =
  'Put a GitHub App on the ruleset bypass list and give its token as PVE_GITOPS_PUSH_TOKEN, ' +
  'or keep main open to the job; see docs/network.md#protected-branches.';

/**
 * Before apply touches the cluster: can this job push the inventory commit to `branch`?
 * A dry-run push proves the token may write (GitHub answers 403 before any ref is sent);
 * the rules GitHub applies to the branch tell whether a direct push would be refused, which
 * a dry run cannot (rules are enforced on the real push). With a push token (PAT or App,
 * possibly a bypass actor) blocking rules are a warning; with GITHUB_TOKEN they are an error.
 */
export async function checkInventoryPush(
  exec: GitExec,
  opts: {
    branch: string;
    remote?: string;
    api?: BranchRulesApi;
    pushToken: boolean;
    log?: Logger;
  },
): Promise<void> {
  const remote = opts.remote ?? 'origin';
  const dry = await exec([
    'push',
    '--dry-run',
    '--porcelain',
    remote,
    `HEAD:refs/heads/${opts.branch}`,
  ]);
  if (dry.code !== 0) {
    const why = (dry.stderr + dry.stdout)
      .split('\n')
      .map((l) => l.replace(/^remote:\s*/, '').trim())
      .filter((l) => l && !l.startsWith('To '))
      .slice(0, 2)
      .join(' ');
    throw new ConfigurationError(
      `This job cannot push to ${opts.branch} (${why || `git push exit ${dry.code}`}); nothing was applied. ` +
        'Give the apply job permissions: contents: write, and check out with a token that may push.',
    );
  }
  const rules = await opts.api?.rules(opts.branch);
  const blocking = [...new Set((rules ?? []).map((r) => r.type).filter((t) => BLOCKING.has(t)))];
  if (!blocking.length) {
    opts.log?.info(`The inventory commit can be pushed to ${opts.branch}.`);
    return;
  }
  const what = `${opts.branch} has ruleset rules (${blocking.join(', ')}) that refuse a direct push`;
  if (!opts.pushToken)
    throw new ConfigurationError(
      `${what}, and GITHUB_TOKEN can never bypass them: the inventory commit would be refused after the VMs were made; nothing was applied. ${HOW}`,
    );
  opts.log?.warn(
    `${what} unless PVE_GITOPS_PUSH_TOKEN's actor is on the bypass list. If it is not, the push is refused and the new hosts are still provisioned. ${HOW}`,
  );
}
