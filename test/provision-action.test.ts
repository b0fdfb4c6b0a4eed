import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startVmHosts, type VmHosts } from '../sim/hosts/vm-hosts.js';
import { keyPair, randomLoopback, writeRepo } from './provision-helpers.js';
import { parseOutputs } from './tags-helpers.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const BUNDLE = path.join(ROOT, 'actions', 'provision', 'dist', 'index.cjs');
const TOKEN = 'k3s-token-action-9Hq2Lw';
const A = { name: 'k8s-a', ip: randomLoopback() };
const B = { name: 'k8s-b', ip: randomLoopback() };

let root: string;
let vms: VmHosts;
let key: ReturnType<typeof keyPair>;
let n = 0;

const marker = (name: string) =>
  path.join(vms.hosts.find((h) => h.name === name)!.dirs['/var/lib/rancher'], 'marker');

/** Runs the provision bundle with the runner's contract. */
function runBundle(
  repo: string,
  inputs: Record<string, string>,
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; outputs: Record<string, string>; temp: string }> {
  const dir = path.join(root, `run-${++n}`);
  const temp = path.join(dir, 'temp');
  mkdirSync(temp, { recursive: true });
  const out = path.join(dir, 'output');
  writeFileSync(out, '');
  const inputEnv = Object.fromEntries(
    Object.entries(inputs).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v]),
  );
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BUNDLE],
      {
        cwd: repo,
        encoding: 'utf8',
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          HOME: root,
          GITHUB_WORKSPACE: repo,
          GITHUB_OUTPUT: out,
          RUNNER_TEMP: temp,
          ...inputEnv,
          ...env,
        },
      },
      (err, stdout, stderr) =>
        resolve({
          code: err ? Number(err.code ?? 1) : 0,
          stdout: stdout + stderr,
          outputs: parseOutputs(readFileSync(out, 'utf8')),
          temp,
        }),
    );
  });
}

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'pve-gitops-provision-action-'));
  key = keyPair(root);
  vms = await startVmHosts({
    vms: [A, B],
    authorizedKey: key.publicKey,
    stateDir: path.join(root, 'vms'),
  });
});
afterAll(async () => {
  await vms?.stop();
  await rm(root, { recursive: true, force: true });
});

async function repo(hosts = [A, B]): Promise<string> {
  const r = await mkdtemp(path.join(root, 'repo-'));
  writeRepo(r, hosts);
  return r;
}

describe('the provision action bundle', () => {
  it('provisions the new host only, with secrets masked and the key file gone', async () => {
    rmSync(marker('k8s-a'), { force: true });
    rmSync(marker('k8s-b'), { force: true });
    const r = await runBundle(await repo(), {
      playbooks: '',
      'new-hosts': `${B.ip},k8s-b\n`,
      'ssh-private-key': key.privateKey,
      'k3s-token': TOKEN,
      'known-hosts': readFileSync(vms.knownHostsFile, 'utf8'),
      simulator: 'true',
    });
    expect(r.code, r.stdout).toBe(0);
    expect(r.outputs).toEqual({ provisioned: 'k8s-b', runs: '1' });
    expect(readFileSync(marker('k8s-b'), 'utf8')).toBe('k8s-b\n');
    expect(existsSync(marker('k8s-a'))).toBe(false);
    expect(r.stdout).toContain('::group::playbooks/k8s.yml on k8s-b (1/1)');
    // The runner masks what ::add-mask:: announces; nothing else may carry a secret.
    const shown = r.stdout
      .split('\n')
      .filter((l) => !l.startsWith('::add-mask::'))
      .join('\n');
    expect(shown).not.toContain(TOKEN);
    expect(shown).not.toContain(key.privateKey.split('\n')[1]);
    expect(r.stdout).toContain(`::add-mask::${TOKEN}`);
    expect(readdirSync(r.temp)).toEqual([]);
  });

  it('says there is nothing to do and exits 0 without a key', async () => {
    const r = await runBundle(await repo(), {
      playbooks: '',
      'new-hosts': '',
      'ssh-private-key': '',
    });
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toContain('Nothing to provision: no new hosts and no playbook runs.');
    expect(r.outputs).toEqual({ provisioned: '', runs: '0' });
  });

  it('refuses non-loopback targets under PVE_GITOPS_SIMULATOR, a missing key and a hostile line', async () => {
    const far = await repo([A, { name: 'k8s-far', ip: '192.168.1.50' }]);
    const sim = await runBundle(
      far,
      { playbooks: 'k8s.yml', 'ssh-private-key': key.privateKey },
      { PVE_GITOPS_SIMULATOR: 'true' },
    );
    expect(sim.code).toBe(1);
    expect(sim.stdout).toContain(
      '::error::Simulator mode: k8s-far in inventory/k8s.ini has the address 192.168.1.50',
    );
    expect(sim.stdout).not.toContain('ansible-playbook');

    const nokey = await runBundle(far, {
      playbooks: 'k8s.yml --limit k8s-a',
      'ssh-private-key': '',
    });
    expect(nokey.code).toBe(1);
    expect(nokey.stdout).toContain(
      '::error::The ssh-private-key input is empty; set the repository secret SSH_PRIVATE_KEY.',
    );

    const hostile = await runBundle(far, {
      playbooks: '../../etc/passwd.yml\nk8s.yml --limit k8s-a;rm -rf /',
      'ssh-private-key': key.privateKey,
    });
    expect(hostile.code).toBe(1);
    expect(hostile.stdout).toContain(
      "::error::'../../etc/passwd.yml' is not a playbook line like 'k8s.yml --limit k8s-foo'.",
    );
  });
});

describe('pve-gitops provision', () => {
  it('runs a tag limited to one host, and refuses a bad --playbook with exit 64', async () => {
    const r = await repo();
    rmSync(marker('k8s-a'), { force: true });
    rmSync(marker('k8s-b'), { force: true });
    mkdirSync(path.join(r, 'vms'));
    writeFileSync(path.join(r, 'vms', 'k8s-a.yaml'), 'name: k8s-a\n');
    {
      const ok = await cliWithEnv(
        r,
        '--playbook',
        'k8s-a',
        '--known-hosts',
        vms.knownHostsFile,
        '--simulator',
      );
      expect(ok.code, ok.err).toBe(0);
      expect(ok.out).toBe('k8s-a\n');
      expect(existsSync(marker('k8s-a'))).toBe(true);
      expect(existsSync(marker('k8s-b'))).toBe(false);
      const bad = await cliWithEnv(r, '--playbook', '../x');
      expect(bad.code).toBe(64);
      expect(bad.err).toContain("--playbook '../x' is not a playbook or VM name");
    }
  });
});

/** Runs the CLI in-process with SSH_PRIVATE_KEY in its environment (tags-helpers' cli() passes {}). */
async function cliWithEnv(repoDir: string, ...args: string[]) {
  const { main } = await import('../actions/cli/cli.js');
  let out = '';
  let err = '';
  const w1 = process.stdout.write.bind(process.stdout);
  const w2 = process.stderr.write.bind(process.stderr);
  process.stdout.write = (c: string | Uint8Array) => ((out += String(c)), true);
  process.stderr.write = (c: string | Uint8Array) => ((err += String(c)), true);
  try {
    const code = await main(['provision', '--repo', repoDir, ...args], {
      SSH_PRIVATE_KEY: key.privateKey,
    });
    return { code, out, err };
  } finally {
    process.stdout.write = w1;
    process.stderr.write = w2;
  }
}
