import { execFile } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startVmHosts, type VmHosts } from '../sim/hosts/vm-hosts.js';
import { startProxmoxSim, type ProxmoxSim } from '../sim/proxmox/index.js';
import { keyPair, randomLoopback, writeRepo } from './provision-helpers.js';
import { parseOutputs } from './runner-helpers.js';

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

describe('hosts no known-hosts lists, with the Proxmox API (an [ansible NAME] tag on an older VM)', () => {
  const OLD = { name: 'k8s-old', vmid: 310, node: 'pve1', ip: randomLoopback() };
  let sim: ProxmoxSim;
  let host: VmHosts;
  let oldRepo: string;
  beforeAll(async () => {
    sim = await startProxmoxSim({
      timeScale: 0.01,
      fixture: {
        nodes: [{ name: 'pve1' }],
        storages: [{ id: 'local-lvm', type: 'lvmthin', content: ['images'] }],
        vms: [
          {
            vmid: OLD.vmid,
            node: OLD.node,
            name: OLD.name,
            status: 'running' as const,
            config: { agent: '1', ipconfig0: `ip=${OLD.ip}/8`, tags: 'pve-gitops' },
          },
        ],
      },
    });
    // The VM serves the host key its guest agent reports, as cloud-init wrote it.
    host = await startVmHosts({
      vms: [OLD],
      authorizedKey: key.publicKey,
      stateDir: path.join(root, 'vms-old'),
      hostKeys: { [OLD.name]: sim.cluster.hostKeyOf(OLD.vmid).privateKey },
    });
    oldRepo = await mkdtemp(path.join(root, 'repo-old-'));
    writeRepo(oldRepo, [{ ...OLD, port: host.ports[OLD.name] }]);
    mkdirSync(path.join(oldRepo, 'vms'));
    writeFileSync(path.join(oldRepo, 'vms', 'k8s-old.yaml'), 'name: k8s-old\n');
  });
  afterAll(async () => {
    await host?.stop();
    await sim?.stop();
  });
  const oldMarker = () => path.join(host.hosts[0].dirs['/var/lib/rancher'], 'marker');

  it('the action reads the key through the guest agent, masks the token and checks strictly', async () => {
    rmSync(oldMarker(), { force: true });
    const r = await runBundle(oldRepo, {
      playbooks: 'k8s.yml --limit k8s-old',
      'ssh-private-key': key.privateKey,
      'proxmox-url': sim.url,
      'proxmox-token-id': sim.tokenId,
      'proxmox-token-secret': sim.tokenSecret,
      'proxmox-tls-fingerprint': sim.fingerprint,
      simulator: 'true',
    });
    expect(r.code, r.stdout).toBe(0);
    expect(r.outputs).toEqual({ provisioned: 'k8s-old', runs: '1' });
    expect(readFileSync(oldMarker(), 'utf8')).toBe('k8s-old\n');
    expect(r.stdout).toMatch(/SSH host keys of k8s-old \(127\.[\d.]+\): ssh-ed25519/);
    expect(r.stdout).toContain(`::add-mask::${sim.tokenSecret}`);
    const shown = r.stdout
      .split('\n')
      .filter((l) => !l.startsWith('::add-mask::'))
      .join('\n');
    expect(shown).not.toContain(sim.tokenSecret);
  });

  it('the CLI does the same from PROXMOX_* and reads SSH_PRIVATE_KEY_FILE, refusing a 0644 one', async () => {
    rmSync(oldMarker(), { force: true });
    const env = {
      PROXMOX_URL: sim.url,
      PROXMOX_TOKEN_ID: sim.tokenId,
      PROXMOX_TOKEN_SECRET: sim.tokenSecret,
      PROXMOX_TLS_FINGERPRINT: sim.fingerprint,
      PVE_GITOPS_SIMULATOR: 'true',
    };
    const ok = await cliIn(
      { ...env, SSH_PRIVATE_KEY_FILE: key.file },
      oldRepo,
      '--playbook',
      'k8s-old',
    );
    expect(ok.code, ok.err).toBe(0);
    expect(ok.out).toBe('k8s-old\n');
    expect(readFileSync(oldMarker(), 'utf8')).toBe('k8s-old\n');

    const loose = path.join(root, 'id_loose');
    writeFileSync(loose, key.privateKey, { mode: 0o644 });
    chmodSync(loose, 0o644);
    const bad = await cliIn(
      { ...env, SSH_PRIVATE_KEY_FILE: loose },
      oldRepo,
      '--playbook',
      'k8s-old',
    );
    expect(bad.code).toBe(1);
    const errors = bad.err.split('\n').filter((l) => l.startsWith('error: '));
    expect(errors).toEqual([
      `error: The SSH key file ${loose} (SSH_PRIVATE_KEY_FILE) is readable by others (mode 0644), so ssh would refuse it: run chmod 600 ${loose}.`,
    ]);
    expect(bad.err).not.toContain(key.privateKey.split('\n')[1]);
  });

  it('the CLI refuses by name a host whose key the cluster cannot give', async () => {
    const other = await mkdtemp(path.join(root, 'repo-ghost-'));
    writeRepo(other, [{ name: 'k8s-ghost', ip: randomLoopback() }]);
    const r = await cliIn(
      {
        SSH_PRIVATE_KEY: key.privateKey,
        PROXMOX_URL: sim.url,
        PROXMOX_TOKEN_ID: sim.tokenId,
        PROXMOX_TOKEN_SECRET: sim.tokenSecret,
        PROXMOX_TLS_FINGERPRINT: sim.fingerprint,
      },
      other,
      '--hosts',
      writeHosts(other, 'k8s-ghost'),
      '--simulator',
    );
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      /^error: No trusted SSH host key for k8s-ghost: not in known_hosts and not readable through the Proxmox guest agent/m,
    );
    expect(r.err).not.toMatch(/ansible-playbook|PLAY RECAP/);
  });
});

/** Writes the inventory's `IP,name` line of `name` to a hosts file and returns its path. */
function writeHosts(repoDir: string, name: string): string {
  const ini = readFileSync(path.join(repoDir, 'inventory', 'k8s.ini'), 'utf8');
  const ip = new RegExp(`^${name} ansible_host=(\\S+)`, 'm').exec(ini)![1];
  const file = path.join(repoDir, 'hosts.txt');
  writeFileSync(file, `${ip},${name}\n`);
  return file;
}

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
function cliWithEnv(repoDir: string, ...args: string[]) {
  return cliIn({ SSH_PRIVATE_KEY: key.privateKey }, repoDir, ...args);
}

async function cliIn(env: Record<string, string>, repoDir: string, ...args: string[]) {
  const { main } = await import('../actions/cli/cli.js');
  let out = '';
  let err = '';
  const w1 = process.stdout.write.bind(process.stdout);
  const w2 = process.stderr.write.bind(process.stderr);
  process.stdout.write = (c: string | Uint8Array) => ((out += String(c)), true);
  process.stderr.write = (c: string | Uint8Array) => ((err += String(c)), true);
  try {
    const code = await main(['provision', '--repo', repoDir, ...args], env);
    return { code, out, err };
  } finally {
    process.stdout.write = w1;
    process.stderr.write = w2;
  }
}
