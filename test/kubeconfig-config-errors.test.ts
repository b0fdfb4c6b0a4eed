// Config errors are errors everywhere (issue 12): `kubeconfig get` and the kubeconfig action
// fell back to the built-in Vault path whenever the repository had any error, and exited 0
// with the kubeconfig stored there — another cluster's credentials under the same context.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { normaliseK3sKubeconfig } from '../actions/lib/kubeconfig/kubeconfig.js';
import { publishKubeconfig } from '../actions/lib/kubeconfig/store.js';
import { VaultClient } from '../actions/lib/kubeconfig/vault-client.js';
import { memoryLogger } from '../actions/lib/log.js';
import { startKubeApi, type KubeApiSim } from '../sim/kube/index.js';
import { startVaultSim, type VaultSim } from '../sim/vault/index.js';
import { baseEnv, run } from './kube-helpers.js';

const root = path.resolve(import.meta.dirname, '..');
const cli = path.join(root, 'actions/cli/dist/index.cjs');
const action = path.join(root, 'actions/kubeconfig/dist/index.cjs');
const work = mkdtempSync(path.join(tmpdir(), 'kubeconfig-config-'));
let vault: VaultSim;
let kube: KubeApiSim;

// One context name in two places: the built-in path holds cluster A (127.0.0.1), the path
// this repository configures holds cluster B (127.0.0.2).
const DEFAULT_PATH = 'cluster-secret-store/secrets/KUBECONFIG';
const TEAM_PATH = 'team-b/KUBECONFIG';

beforeAll(async () => {
  [vault, kube] = await Promise.all([
    startVaultSim(),
    startKubeApi({ name: 'k8s-prod', port: 0, readyDelayMs: 0 }),
  ]);
  const client = new VaultClient({ addr: vault.addr, token: vault.rootToken });
  for (const [p, address] of [
    [DEFAULT_PATH, '127.0.0.1'],
    [TEAM_PATH, '127.0.0.2'],
  ] as const) {
    const entry = normaliseK3sKubeconfig(kube.kubeconfig(), {
      name: 'k8s-prod',
      address,
      source: 'k8s-prod',
    });
    await publishKubeconfig({
      vault: client,
      location: { mount: 'kv', path: p, key: 'KUBECONFIG' },
      entries: [entry],
      log: memoryLogger(),
    });
  }
});
afterAll(async () => {
  await Promise.all([vault.stop(), kube.stop()]);
  rmSync(work, { recursive: true, force: true });
});

function repo(name: string, config: string, vmFile = 'name: k8s-prod\ntarget_node: pve1\n') {
  const dir = path.join(work, name);
  mkdirSync(path.join(dir, 'vms'), { recursive: true });
  writeFileSync(path.join(dir, 'pve-gitops.yaml'), config);
  writeFileSync(path.join(dir, 'vms', 'k8s-prod.yaml'), vmFile);
  return dir;
}

const serverOf = (text: string) =>
  (parse(text) as { clusters: Array<{ cluster: { server: string } }> }).clusters[0].cluster.server;

function get(dir: string, out: string) {
  const env = { ...baseEnv(), VAULT_ADDR: vault.addr, VAULT_TOKEN: vault.rootToken };
  return run(
    process.execPath,
    [cli, 'kubeconfig', 'get', '--repo', dir, '--context', 'k8s-prod', '--out', out],
    env,
  );
}

describe('kubeconfig get', () => {
  it('refuses an invalid pve-gitops.yaml in one sentence, writing nothing', async () => {
    const dir = repo('bad-key', `vault:\n  path: ${TEAM_PATH}\ncolour: red\n`);
    const out = path.join(dir, 'kubeconfig');
    const r = await get(dir, out);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^error: pve-gitops\.yaml:3:1: .*colour.*nothing was done\.$/m);
    expect(r.stdout).toBe('');
    expect(existsSync(out)).toBe(false);
  });

  it('refuses a vault.path that leaves its mount, naming the file and line', async () => {
    const dir = repo('traversal', 'vault:\n  path: ../../sys/mounts\n');
    const out = path.join(dir, 'kubeconfig');
    const r = await get(dir, out);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^error: pve-gitops\.yaml:2:9: vault\.path `\.\.\/\.\.\/sys\/mounts` must be plain path segments/m,
    );
    expect(existsSync(out)).toBe(false);
  });

  it('reads the configured path even when a VM file is broken (VM files do not matter to get)', async () => {
    const dir = repo('vm-broken', `vault:\n  path: ${TEAM_PATH}\n`, 'name: [\n');
    const out = path.join(dir, 'kubeconfig');
    const r = await get(dir, out);
    expect(r.code, r.stderr).toBe(0);
    expect(serverOf(readFileSync(out, 'utf8'))).toMatch(/^https:\/\/127\.0\.0\.2:/);
  });
});

describe('the kubeconfig action', () => {
  function runAction(dir: string) {
    const temp = mkdtempSync(path.join(work, 'runner-'));
    const env: NodeJS.ProcessEnv = {
      ...baseEnv(),
      GITHUB_WORKSPACE: dir,
      GITHUB_ENV: path.join(temp, 'env'),
      GITHUB_OUTPUT: path.join(temp, 'output'),
      RUNNER_TEMP: temp,
      INPUT_CONTEXT: 'k8s-prod',
      'INPUT_VAULT-ADDR': vault.addr,
      'INPUT_VAULT-TOKEN': vault.rootToken,
    };
    writeFileSync(env.GITHUB_ENV!, '');
    writeFileSync(env.GITHUB_OUTPUT!, '');
    return run(process.execPath, [action], env).then((r) => ({ ...r, env, temp }));
  }

  it('fails on an invalid pve-gitops.yaml in the workspace: no file, no KUBECONFIG', async () => {
    const dir = repo('action-bad', `vault:\n  path: ${TEAM_PATH}\n  colour: red\n`);
    const r = await runAction(dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/::error::pve-gitops\.yaml:3:3: /);
    expect(readFileSync(r.env.GITHUB_ENV!, 'utf8')).toBe('');
    expect(readFileSync(r.env.GITHUB_OUTPUT!, 'utf8')).toBe('');
  });

  it("takes vault.path from the workspace's pve-gitops.yaml", async () => {
    const dir = repo('action-ok', `vault:\n  path: ${TEAM_PATH}\n`);
    const r = await runAction(dir);
    expect(r.code, r.stdout).toBe(0);
    const out = readFileSync(r.env.GITHUB_OUTPUT!, 'utf8');
    const file = /kubeconfig-path<<(\S+)\n(.*)\n\1/.exec(out)?.[2];
    expect(serverOf(readFileSync(file!, 'utf8'))).toMatch(/^https:\/\/127\.0\.0\.2:/);
  });
});
