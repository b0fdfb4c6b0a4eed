import { existsSync } from 'node:fs';
import path from 'node:path';
import { loadValidConfig } from '../config/load.js';
import { ConfigurationError } from '../errors.js';
import type { Logger } from '../log.js';
import { fetchAppliedRef } from './applied-ref.js';
import {
  collectPlaybooks,
  commitRange,
  commitsIn,
  type CommitInfo,
  type CommitRange,
  type Collected,
} from './collect.js';
import { resolveCommit, type GitExec } from './git.js';
import type { TagResolver } from './tags.js';
import { isRunnablePlaybook, playbookFileProblem } from '../vm/playbooks.js';

/** Playbooks and VMs as they are on disk in `repoDir`. */
export function repoResolver(repoDir: string): TagResolver {
  return {
    // The same check validate makes for a VM's `playbook:` (vm/playbooks.ts).
    playbookExists: (file) => isRunnablePlaybook(repoDir, file),
    playbookProblem: (file) => playbookFileProblem(repoDir, file),
    hostExists: (name) =>
      existsSync(path.join(repoDir, 'vms', `${name}.yaml`)) ||
      existsSync(path.join(repoDir, 'vms', `${name}.yml`)),
  };
}

/** Where the commits come from: a GitHub event payload, one message, or an explicit range. */
export type TagSource =
  | { kind: 'event'; event: Record<string, unknown>; fetchApplied: boolean; remote?: string }
  | { kind: 'message'; message: string }
  | { kind: 'range'; range: string };

export interface ResolveTagsOptions {
  repoDir: string;
  exec: GitExec;
  source: TagSource;
  /** Overrides the dispatch input found in an event payload. */
  dispatchPlaybook?: string;
  newVms?: ReadonlyArray<{ name: string; file: string; playbook?: string }>;
  /** Look-alike tags: an error (apply, default) or a warning (a pull request). */
  lookAlikes?: 'error' | 'warning';
  log?: Logger;
}

export interface ResolvedTags extends Collected {
  /** The commits read, when the source was git. */
  range?: CommitRange;
  commitCount: number;
}

async function rangeOf(exec: GitExec, spec: string): Promise<CommitRange> {
  // Each side may hold single dots (tags like v1.0), never `..` and never whitespace.
  const side = String.raw`((?:[^.\s]|\.(?!\.))+)`;
  const m = new RegExp(`^${side}\\.\\.${side}$`).exec(spec);
  if (!m) throw new ConfigurationError(`--range '${spec.slice(0, 80)}' is not of the form A..B.`);
  const [from, to] = [await resolveCommit(exec, m[1]), await resolveCommit(exec, m[2])];
  if (!from || !to) {
    throw new ConfigurationError(
      `--range ${spec}: ${!from ? m[1] : m[2]} is not a commit in this repository.`,
    );
  }
  return { from, to, basis: 'push' };
}

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);

/**
 * Collects the playbooks a run must execute from its source: for an event, the commits since
 * `refs/pve-gitops/applied` (fetched first when asked) or the push's before..after, plus a
 * workflow_dispatch `playbook` input; for a message, that text; for a range, those commits.
 */
export async function resolveTags(opts: ResolveTagsOptions): Promise<ResolvedTags> {
  // An invalid pve-gitops.yaml stops every step, this one too (never the defaults instead).
  await loadValidConfig(opts.repoDir);
  const resolver = repoResolver(opts.repoDir);
  let commits: CommitInfo[];
  let range: CommitRange | undefined;
  let dispatch = opts.dispatchPlaybook;
  const src = opts.source;
  if (src.kind === 'message') {
    commits = [{ sha: 'message', authorEmail: '', message: src.message }];
  } else {
    if (src.kind === 'range') {
      range = await rangeOf(opts.exec, src.range);
    } else {
      if (src.fetchApplied) await fetchAppliedRef(opts.exec, src.remote ?? 'origin');
      range = await commitRange(
        opts.exec,
        { before: str(src.event.before), after: str(src.event.after) },
        opts.log,
      );
      const inputs = src.event.inputs as Record<string, unknown> | undefined;
      dispatch ??= str(inputs?.playbook);
    }
    commits = await commitsIn(opts.exec, range);
    opts.log?.info(
      `Reading tags from ${commits.length} commit(s) ${range.from ? `${range.from.slice(0, 7)}..` : ''}${range.to.slice(0, 7)} (${range.basis}).`,
    );
  }
  const collected = collectPlaybooks({
    commits,
    resolver,
    dispatchPlaybook: dispatch,
    newVms: opts.newVms,
    lookAlikes: opts.lookAlikes,
  });
  for (const w of collected.warnings) opts.log?.warn(w);
  return { ...collected, range, commitCount: commits.length };
}
