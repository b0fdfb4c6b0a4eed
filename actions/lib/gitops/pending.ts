import { PveGitopsError } from '../errors.js';
import type { Logger } from '../log.js';
import { BOT_EMAIL, BOT_NAME, git, type GitExec } from './git.js';

/**
 * The hosts and tags applied but not yet provisioned, kept in the repository as one JSON file
 * in the commit at this ref (a chain outside every branch, so a protected `main` never
 * refuses it). Apply adds to it before it touches anything else; provisioning removes exactly
 * what it provisioned, only after it succeeded. A run that was cancelled while pending, that
 * failed, or whose inventory push was refused leaves its entries for the next run, whatever
 * route that run takes (job outputs, a push, a dispatch).
 */
export const PENDING_REF = 'refs/pve-gitops/unprovisioned';
const FILE = 'pending.json';

/** One host to provision as new, and the run that created it. */
export interface PendingHost {
  name: string;
  ip: string;
  /** The commit whose apply created it: a host recreated later is a new entry. */
  since: string;
}

/** One `[ansible NAME]` tag applied and not yet run. */
export interface PendingTag {
  name: string;
  since: string;
}

export interface Pending {
  hosts: PendingHost[];
  tags: PendingTag[];
}

const EMPTY: Pending = { hosts: [], tags: [] };
const BOT_ENV = {
  GIT_AUTHOR_NAME: BOT_NAME,
  GIT_AUTHOR_EMAIL: BOT_EMAIL,
  GIT_COMMITTER_NAME: BOT_NAME,
  GIT_COMMITTER_EMAIL: BOT_EMAIL,
};

function parse(text: string): Pending {
  const v = JSON.parse(text) as Partial<Pending>;
  return { hosts: v.hosts ?? [], tags: v.tags ?? [] };
}

/** Reads the queue from the remote: its commit (undefined when there is none) and content. */
export async function readPending(
  exec: GitExec,
  remote = 'origin',
): Promise<{ commit?: string; pending: Pending }> {
  const ls = await git(exec, ['ls-remote', '--end-of-options', remote, PENDING_REF], 'Reading');
  const commit = ls.split(/\s/)[0] || undefined;
  if (!commit) return { pending: EMPTY };
  await git(exec, ['fetch', '--no-tags', remote, `+${PENDING_REF}:${PENDING_REF}`], 'Fetching');
  const text = await git(exec, ['show', `${commit}:${FILE}`], `Reading ${PENDING_REF}`);
  try {
    return { commit, pending: parse(text) };
  } catch {
    throw new PveGitopsError(`${PENDING_REF}:${FILE} is not valid JSON; delete the ref.`);
  }
}

const hostKey = (h: PendingHost) => `${h.name}\0${h.ip}\0${h.since}`;
const tagKey = (t: PendingTag) => `${t.name}\0${t.since}`;

/** `base` plus `add` (entries already there kept once) minus `remove` (exact entries). */
export function mergePending(base: Pending, add: Pending, remove: Pending = EMPTY): Pending {
  const goneHosts = new Set(remove.hosts.map(hostKey));
  const goneTags = new Set(remove.tags.map(tagKey));
  const hosts = new Map<string, PendingHost>();
  for (const h of [...base.hosts, ...add.hosts])
    if (!goneHosts.has(hostKey(h))) hosts.set(hostKey(h), h);
  const tags = new Map<string, PendingTag>();
  for (const t of [...base.tags, ...add.tags]) if (!goneTags.has(tagKey(t))) tags.set(tagKey(t), t);
  return { hosts: [...hosts.values()], tags: [...tags.values()] };
}

/**
 * Adds and removes entries with a compare-and-swap push (`--force-with-lease`), re-reading
 * and retrying when another run moved the ref meanwhile, so concurrent runs lose nothing.
 */
export async function updatePending(
  exec: GitExec,
  change: { add?: Pending; remove?: Pending },
  options: { remote?: string; attempts?: number; log?: Logger } = {},
): Promise<Pending> {
  const remote = options.remote ?? 'origin';
  const attempts = options.attempts ?? 5;
  let last = '';
  for (let i = 1; i <= attempts; i++) {
    const { commit, pending } = await readPending(exec, remote);
    const next = mergePending(pending, change.add ?? EMPTY, change.remove ?? EMPTY);
    if (JSON.stringify(next) === JSON.stringify(pending)) return pending;
    const blob = await exec(['hash-object', '-w', '--stdin'], {
      input: `${JSON.stringify(next, null, 2)}\n`,
    });
    if (blob.code !== 0) throw new PveGitopsError(`Writing ${FILE} failed: ${blob.stderr.trim()}`);
    const tree = await exec(['mktree'], {
      input: `100644 blob ${blob.stdout.trim()}\t${FILE}\n`,
    });
    const made = await exec(
      [
        'commit-tree',
        tree.stdout.trim(),
        ...(commit ? ['-p', commit] : []),
        '-m',
        `pending: ${next.hosts.length} host(s), ${next.tags.length} tag(s)`,
      ],
      { env: BOT_ENV },
    );
    if (made.code !== 0)
      throw new PveGitopsError(`Recording ${PENDING_REF} failed: ${made.stderr.trim()}`);
    const push = await exec([
      'push',
      '--porcelain',
      `--force-with-lease=${PENDING_REF}:${commit ?? ''}`,
      remote,
      `${made.stdout.trim()}:${PENDING_REF}`,
    ]);
    if (push.code === 0) {
      options.log?.info(
        `${PENDING_REF}: ${next.hosts.map((h) => h.name).join(' ') || 'no host'} and ${next.tags.map((t) => t.name).join(' ') || 'no tag'} left to provision.`,
      );
      return next;
    }
    last = (push.stderr + push.stdout).trim().split('\n').slice(-2).join(' ');
    options.log?.warn(`${PENDING_REF} moved meanwhile (attempt ${i} of ${attempts}); again.`);
  }
  throw new PveGitopsError(`Could not push ${PENDING_REF} to ${remote}: ${last}`);
}
