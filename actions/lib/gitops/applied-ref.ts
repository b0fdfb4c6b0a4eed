import { PveGitopsError } from '../errors.js';
import type { Logger } from '../log.js';
import { APPLIED_REF, git, resolveCommit, type GitExec } from './git.js';

/**
 * Fetches `refs/pve-gitops/applied` from the remote into the same local ref (checkout
 * fetches branches only). A remote without the ref deletes the local one: the remote is
 * the record. Returns the SHA, or undefined when there is none yet.
 */
export async function fetchAppliedRef(
  exec: GitExec,
  remote = 'origin',
): Promise<string | undefined> {
  const ls = await git(
    exec,
    ['ls-remote', '--end-of-options', remote, APPLIED_REF],
    `Reading ${APPLIED_REF} from ${remote}`,
  );
  const sha = ls.split(/\s/)[0];
  if (!sha) {
    await exec(['update-ref', '-d', APPLIED_REF]);
    return undefined;
  }
  await git(
    exec,
    ['fetch', '--no-tags', remote, `+${APPLIED_REF}:${APPLIED_REF}`],
    `Fetching ${APPLIED_REF}`,
  );
  return sha;
}

/**
 * Records `sha` as applied: moves the local ref and pushes it to the remote, with a lease so
 * that a concurrent writer is noticed, at most `attempts` times. Never moves the ref
 * backwards: when the remote already holds a descendant of `sha`, nothing changes.
 */
export async function markApplied(
  exec: GitExec,
  sha: string,
  options: { remote?: string; attempts?: number; log?: Logger } = {},
): Promise<'moved' | 'unchanged'> {
  const remote = options.remote ?? 'origin';
  const attempts = options.attempts ?? 3;
  const target = await resolveCommit(exec, sha);
  if (!target)
    throw new PveGitopsError(`Cannot record ${sha} as applied: no such commit in this clone.`);
  let last = '';
  for (let i = 1; i <= attempts; i++) {
    const current = await fetchAppliedRef(exec, remote);
    if (current === target) return 'unchanged';
    if (current && (await exec(['merge-base', '--is-ancestor', target, current])).code === 0) {
      options.log?.info(
        `${APPLIED_REF} is already at ${current.slice(0, 7)}, a descendant of ${target.slice(0, 7)}.`,
      );
      return 'unchanged';
    }
    await git(exec, ['update-ref', APPLIED_REF, target], `Moving ${APPLIED_REF}`);
    const push = await exec([
      'push',
      '--porcelain',
      `--force-with-lease=${APPLIED_REF}:${current ?? ''}`,
      remote,
      `${target}:${APPLIED_REF}`,
    ]);
    if (push.code === 0) {
      options.log?.info(`${APPLIED_REF} now at ${target.slice(0, 7)} on ${remote}.`);
      return 'moved';
    }
    last = (push.stderr + push.stdout).trim().split('\n').slice(-2).join(' ');
    options.log?.warn(`Pushing ${APPLIED_REF} failed (attempt ${i} of ${attempts}): ${last}`);
  }
  throw new PveGitopsError(
    `Could not push ${APPLIED_REF} to ${remote} after ${attempts} attempts: ${last}`,
  );
}
