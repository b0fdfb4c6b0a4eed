// plan.yml checks the [ansible NAME] tags of a pull request's commits before merge: the tags
// action with range base.sha..head.sha, on the merge commit actions/checkout makes.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAction, commit, originAndClone, runAction, sh } from './tags-helpers.js';

let root: string;
let bundle: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'pve-gitops-tags-pr-'));
  bundle = await buildAction('tags', path.join(root, 'dist'));
}, 60_000);
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A PR branch off main with `messages`, checked out as GitHub's merge commit. */
function pullRequest(work: string, messages: string[]) {
  const { clone } = originAndClone(work);
  // An older bad tag on main is not this pull request's business.
  commit(clone, 'chore: long ago [ansible nope]');
  const base = sh(clone, 'rev-parse', 'HEAD');
  sh(clone, 'checkout', '--quiet', '-b', 'feature');
  const made = messages.map((m) => commit(clone, m));
  const head = sh(clone, 'rev-parse', 'HEAD');
  sh(clone, 'checkout', '--quiet', '--detach', base);
  sh(clone, 'merge', '--quiet', '--no-ff', '-m', `Merge ${head} into ${base}`, head);
  return { clone, base, head, made };
}

const run = (clone: string, range: string, work: string) =>
  runAction(bundle, {
    cwd: clone,
    outputFile: path.join(work, 'out'),
    inputs: {
      'working-directory': '.',
      'fetch-applied-ref': 'false',
      playbook: '',
      'new-hosts': '',
      'mark-applied': '',
      source: 'event',
      message: '',
      range,
    },
    env: { GITHUB_EVENT_NAME: 'pull_request' },
  });

describe('tags of a pull request', () => {
  it('fails the check on a bad tag in any PR commit, with the sentence for the plan comment', async () => {
    const work = await mkdtemp(path.join(root, 'bad-'));
    const pr = pullRequest(work, ['feat: proxy [ansible haproxy]', 'fix: typo [ansible hapoxy]']);
    const r = run(pr.clone, `${pr.base}..${pr.head}`, work);
    expect(r.code).toBe(1);
    expect(r.outputs.error).toMatch(
      new RegExp(
        `^Commit ${pr.made[1].slice(0, 7)} "fix: typo \\[ansible hapoxy\\]": .*Nothing was run\\.$`,
      ),
    );
    expect(r.outputs.error).not.toContain(pr.made[0].slice(0, 7));
    expect(r.stdout).toContain(`::error::${r.outputs.error.split('.')[0]}`);
  });

  it('passes good tags, reading only the PR commits', async () => {
    const work = await mkdtemp(path.join(root, 'good-'));
    const pr = pullRequest(work, ['feat: proxy [ansible haproxy]']);
    const r = run(pr.clone, `${pr.base}..${pr.head}`, work);
    expect(r.code, r.stdout).toBe(0);
    expect(r.outputs.tags).toBe('haproxy');
    expect(r.outputs.playbooks).toBe('haproxy.yml');
    expect(r.outputs.error).toBeUndefined();
  });
});
