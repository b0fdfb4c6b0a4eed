import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigurationError } from '../actions/lib/errors.js';
import { fetchAppliedRef, markApplied } from '../actions/lib/gitops/applied-ref.js';
import { collectPlaybooks, commitRange, commitsIn } from '../actions/lib/gitops/collect.js';
import { APPLIED_REF, BOT_EMAIL, gitExec } from '../actions/lib/gitops/git.js';
import {
  extractTags,
  formatRun,
  parseRun,
  resolveTag,
  type TagResolver,
} from '../actions/lib/gitops/tags.js';
import { commit, gitEnv, originAndClone, sh } from './tags-helpers.js';

const resolver: TagResolver = {
  playbookExists: (f) => ['k8s.yml', 'haproxy.yml', 'k3s-agent.yml'].includes(f),
  hostExists: (n) => ['k8s-foo', 'k8s-bar'].includes(n),
};

describe('extractTags', () => {
  it('finds every well-formed tag in order', () => {
    expect(extractTags('feat: x [ansible haproxy]\n\nand [ansible k8s-foo] too')).toEqual({
      names: ['haproxy', 'k8s-foo'],
      errors: [],
    });
    expect(extractTags('no tags here').names).toEqual([]);
  });

  it.each([
    '[ansible ../etc/passwd]',
    '[ansible a/b]',
    '[ansible a..b]',
    '[ansible two words]',
    '[ansible  haproxy]',
    '[ansible $(reboot)]',
    '[ansible x;rm]',
    '[ansible haproxy',
    '[ansible]',
    '[Ansible haproxy]',
    '[ansible-lint]',
    '[ansible Haproxy]',
    `[ansible ${'a'.repeat(64)}]`,
  ])('refuses %s', (text) => {
    const r = extractTags(`fix: ${text}`);
    expect(r.names).toEqual([]);
    expect(r.errors).toHaveLength(1);
  });
});

describe('resolveTag', () => {
  it('maps a playbook name to its file and a k8s-* VM to k8s.yml limited to it', () => {
    expect(resolveTag('haproxy', resolver)).toEqual({ playbook: 'haproxy.yml' });
    expect(resolveTag('k8s', resolver)).toEqual({ playbook: 'k8s.yml' });
    expect(resolveTag('k8s-foo', resolver)).toEqual({ playbook: 'k8s.yml', limit: 'k8s-foo' });
    expect(resolveTag('k8s-nope', resolver)).toMatch(/no vms\/k8s-nope\.yaml/);
    expect(resolveTag('nginx', resolver)).toMatch(/no playbooks\/nginx\.yml/);
  });

  it('prints and parses one run per line', () => {
    expect(formatRun({ playbook: 'k8s.yml', limit: 'k8s-foo' })).toBe('k8s.yml --limit k8s-foo');
    expect(parseRun('k8s.yml --limit k8s-foo')).toEqual({ playbook: 'k8s.yml', limit: 'k8s-foo' });
    expect(() => parseRun('k8s.yml --limit k8s-foo; reboot')).toThrow(ConfigurationError);
    expect(() => parseRun('../x.yml')).toThrow(ConfigurationError);
  });
});

