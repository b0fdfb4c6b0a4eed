import { ConfigurationError } from '../errors.js';
import type { Logger } from '../log.js';
import { findLookAlikeTags } from './look-alike-tags.js';
import { APPLIED_REF, BOT_EMAIL, ZERO_SHA, git, resolveCommit, type GitExec } from './git.js';
import {
  addUnique,
  extractTags,
  quoteSubject,
  resolveTag,
  type PlaybookRun,
  type TagResolver,
} from './tags.js';

/** The commits whose tags a run honours: `from` (exclusive) to `to`, or `to` alone. */
export interface CommitRange {
  from?: string;
  to: string;
  /** Why this range: the applied ref, the push payload, or the last commit only. */
  basis: 'applied-ref' | 'push' | 'head';
}

export interface CommitInfo {
  sha: string;
  authorEmail: string;
  message: string;
}

async function isAncestor(exec: GitExec, a: string, b: string): Promise<boolean> {
  return (await exec(['merge-base', '--is-ancestor', a, b])).code === 0;
}

/**
 * Picks the commits since the last applied one: `refs/pve-gitops/applied..after` when that
 * ref exists and is an ancestor; else the push payload's `before..after`; else `after` alone
 * (new branch, unknown `before`, shallow clone). `after` defaults to HEAD.
 */
export async function commitRange(
  exec: GitExec,
  push: { before?: string; after?: string },
  log?: Logger,
): Promise<CommitRange> {
  const to =
    (push.after && !ZERO_SHA.test(push.after)
      ? await resolveCommit(exec, push.after)
      : undefined) ?? (await resolveCommit(exec, 'HEAD'));
  if (!to) throw new ConfigurationError('The repository has no commit to read tags from.');
  const applied = await resolveCommit(exec, APPLIED_REF);
  if (applied) {
    if (await isAncestor(exec, applied, to)) return { from: applied, to, basis: 'applied-ref' };
    log?.warn(
      `${APPLIED_REF} (${applied.slice(0, 7)}) is not an ancestor of ${to.slice(0, 7)}; ignoring it.`,
    );
  }
  if (push.before && !ZERO_SHA.test(push.before)) {
    const before = await resolveCommit(exec, push.before);
    if (before && (await isAncestor(exec, before, to))) return { from: before, to, basis: 'push' };
    log?.warn(
      `The push's 'before' commit ${push.before.slice(0, 7)} is not in this clone; reading ${to.slice(0, 7)} only.`,
    );
  }
  return { to, basis: 'head' };
}

/** The commits of a range, oldest first, with author e-mail and full message. */
export async function commitsIn(exec: GitExec, range: CommitRange): Promise<CommitInfo[]> {
  const rev = range.from ? [`${range.from}..${range.to}`] : ['-1', range.to];
  const out = await git(
    exec,
    ['log', '--reverse', '--format=%H%x1f%ae%x1f%B%x1e', ...rev, '--'],
    'Reading commits',
  );
  return out
    .split('\x1e')
    .map((rec) => rec.replace(/^\n/, ''))
    .filter((rec) => rec.includes('\x1f'))
    .map((rec) => {
      const [sha, authorEmail, message] = rec.split('\x1f') as [string, string, string];
      return { sha, authorEmail, message: message.replace(/\n+$/, '') };
    });
}

/** Commits pve-gitops made itself; the tags they carry are copies and are never re-run. */
export function isBotCommit(c: Pick<CommitInfo, 'authorEmail'>): boolean {
  return c.authorEmail === BOT_EMAIL;
}

export interface CollectInput {
  commits: readonly CommitInfo[];
  resolver: TagResolver;
  /** The `playbook` input of a workflow_dispatch run (a tag NAME). */
  dispatchPlaybook?: string;
  /** VMs created or recreated in this run with a `playbook:` field. */
  newVms?: ReadonlyArray<{ name: string; file: string; playbook?: string }>;
  /**
   * What a look-alike tag (`［ansible x］`, a Cyrillic `а`, `[ ansible x]`) is: an error
   * (default: apply must not run without the playbook its author meant) or a warning (the
   * pull request, where the author can still fix the message).
   */
  lookAlikes?: 'error' | 'warning';
}

export interface Collected {
  runs: PlaybookRun[];
  /** Tag names found in human commits and the dispatch input, de-duplicated, in order. */
  tags: string[];
  /** One sentence per look-alike tag when `lookAlikes` is `warning`. */
  warnings: string[];
}

/**
 * Resolves every tag in `commits` (bot commits skipped), then the dispatch input, then the
 * `playbook:` field of new VMs (limited to that VM), de-duplicated in first-seen order. Any
 * bad tag throws one ConfigurationError naming each offending commit: nothing may run.
 */
export function collectPlaybooks(input: CollectInput): Collected {
  const runs: PlaybookRun[] = [];
  const tags: string[] = [];
  const errors: string[] = [];
  const warnings: string[] = [];
  const take = (name: string, where: string) => {
    const r = resolveTag(name, input.resolver);
    if (typeof r === 'string') return errors.push(`${where}: ${r}.`);
    if (!tags.includes(name)) tags.push(name);
    addUnique(runs, r);
  };
  for (const c of input.commits) {
    if (isBotCommit(c)) continue;
    const where = `Commit ${c.sha.slice(0, 7)} ${quoteSubject(c.message.split('\n', 1)[0])}`;
    const found = extractTags(c.message);
    for (const e of found.errors) errors.push(`${where}: ${e}.`);
    for (const l of findLookAlikeTags(c.message)) {
      const sentence = `${where}: '${l}' looks like a tag but is not one (look-alike or invisible characters); write [ansible NAME] in plain ASCII.`;
      (input.lookAlikes === 'warning' ? warnings : errors).push(sentence);
    }
    for (const n of found.names) take(n, where);
  }
  const dispatch = input.dispatchPlaybook?.trim();
  if (dispatch) {
    const where = 'The workflow_dispatch input playbook';
    const name = dispatch.replace(/^\[ansible (.*)\]$/, '$1');
    if (/^[a-z0-9][a-z0-9_.-]{0,62}$/.test(name) && !name.includes('..')) take(name, where);
    else errors.push(`${where}: '${dispatch.slice(0, 80)}' is not a playbook or k8s-* VM name.`);
  }
  for (const vm of [...(input.newVms ?? [])].sort((a, b) => a.name.localeCompare(b.name))) {
    if (!vm.playbook) continue;
    const r = resolveTag(vm.playbook, { playbookExists: input.resolver.playbookExists });
    if (typeof r === 'string') errors.push(`${vm.file}: playbook: ${r}.`);
    else addUnique(runs, { playbook: r.playbook, limit: vm.name });
  }
  if (errors.length) throw new ConfigurationError(`${errors.join(' ')} Nothing was run.`);
  return { runs, tags, warnings };
}
