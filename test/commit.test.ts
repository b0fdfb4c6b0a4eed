import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { memoryLogger } from '../actions/lib/log.js';
import { collectPlaybooks, commitsIn } from '../actions/lib/gitops/collect.js';
import { commitInventory, inventoryCommitMessage } from '../actions/lib/gitops/commit.js';
import { BOT_EMAIL, gitExec, type GitExec } from '../actions/lib/gitops/git.js';
import { commit, gitEnv, originAndClone, sh } from './tags-helpers.js';

const FILES = ['inventory/k8s.ini', 'inventory/new_hosts.txt'];

let root: string;
beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'pve-gitops-commit-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function writeInventory(repo: string, ini: string, hosts: string) {
  await mkdir(path.join(repo, 'inventory'), { recursive: true });
  await writeFile(path.join(repo, FILES[0]), ini);
  await writeFile(path.join(repo, FILES[1]), hosts);
}

describe('commitInventory', () => {
  it('commits as github-actions[bot] with the VM names and carried tags, and pushes', async () => {
    const { clone, origin } = originAndClone(root);
    const exec = gitExec(clone, gitEnv);
    await writeInventory(clone, '[k3s]\nk8s-a\n', '127.0.0.2,k8s-a\n');
    const r = await commitInventory(exec, {
      files: FILES,
      vmNames: ['k8s-a'],
      tags: ['k8s-a', 'haproxy'],
      branch: 'main',
    });
    expect(r.committed).toBe(true);
    expect(sh(origin, 'rev-parse', 'main')).toBe(r.sha);
    expect(sh(origin, 'log', '-1', '--format=%an <%ae>|%s', 'main')).toBe(
      `github-actions[bot] <${BOT_EMAIL}>|chore(inventory): k8s-a [ansible k8s-a] [ansible haproxy]`,
    );
    // The carried tags are copies: the collector skips them.
    const commits = await commitsIn(exec, { from: `${r.sha}~1`, to: r.sha, basis: 'push' });
    expect(collectPlaybooks({ commits, resolver: { playbookExists: () => true } }).runs).toEqual(
      [],
    );
  });

  it('makes no commit when nothing changed', async () => {
    const { clone } = originAndClone(root);
    const exec = gitExec(clone, gitEnv);
    await writeInventory(clone, 'x\n', '');
    await commitInventory(exec, { files: FILES, vmNames: [], tags: [], branch: 'main' });
    const head = sh(clone, 'rev-parse', 'HEAD');
    const r = await commitInventory(exec, {
      files: FILES,
      vmNames: ['k8s-a'],
      tags: [],
      branch: 'main',
    });
    expect(r).toEqual({ committed: false, sha: head });
    expect(sh(clone, 'rev-parse', 'HEAD')).toBe(head);
  });

  it('rebases onto a concurrent push and retries', async () => {
    const { clone, origin } = originAndClone(root);
    const other = path.join(root, 'other');
    sh(root, 'clone', '--quiet', origin, other);
    const theirs = commit(other, 'feat: someone else [ansible haproxy]');
    sh(other, 'push', '--quiet', 'origin', 'main');

    const log = memoryLogger();
    await writeInventory(clone, '[haproxy]\n', '');
    const r = await commitInventory(gitExec(clone, gitEnv), {
      files: FILES,
      vmNames: ['haproxy-1'],
      tags: [],
      branch: 'main',
      log,
    });
    expect(r.committed).toBe(true);
    expect(sh(origin, 'rev-parse', 'main')).toBe(r.sha);
    expect(sh(origin, 'rev-parse', 'main~1')).toBe(theirs);
    expect(await readFile(path.join(clone, FILES[0]), 'utf8')).toBe('[haproxy]\n');
    expect(log.lines.some((l) => l.includes('attempt 1 of 3'))).toBe(true);
  });

  it('gives up after three rejected pushes with one sentence', async () => {
    const { clone, origin } = originAndClone(root);
    const other = path.join(root, 'other');
    sh(root, 'clone', '--quiet', origin, other);
    const real = gitExec(clone, gitEnv);
    let pushes = 0;
    // Another writer wins the race before every push.
    const racing: GitExec = async (args, o) => {
      if (args[0] === 'push') {
        pushes++;
        commit(other, `race ${pushes}`);
        sh(other, 'push', '--quiet', 'origin', 'main');
      }
      return real(args, o);
    };
    await writeInventory(clone, 'y\n', '');
    await expect(
      commitInventory(racing, { files: FILES, vmNames: ['a'], tags: [], branch: 'main' }),
    ).rejects.toThrow(/^Could not push the inventory commit to main after 3 attempts/);
    expect(pushes).toBe(3);
  });

  it('aborts a conflicting rebase and names the files', async () => {
    const { clone, origin } = originAndClone(root);
    const other = path.join(root, 'other');
    sh(root, 'clone', '--quiet', origin, other);
    await writeInventory(other, 'theirs\n', '');
    sh(other, 'add', '.');
    sh(other, 'commit', '--quiet', '-m', 'theirs');
    sh(other, 'push', '--quiet', 'origin', 'main');
    await writeInventory(clone, 'ours\n', '');
    await expect(
      commitInventory(gitExec(clone, gitEnv), {
        files: FILES,
        vmNames: ['a'],
        tags: [],
        branch: 'main',
      }),
    ).rejects.toThrow(/conflicts with a concurrent change to inventory\/k8s\.ini/);
    expect(sh(clone, 'status', '--porcelain=v1', '--untracked-files=no')).toBe('');
  });
});

describe('inventoryCommitMessage', () => {
  it('shortens long VM lists in the subject and keeps every tag', () => {
    const names = Array.from({ length: 9 }, (_, i) => `k8s-${i}`);
    const msg = inventoryCommitMessage(names, ['k8s-0']);
    expect(msg.split('\n')[0]).toBe(
      'chore(inventory): k8s-0, k8s-1, k8s-2, k8s-3, k8s-4, k8s-5, and 3 more [ansible k8s-0]',
    );
    expect(msg).toContain('k8s-8');
  });
});
