import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APPLIED_REF } from '../actions/lib/gitops/git.js';
import { buildAction, commit, originAndClone, runAction, sh } from './tags-helpers.js';

let root: string;
let bundle: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'pve-gitops-tags-action-'));
  bundle = await buildAction('tags', path.join(root, 'dist'));
}, 60_000);
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('the tags action bundle', () => {
  it('collects tags since the applied ref from a push event, then records the apply', async () => {
    const work = await mkdtemp(path.join(root, 'ok-'));
    const { clone, origin } = originAndClone(work);
    const before = sh(clone, 'rev-parse', 'HEAD');
    mkdirSync(path.join(clone, 'vms'));
    writeFileSync(path.join(clone, 'vms', 'k8s-foo.yaml'), 'name: k8s-foo\n');
    sh(clone, 'add', 'vms');
    sh(clone, 'commit', '--quiet', '-m', 'feat: add k8s-foo [ansible k8s-foo]');
    const after = commit(clone, 'fix: proxy [ansible haproxy]');
    sh(clone, 'push', '--quiet', 'origin', 'main');
    const event = path.join(work, 'event.json');
    await writeFile(event, JSON.stringify({ before, after, commits: [] }));
    const outputFile = path.join(work, 'out');

    const r = runAction(bundle, {
      cwd: clone,
      outputFile,
      inputs: {
        'working-directory': '.',
        'fetch-applied-ref': 'true',
        playbook: '',
        'new-hosts': '',
        'mark-applied': '',
        source: 'event',
        message: '',
      },
      env: { GITHUB_EVENT_PATH: event, GITHUB_EVENT_NAME: 'push' },
    });
    expect(r.code, r.stdout).toBe(0);
    expect(r.outputs.playbooks).toBe('k8s.yml --limit k8s-foo\nhaproxy.yml');
    expect(JSON.parse(r.outputs['playbooks-json'])).toEqual([
      { playbook: 'k8s.yml', limit: 'k8s-foo' },
      { playbook: 'haproxy.yml' },
    ]);
    expect(r.outputs.tags).toBe('k8s-foo haproxy');

    const marked = runAction(bundle, {
      cwd: clone,
      outputFile,
      inputs: { 'fetch-applied-ref': 'true', 'mark-applied': after },
    });
    expect(marked.code).toBe(0);
    expect(marked.outputs.applied).toBe('moved');
    expect(sh(origin, 'rev-parse', APPLIED_REF)).toBe(after);

    // The next push carries only its own tags.
    const next = commit(clone, 'docs: nothing to run');
    await writeFile(event, JSON.stringify({ before: after, after: next }));
    const again = runAction(bundle, {
      cwd: clone,
      outputFile,
      inputs: { 'fetch-applied-ref': 'true' },
      env: { GITHUB_EVENT_PATH: event },
    });
    expect(again.code).toBe(0);
    expect(again.outputs.playbooks).toBe('');
    expect(again.outputs.count).toBe('0');
  });

  it('fails naming the commit when a tag is bad, and outputs nothing', async () => {
    const work = await mkdtemp(path.join(root, 'bad-'));
    const { clone } = originAndClone(work);
    const before = sh(clone, 'rev-parse', 'HEAD');
    commit(clone, 'ok [ansible haproxy]');
    const bad = commit(clone, 'oops [ansible ../../etc/shadow]');
    const event = path.join(work, 'event.json');
    await writeFile(event, JSON.stringify({ before, after: bad }));
    const r = runAction(bundle, {
      cwd: clone,
      outputFile: path.join(work, 'out'),
      inputs: { 'fetch-applied-ref': 'true' },
      env: { GITHUB_EVENT_PATH: event },
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      `::error::Commit ${bad.slice(0, 7)} "oops [ansible ../../etc/shadow]"`,
    );
    expect(r.outputs.playbooks).toBeUndefined();
  });
});
