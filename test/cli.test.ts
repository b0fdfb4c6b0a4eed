import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const cli = path.resolve('actions/cli/dist/index.cjs');
const run = (...args: string[]) =>
  spawnSync(process.execPath, ['--', cli, ...args], { encoding: 'utf8' });

describe('pve-gitops command line', () => {
  it('treats a missing command as a usage error: help on stderr, nothing on stdout, exit 64', () => {
    const r = run();
    expect(r.status).toBe(64);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('Usage: pve-gitops <command>');
  });

  it('prints help on stdout when asked, exit 0', () => {
    const r = run('--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Commands:\n(?: {2}.*\n)* {2}validate +Checks/m);
  });

  it('names an unknown command in one line, exit 64', () => {
    const r = run('frobnicate');
    expect(r.status).toBe(64);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain("Unknown command 'frobnicate'");
  });

  it('prints the package version', () => {
    const r = run('version');
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