describe('collectPlaybooks', () => {
  const c = (sha: string, message: string, authorEmail = 'dev@example.test') => ({
    sha,
    message,
    authorEmail,
  });

  it('de-duplicates in first-seen order across commits, dispatch input and new VMs', () => {
    const r = collectPlaybooks({
      commits: [
        c('a'.repeat(40), 'one [ansible k8s-foo]'),
        c('b'.repeat(40), 'two [ansible haproxy] [ansible k8s-foo]'),
        c('c'.repeat(40), 'chore(inventory): k8s-foo [ansible k8s-bar]', BOT_EMAIL),
      ],
      resolver,
      dispatchPlaybook: 'haproxy',
      newVms: [
        { name: 'haproxy-2', file: 'vms/haproxy-2.yaml', playbook: 'haproxy' },
        { name: 'k8s-bar', file: 'vms/k8s-bar.yaml' },
      ],
    });
    expect(r.runs.map(formatRun)).toEqual([
      'k8s.yml --limit k8s-foo',
      'haproxy.yml',
      'haproxy.yml --limit haproxy-2',
    ]);
    expect(r.tags).toEqual(['k8s-foo', 'haproxy']);
  });

  it('names the commit by short SHA and subject and runs nothing when any tag is bad', () => {
    let err: unknown;
    try {
      collectPlaybooks({
        commits: [
          c('1234567890'.repeat(4), 'ok [ansible haproxy]'),
          c('abcdef1'.repeat(5) + 'abcde', 'bad\n\n[ansible ../x]'),
        ],
        resolver,
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigurationError);
    expect((err as Error).message).toMatch(
      /^Commit abcdef1 "bad": '\[ansible \.\.\/x\]' is not a valid tag.*Nothing was run\.$/,
    );
    expect(() =>
      collectPlaybooks({ commits: [c('f'.repeat(40), 'x [ansible nginx]')], resolver }),
    ).toThrow(/Commit fffffff "x \[ansible nginx\]": \[ansible nginx\] names no playbook/);
    expect(() => collectPlaybooks({ commits: [], resolver, dispatchPlaybook: 'a b' })).toThrow(
      /workflow_dispatch/,
    );
    expect(() =>
      collectPlaybooks({
        commits: [],
        resolver,
        newVms: [{ name: 'web', file: 'vms/web.yaml', playbook: 'nginx' }],
      }),
    ).toThrow(/^vms\/web\.yaml: playbook:/);
  });
});

describe('commit ranges with real git', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'pve-gitops-tags-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('reads every commit since the applied ref, not just the last 20 or HEAD', async () => {
    const { clone } = originAndClone(root);
    const exec = gitExec(clone, gitEnv);
    const base = sh(clone, 'rev-parse', 'HEAD');
    await markApplied(exec, base);
    expect(sh(path.join(root, 'origin.git'), 'rev-parse', APPLIED_REF)).toBe(base);

    commit(clone, 'early [ansible haproxy]');
    for (let i = 0; i < 25; i++) commit(clone, `filler ${i}`);
    commit(clone, 'late [ansible k8s-foo]');
    const head = sh(clone, 'rev-parse', 'HEAD');
    sh(clone, 'push', '--quiet', 'origin', 'main');

    // A fresh clone, as a runner gets it, must fetch the applied ref itself.
    const runner = path.join(root, 'runner');
    sh(root, 'clone', '--quiet', path.join(root, 'origin.git'), runner);
    const rexec = gitExec(runner, gitEnv);
    expect(await fetchAppliedRef(rexec)).toBe(base);
    const range = await commitRange(rexec, { before: head, after: head });
    expect(range).toEqual({ from: base, to: head, basis: 'applied-ref' });
    const commits = await commitsIn(rexec, range);
    expect(commits).toHaveLength(27);
    expect(collectPlaybooks({ commits, resolver }).runs.map(formatRun)).toEqual([
      'haproxy.yml',
      'k8s.yml --limit k8s-foo',
    ]);

    // Once applied, the same tags are not run again.
    await markApplied(rexec, head);
    const next = commit(runner, 'next');
    const r2 = await commitRange(rexec, { after: next });
    expect(r2.basis).toBe('applied-ref');
    expect(collectPlaybooks({ commits: await commitsIn(rexec, r2), resolver }).runs).toEqual([]);
  });

  it('falls back to before..after, then to HEAD alone', async () => {
    const { clone } = originAndClone(root);
    const exec = gitExec(clone, gitEnv);
    const before = sh(clone, 'rev-parse', 'HEAD');
    commit(clone, 'a [ansible haproxy]');
    const after = commit(clone, 'b [ansible k8s-bar]');
    const r = await commitRange(exec, { before, after });
    expect(r).toEqual({ from: before, to: after, basis: 'push' });
    expect((await commitsIn(exec, r)).map((x) => x.message)).toEqual([
      'a [ansible haproxy]',
      'b [ansible k8s-bar]',
    ]);

    const zero = await commitRange(exec, { before: '0'.repeat(40), after });
    expect(zero).toEqual({ to: after, basis: 'head' });
    expect((await commitsIn(exec, zero)).map((x) => x.message)).toEqual(['b [ansible k8s-bar]']);
    expect((await commitRange(exec, { before: 'f'.repeat(40), after })).basis).toBe('head');
    expect((await commitRange(exec, {})).to).toBe(after);
  });

  it('never moves the applied ref backwards', async () => {
    const { clone, origin } = originAndClone(root);
    const exec = gitExec(clone, gitEnv);
    const old = sh(clone, 'rev-parse', 'HEAD');
    const newer = commit(clone, 'x');
    sh(clone, 'push', '--quiet', 'origin', 'main');
    expect(await markApplied(exec, newer)).toBe('moved');
    expect(await markApplied(exec, old)).toBe('unchanged');
    expect(sh(origin, 'rev-parse', APPLIED_REF)).toBe(newer);
    expect(existsSync(path.join(clone, '.git'))).toBe(true);
  });
});
