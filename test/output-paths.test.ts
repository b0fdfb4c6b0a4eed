// Every output path a user names (`kubeconfig get --out`, `plan --out`, the kubeconfig
// action's `file` input) is written through a temporary file and a rename in the same
// directory; a symbolic link, directory, device or pipe there is refused in one sentence and
// left as it was, and a missing parent directory is an error, never created silently.
import { execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normaliseK3sKubeconfig } from '../actions/lib/kubeconfig/kubeconfig.js';
import { publishKubeconfig } from '../actions/lib/kubeconfig/store.js';
import { VaultClient } from '../actions/lib/kubeconfig/vault-client.js';
import { memoryLogger } from '../actions/lib/log.js';
import { startKubeApi, type KubeApiSim } from '../sim/kube/index.js';
import { startVaultSim, type VaultSim } from '../sim/vault/index.js';
import { baseEnv, run } from './kube-helpers.js';

const CLI = path.resolve('actions/cli/dist/index.cjs');
const BUNDLE = path.resolve('actions/kubeconfig/dist/index.cjs');
let vault: VaultSim;
let kube: KubeApiSim;
const dir = mkdtempSync(path.join(tmpdir(), 'output-paths-'));
const victim = path.join(dir, 'victim.txt');

beforeAll(async () => {
  [vault, kube] = await Promise.all([
    startVaultSim(),
    startKubeApi({ name: 'k8s-out', port: 0, readyDelayMs: 0 }),
  ]);
  await publishKubeconfig({
    vault: new VaultClient({ addr: vault.addr, token: vault.rootToken }),
    location: { mount: 'kv', path: 'cluster-secret-store/secrets/KUBECONFIG', key: 'KUBECONFIG' },
    entries: [
      normaliseK3sKubeconfig(kube.kubeconfig(), {
        name: 'k8s-out',
        address: '127.0.0.1',
        source: 'k8s-out',
      }),
    ],
    log: memoryLogger(),
  });
});
afterAll(async () => {
  await Promise.all([vault.stop(), kube.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

/** `pve-gitops kubeconfig get --context k8s-out --out <out>` outside any repository. */
const getKubeconfig = (out: string) =>
  run(process.execPath, ['--', CLI, 'kubeconfig', 'get', '--context', 'k8s-out', '--out', out], {
    ...baseEnv(),
    VAULT_ADDR: vault.addr,
    VAULT_TOKEN: vault.rootToken,
  });

/** The sentence refusing `out`, checked to be the whole of stderr's last line. */
function refused(r: { code: number; stderr: string }, sentence: string) {
  expect(r.code).toBe(1);
  const last = r.stderr.trim().split('\n').at(-1) ?? '';
  expect(last).toContain(sentence);
  expect(r.stderr).not.toMatch(/EISDIR|ENOENT|EEXIST|at .*\.cjs:\d+/);
}

describe('kubeconfig get --out', () => {
  it('writes a new 0600 file through a temporary file that does not stay behind', async () => {
    const out = path.join(dir, 'ok', 'config');
    mkdirSync(path.dirname(out));
    const r = await getKubeconfig(out);
    expect(r.stderr.split('\n').filter((l) => /error/i.test(l))).toEqual([]);
    expect(r.code).toBe(0);
    expect(readFileSync(out, 'utf8')).toContain('k8s-out');
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(readdirSync(path.dirname(out))).toEqual(['config']);
  });

  it('refuses a symbolic link, leaving the link and its target as they were', async () => {
    writeFileSync(victim, 'not a kubeconfig\n', { mode: 0o644 });
    const link = path.join(dir, 'link-config');
    symlinkSync(victim, link);
    const r = await getKubeconfig(link);
    refused(r, `--out ${link} is a symbolic link; name a regular file`);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readFileSync(victim, 'utf8')).toBe('not a kubeconfig\n');
  });

  it('refuses a directory in one sentence instead of a raw EISDIR', async () => {
    const d = path.join(dir, 'a-directory');
    mkdirSync(d);
    refused(await getKubeconfig(d), `--out ${d} is a directory; name a regular file`);
    expect(readdirSync(d)).toEqual([]);
  });

  it('refuses a named pipe (a device is refused the same way) and leaves it', async () => {
    const fifo = path.join(dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
    refused(await getKubeconfig(fifo), `--out ${fifo} is a named pipe; name a regular file`);
    expect(lstatSync(fifo).isFIFO()).toBe(true);
  });

  it('never creates a missing parent directory', async () => {
    const out = path.join(dir, 'typo', 'nested', 'config');
    refused(
      await getKubeconfig(out),
      `--out ${out} cannot be written: the directory ${path.dirname(out)} does not exist; create it first.`,
    );
    expect(existsSync(path.join(dir, 'typo'))).toBe(false);
  });
});

describe('plan --out', () => {
  it('refuses a symbolic link or a missing directory before asking the cluster anything', async () => {
    const link = path.join(dir, 'plan-link');
    symlinkSync(victim, link);
    const env = { ...baseEnv(), PROXMOX_URL: 'https://127.0.0.1:1' };
    const viaLink = await run(process.execPath, ['--', CLI, 'plan', '--out', link], env);
    refused(viaLink, `--out ${link} is a symbolic link; name a regular file`);
    const missing = path.join(dir, 'no-dir', 'plan.txt');
    const viaMissing = await run(process.execPath, ['--', CLI, 'plan', '--out', missing], env);
    refused(viaMissing, `the directory ${path.dirname(missing)} does not exist`);
    expect(existsSync(path.dirname(missing))).toBe(false);
  });
});

describe('inventory', () => {
  it('refuses to write inventory/k8s.ini through a symbolic link, leaving its target', async () => {
    const root = path.resolve(import.meta.dirname, '..');
    const repo = mkdtempSync(path.join(dir, 'repo-'));
    cpSync(path.join(root, 'vms'), path.join(repo, 'vms'), { recursive: true });
    cpSync(path.join(root, 'pve-gitops.yaml'), path.join(repo, 'pve-gitops.yaml'));
    mkdirSync(path.join(repo, 'inventory'));
    writeFileSync(victim, 'not an inventory\n', { mode: 0o644 });
    const ini = path.join(repo, 'inventory', 'k8s.ini');
    symlinkSync(victim, ini);
    const r = await run(process.execPath, ['--', CLI, 'inventory', '--repo', repo], baseEnv());
    refused(r, `The generated file ${ini} is a symbolic link; name a regular file`);
    expect(readFileSync(victim, 'utf8')).toBe('not an inventory\n');
    expect(lstatSync(ini).isSymbolicLink()).toBe(true);
  });
});

describe('the kubeconfig action', () => {
  it("refuses a symbolic link as its file input before asking Vault, leaving the link's target", async () => {
    writeFileSync(victim, 'not a kubeconfig\n', { mode: 0o644 });
    const link = path.join(dir, 'action-link');
    symlinkSync(victim, link);
    const d = mkdtempSync(path.join(dir, 'runner-'));
    const files = { GITHUB_OUTPUT: path.join(d, 'output'), GITHUB_ENV: path.join(d, 'env') };
    for (const f of Object.values(files)) writeFileSync(f, '');
    const r = await run(process.execPath, [BUNDLE], {
      ...baseEnv(),
      ...files,
      RUNNER_TEMP: d,
      GITHUB_WORKSPACE: d,
      INPUT_CONTEXT: 'k8s-out',
      INPUT_FILE: link,
      'INPUT_VAULT-ADDR': vault.addr,
      'INPUT_VAULT-TOKEN': vault.rootToken,
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      `::error::The file input ${link} is a symbolic link; name a regular file`,
    );
    expect(readFileSync(victim, 'utf8')).toBe('not a kubeconfig\n');
    expect(readFileSync(files.GITHUB_ENV, 'utf8')).not.toContain('KUBECONFIG');
  });
});
