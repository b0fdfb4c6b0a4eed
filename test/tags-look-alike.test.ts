// Look-alike [ansible NAME] tags (issue 12): text a reader takes for a tag was ignored with
// exit 0, so the playbook its author asked for never ran. Now a warning on a pull request and
// a failure before apply; invisible and look-alike characters are shown as \u{…}.
import { mkdtempSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectPlaybooks } from '../actions/lib/gitops/collect.js';
import { findLookAlikeTags } from '../actions/lib/gitops/look-alike-tags.js';
import { ConfigurationError } from '../actions/lib/errors.js';
import { buildAction, cli, commit, originAndClone, runAction } from './tags-helpers.js';

const LOOK_ALIKES = [
  ['fullwidth brackets', 'fix: proxy ［ansible haproxy］', '\\u{FF3B}ansible haproxy\\u{FF3D}'],
  ['a Cyrillic а', 'fix: proxy [\u0430nsible haproxy]', '[\\u{0430}nsible haproxy]'],
  ['a space after the bracket', 'fix: proxy [ ansible haproxy]', '[ ansible haproxy]'],
  ['a zero-width space', 'fix: proxy [\u200bansible haproxy]', '[\\u{200B}ansible haproxy]'],
  ['fullwidth letters', 'fix: ［ａｎｓｉｂｌｅ haproxy］', '\\u{FF3B}\\u{FF41}'],
] as const;

describe('findLookAlikeTags', () => {
  it.each(LOOK_ALIKES)('finds a tag with %s, shown as read', (_what, text, shown) => {
    const found = findLookAlikeTags(text);
    expect(found).toHaveLength(1);
    expect(found[0]).toContain(shown);
  });

  it('leaves real tags and ordinary brackets alone', () => {
    expect(findLookAlikeTags('feat: x [ansible haproxy] [skip ci] [Ansible x] ［note］')).toEqual(
      [],
    );
  });
});

describe('collectPlaybooks with a look-alike tag', () => {
  const resolver = { playbookExists: (f: string) => f === 'haproxy.yml' };
  const commits = [
    { sha: 'a'.repeat(40), authorEmail: 'dev@example.test', message: LOOK_ALIKES[1][1] },
  ];

  it('fails by default, naming the commit and the text as read', () => {
    expect(() => collectPlaybooks({ commits, resolver })).toThrow(ConfigurationError);
    expect(() => collectPlaybooks({ commits, resolver })).toThrow(
      /^Commit aaaaaaa "fix: proxy \[\\u\{0430\}nsible haproxy\]": '\[\\u\{0430\}nsible haproxy\]' looks like a tag but is not one/,
    );
  });

  it('is a warning when asked (a pull request), running nothing for it', () => {
    const r = collectPlaybooks({ commits, resolver, lookAlikes: 'warning' });
    expect(r.runs).toEqual([]);
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatch(/looks like a tag but is not one/);
  });
});

describe('the tags command and action', () => {
  let root: string;
  let bundle: string;
  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'pve-gitops-look-alike-'));
    bundle = await buildAction('tags', path.join(root, 'dist'));
  }, 60_000);
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('the CLI exits 1 on a look-alike, and 0 with a warning under --look-alikes warn', async () => {
    const { clone } = originAndClone(mkdtempSync(path.join(root, 'cli-')), ['haproxy.yml']);
    const failed = await cli('tags', '--repo', clone, '--message', LOOK_ALIKES[0][1]);
    expect(failed.code).toBe(1);
    expect(failed.out).toBe('');
    expect(failed.err).toMatch(/looks like a tag but is not one/);
    const warned = await cli(
      'tags',
      '--repo',
      clone,
      '--message',
      LOOK_ALIKES[0][1],
      '--look-alikes',
      'warn',
    );
    expect(warned).toMatchObject({ code: 0, out: '' });
    expect(warned.err).toMatch(/\\u\{FF3B\}ansible haproxy\\u\{FF3D\}' looks like a tag/);
  });

  it('the action fails the apply check and only warns on a pull request', () => {
    const { clone } = originAndClone(mkdtempSync(path.join(root, 'action-')), ['haproxy.yml']);
    commit(clone, LOOK_ALIKES[2][1]);
    const outputFile = path.join(clone, '..', 'out');
    const inputs = { source: 'message', message: LOOK_ALIKES[2][1], 'fetch-applied-ref': 'false' };
    const apply = runAction(bundle, { cwd: clone, outputFile, inputs });
    expect(apply.code).toBe(1);
    expect(apply.stdout).toMatch(/::error::.*'\[ ansible haproxy\]' looks like a tag/);
    const pr = runAction(bundle, {
      cwd: clone,
      outputFile,
      inputs: { ...inputs, 'look-alikes': 'warn' },
    });
    expect(pr.code).toBe(0);
    expect(pr.stdout).toMatch(/::warning::.*'\[ ansible haproxy\]' looks like a tag/);
    expect(pr.outputs.playbooks).toBe('');
  });
});
