import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { cli, commit, originAndClone, sh } from './tags-helpers.js';

const root = mkdtempSync(path.join(tmpdir(), 'pve-gitops-cli-'));
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});
afterEach(() => {
  vi.restoreAllMocks();
});

describe('pve-gitops tags', () => {
  const { clone } = originAndClone(mkdtempSync(path.join(root, 'r-')));
  mkdirSync(path.join(clone, 'vms'));
  writeFileSync(path.join(clone, 'vms', 'k8s-foo.yaml'), 'name: k8s-foo\n');
  const base = sh(clone, 'rev-parse', 'HEAD');
  commit(clone, 'one [ansible k8s-foo]');
  const head = commit(clone, 'two [ansible haproxy] [ansible k8s-foo]');

  it('prints one playbook run a line for a message, a range and an event', async () => {
    expect(await cli('tags', '--repo', clone, '--message', 'x [ansible haproxy]')).toMatchObject({
      code: 0,
      out: 'haproxy.yml\n',
    });
    expect(await cli('tags', '--repo', clone, '--range', `${base}..${head}`)).toMatchObject({
      code: 0,
      out: 'k8s.yml --limit k8s-foo\nhaproxy.yml\n',
    });
    sh(clone, 'tag', 'v1.0', base);
    expect(await cli('tags', '--repo', clone, '--range', `v1.0..${head}`)).toMatchObject({
      code: 0,
      out: 'k8s.yml --limit k8s-foo\nhaproxy.yml\n',
    });
    expect((await cli('tags', '--repo', clone, '--range', 'v1.0...HEAD')).code).toBe(1);
    const event = path.join(root, 'event.json');
    writeFileSync(event, JSON.stringify({ before: '0'.repeat(40), after: head }));
    expect(await cli('tags', '--repo', clone, '--event', event)).toMatchObject({
      code: 0,
      out: 'haproxy.yml\nk8s.yml --limit k8s-foo\n',
    });
    writeFileSync(event, JSON.stringify({ inputs: { playbook: 'k8s-foo' } }));
    expect((await cli('tags', '--repo', clone, '--event', event)).out).toContain(
      'k8s.yml --limit k8s-foo\n',
    );
  });

  it('exits 1 with one sentence on a bad tag and 64 on bad usage', async () => {
    const bad = await cli('tags', '--repo', clone, '--message', 'x [ansible $(id)]');
    expect(bad.code).toBe(1);
    expect(bad.out).toBe('');
    expect(bad.err).toMatch(
      /error: Commit message "x \[ansible \$\(id\)\]": .* Nothing was run\.\n$/,
    );
    expect((await cli('tags', '--repo', clone)).code).toBe(64);
    expect((await cli('tags', '--repo', clone, '--message', 'a', '--range', 'a..b')).code).toBe(64);
    const range = await cli('tags', '--repo', clone, '--range', 'HEAD..nope');
    expect(range).toMatchObject({ code: 1 });
    expect(range.err).toContain('nope is not a commit');
  });
});
