import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from './tags-helpers.js';

const root = path.resolve(import.meta.dirname, '..');
const dir = mkdtempSync(path.join(tmpdir(), 'pve-gitops-inv-cli-'));
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('pve-gitops inventory', () => {
  it('is up to date in this repository', async () => {
    expect(await cli('inventory', '--repo', root, '--check')).toMatchObject({ code: 0 });
  });

  it('reports a stale file with exit 1, writes it, then reports it current', async () => {
    cpSync(path.join(root, 'vms'), path.join(dir, 'vms'), { recursive: true });
    cpSync(path.join(root, 'pve-gitops.yaml'), path.join(dir, 'pve-gitops.yaml'));
    const stale = await cli('inventory', '--repo', dir, '--check');
    expect(stale.code).toBe(1);
    expect(stale.err).toContain('inventory/k8s.ini is out of date');
    expect(await cli('inventory', '--repo', dir)).toMatchObject({
      code: 0,
      out: 'Wrote inventory/k8s.ini.\n',
    });
    expect(await cli('inventory', '--repo', dir, '--check')).toMatchObject({ code: 0 });
    expect(readFileSync(path.join(dir, 'inventory/k8s.ini'), 'utf8')).toBe(
      readFileSync(path.join(root, 'inventory/k8s.ini'), 'utf8'),
    );
  });

  it('names the file at fault and writes nothing when a VM file is invalid', async () => {
    const bad = mkdtempSync(path.join(dir, 'bad-'));
    cpSync(path.join(root, 'vms'), path.join(bad, 'vms'), { recursive: true });
    writeFileSync(path.join(bad, 'vms', 'k8s-bad.yaml'), 'name: other\n');
    const r = await cli('inventory', '--repo', bad);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/error: vms\/k8s-bad\.yaml/);
    expect(() => readFileSync(path.join(bad, 'inventory/k8s.ini'))).toThrow();
  });
});
