import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { eventually } from './eventually.js';

const cli = path.resolve('actions/cli/dist/index.cjs');
// `--` first: Node itself reads a later `--env-file` argument unless `--` precedes the script
// (nodejs/node#54232); the `pve-gitops` bin needs the same in its hashbang.
const node = (args: string[]) => ['--', cli, ...args];
const dir = mkdtempSync(path.join(tmpdir(), 'pve-sim-cli-'));
// Simulators a failed assertion left running: stopped (SIGTERM stops their sshd hosts too).
const children = new Set<ChildProcess>();
function track<C extends ChildProcess>(child: C): C {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}
afterAll(async () => {
  await Promise.all(
    [...children].map((c) => {
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGTERM');
      return exited;
    }),
  );
  rmSync(dir, { recursive: true, force: true });
});

/** Waits for the env file that announces a simulator ready; fails after 30 s. */
async function waitFor(file: string): Promise<void> {
  await eventually(() => existsSync(file), Boolean, {
    what: `${file} appearing`,
    timeoutMs: 30_000,
    intervalMs: 50,
  });
}

function envOf(file: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of readFileSync(file, 'utf8').matchAll(/^export (\w+)='([^']*)'$/gm))
    out[m[1]] = m[2]!;
  return out;
}

it('runs in the foreground, writes a private env file, and exits cleanly on SIGTERM', async () => {
  const envFile = path.join(dir, 'sim.env');
  const child = track(
    spawn(
      process.execPath,
      node([
        'sim',
        '--state',
        path.join(dir, 'state'),
        '--env-file',
        envFile,
        '--time-scale',
        '0.01',
      ]),
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    ),
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += String(d)));
  child.stderr.on('data', (d: Buffer) => (stderr += String(d)));
  await waitFor(envFile);
  const env = envOf(envFile);
  expect(statSync(envFile).mode & 0o777).toBe(0o600);
  expect(Object.keys(env).sort()).toEqual([
    'PROXMOX_TLS_FINGERPRINT',
    'PROXMOX_TOKEN_ID',
    'PROXMOX_TOKEN_SECRET',
    'PROXMOX_URL',
    'PVE_GITOPS_SIMULATOR',
    'SSH_PRIVATE_KEY_FILE',
    'VAULT_ADDR',
    'VAULT_TOKEN',
  ]);
  expect(env.PROXMOX_URL).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  expect(env.VAULT_ADDR).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  expect(env.PVE_GITOPS_SIMULATOR).toBe('true');
  expect(statSync(env.SSH_PRIVATE_KEY_FILE).mode & 0o777).toBe(0o600);
  expect(readFileSync(envFile, 'utf8')).toMatch(
    /^# k3s installer: put it in pve-gitops\.yaml as {2}k3s: \{installer_url: http:\/\/127\.0\.0\.1:\d+\/\S+\}$/m,
  );
  // the Vault token reads the (absent) kubeconfig secret, and nothing else
  const vault = (p: string) =>
    spawnSync(
      'curl',
      [
        '-s',
        '-o',
        '/dev/null',
        '-w',
        '%{http_code}',
        '-H',
        `X-Vault-Token: ${env.VAULT_TOKEN}`,
        `${env.VAULT_ADDR}/v1/${p}`,
      ],
      { encoding: 'utf8' },
    ).stdout;
  expect(vault('kv/data/cluster-secret-store/secrets/KUBECONFIG')).toBe('404');
  expect(vault('kv/data/other')).toBe('403');
  // one trust method is exported; the CA file is offered as the alternative, commented out
  const caFile = /^# or, instead of the fingerprint: export PROXMOX_CA_FILE='([^']+)'$/m.exec(
    readFileSync(envFile, 'utf8'),
  )?.[1];
  expect(caFile && statSync(caFile).mode & 0o777).toBe(0o600);
  // a real TLS client trusting only the CA file reaches the API with the token
  const r = spawnSync(
    'curl',
    [
      '-sS',
      '--cacert',
      caFile!,
      '-H',
      `Authorization: PVEAPIToken=${env.PROXMOX_TOKEN_ID}=${env.PROXMOX_TOKEN_SECRET}`,
      `${env.PROXMOX_URL}/api2/json/version`,
    ],
    { encoding: 'utf8' },
  );
  expect((JSON.parse(r.stdout) as { data: { version: string } }).data.version).toMatch(/^\d+\.\d+/);
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  child.kill('SIGTERM');
  expect(await exited).toBe(0);
  expect(() => process.kill(child.pid!, 0)).toThrow();
  expect(stdout).toContain(env.PROXMOX_URL);
  expect(stdout + stderr).not.toContain(env.PROXMOX_TOKEN_SECRET);
  expect(stdout + stderr).not.toContain(env.VAULT_TOKEN);
});

it('keeps the token and fingerprint of a state dir across runs', async () => {
  const envs = [];
  for (const n of [1, 2]) {
    const envFile = path.join(dir, `run${n}.env`);
    const child = track(
      spawn(
        process.execPath,
        node(['sim', '--state', path.join(dir, 'state'), '--env-file', envFile]),
        { stdio: 'ignore' },
      ),
    );
    await waitFor(envFile);
    envs.push(envOf(envFile));
    const exited = new Promise((res) => child.once('exit', res));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    // the port is closed: nothing of the simulator is left listening
    await expect(connects(envs.at(-1)!.PROXMOX_URL)).resolves.toBe(false);
  }
  expect(envs[1].PROXMOX_TOKEN_SECRET).toBe(envs[0].PROXMOX_TOKEN_SECRET);
  expect(envs[1].PROXMOX_TLS_FINGERPRINT).toBe(envs[0].PROXMOX_TLS_FINGERPRINT);
});

it('rejects a bad flag value with one sentence and exit 64', () => {
  const r = spawnSync(process.execPath, node(['sim', '--time-scale', 'fast']), {
    encoding: 'utf8',
  });
  expect(r.status).toBe(64);
  expect(r.stderr.trim()).toBe(
    "error: --time-scale must be a number of at least 0.0001, not 'fast'.",
  );
});

/** Whether a TCP connection to the host and port of `url` succeeds. */
function connects(url: string): Promise<boolean> {
  const u = new URL(url);
  return new Promise((res) => {
    const s = net.connect(Number(u.port), u.hostname);
    s.once('connect', () => (s.destroy(), res(true)));
    s.once('error', () => res(false));
  });
}

/** Starts `pve-gitops sim` and waits for its env file; the caller stops it. */
async function startSim(
  argv: string[],
  envFile: string,
): Promise<{ child: ChildProcess; env: Record<string, string>; stop(): Promise<number | null> }> {
  const child = track(
    spawn(argv[0], [...argv.slice(1), '--env-file', envFile], {
      stdio: 'ignore',
      // the bin's hashbang finds node through PATH
      env: { PATH: `${path.dirname(process.execPath)}:${process.env.PATH}` },
    }),
  );
  await waitFor(envFile);
  return {
    child,
    env: envOf(envFile),
    stop() {
      const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
      child.kill('SIGTERM');
      return exited;
    },
  };
}

it('runs as the bin itself (executable file) with --env-file, which node must not take', async () => {
  expect(statSync(cli).mode & 0o111).not.toBe(0);
  expect(readFileSync(cli, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env -S node --');
  const envFile = path.join(dir, 'bin.env');
  const sim = await startSim([cli, 'sim', '--time-scale', '0.01'], envFile);
  expect(sim.env.PROXMOX_URL).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  await expect(connects(sim.env.PROXMOX_URL)).resolves.toBe(true);
  expect(await sim.stop()).toBe(0);
});

// Refuses, before anything is sent, every TCP connection that does not go to loopback: the
// example files use 192.168.x addresses, which nothing here may ever reach.
const GUARD = `
const net = require('node:net');
const fs = require('node:fs');
const loopback = (h) => h === undefined || h === 'localhost' || /^127\\./.test(h) || h === '::1';
const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (...args) {
  let o = Array.isArray(args[0]) ? args[0][0] : args[0];
  if (typeof o !== 'object' || o === null)
    o = /^\\d+$/.test(String(o)) ? { port: o, host: typeof args[1] === 'string' ? args[1] : undefined } : { path: o };
  if (!o.path && !loopback(o.host)) {
    fs.appendFileSync(process.env.GUARD_LOG, o.host + ':' + o.port + '\\n');
    throw new Error('non-loopback connection refused by the test guard: ' + o.host);
  }
  return connect.apply(this, args);
};
`;

it('serves a default cluster on which the example vms/ plan and apply cleanly, reaching only loopback', async () => {
  const work = mkdtempSync(path.join(dir, 'examples-'));
  cpSync(path.resolve('vms'), path.join(work, 'vms'), { recursive: true });
  cpSync(path.resolve('pve-gitops.yaml'), path.join(work, 'pve-gitops.yaml'));
  const guard = path.join(dir, 'guard.cjs');
  const guardLog = path.join(dir, 'guard.log');
  writeFileSync(guard, GUARD);
  const withGuard = (args: string[], env: Record<string, string> = {}) =>
    spawnSync(process.execPath, ['--require', guard, ...node(args)], {
      cwd: work,
      encoding: 'utf8',
      env: { PATH: process.env.PATH, GUARD_LOG: guardLog, ...env },
    });
  // the guard itself works: it stops a connection to an example address and records it
  const probe = spawnSync(
    process.execPath,
    ['--require', guard, '-e', "require('node:net').connect(22, '192.168.1.50')"],
    { encoding: 'utf8', env: { GUARD_LOG: guardLog } },
  );
  expect(probe.status).not.toBe(0);
  expect(readFileSync(guardLog, 'utf8')).toBe('192.168.1.50:22\n');
  rmSync(guardLog);

  const sim = await startSim(
    [process.execPath, ...node(['sim', '--time-scale', '0.01'])],
    path.join(dir, 'examples.env'),
  );
  try {
    const env = sim.env;
    const plan = withGuard(['plan'], env);
    expect(plan.stderr).toBe('');
    expect(plan.status).toBe(2);
    expect(plan.stdout).toMatch(/^5 to create; 0 unchanged\.$/m);
    for (const vm of [
      'haproxy-prod',
      'k8s-observability',
      'k8s-observability-w1',
      'talos-prod-cp01',
      'talos-prod-w01',
    ])
      expect(plan.stdout).toMatch(new RegExp(`^\\+ create ${vm}\\b`, 'm'));
    const apply = withGuard(['apply'], env);
    expect(apply.stderr).not.toMatch(/^(error|warning):/m);
    expect(apply.status).toBe(0);
    expect(apply.stdout).toBe('Applied: 5 to create\n');
    const again = withGuard(['plan'], env);
    expect(again.status).toBe(0);
    expect(again.stdout).toBe('No changes; 5 unchanged.\n');
    expect(existsSync(guardLog)).toBe(false);
  } finally {
    expect(await sim.stop()).toBe(0);
  }
});

it('runs one sshd per running VM with a loopback address, presenting the key apply reported, and leaves none behind', async () => {
  const state = path.join(dir, 'hosts-state');
  const work = mkdtempSync(path.join(dir, 'hosts-repo-'));
  const b = () => 2 + Math.floor(Math.random() * 250);
  const ip = `127.${b()}.${b()}.${b()}`;
  mkdirSync(path.join(work, 'vms'));
  writeFileSync(
    path.join(work, 'vms', 'k8s-simhost.yaml'),
    `name: k8s-simhost\ntarget_node: pve1\ncores: 1\nmemory: 1024\nipconfig0: ip=${ip}/8\n` +
      'network:\n  bridge: vmbr0\ndisks:\n  scsi0:\n    size: 8G\n',
  );
  const sim = await startSim(
    [process.execPath, ...node(['sim', '--state', state, '--time-scale', '0.01'])],
    path.join(dir, 'hosts.env'),
  );
  const env = sim.env;
  const sshd = () => spawnSync('pgrep', ['-f', path.join(state, 'hosts')]).status === 0;
  try {
    const apply = spawnSync(process.execPath, node(['apply', '--json']), {
      cwd: work,
      encoding: 'utf8',
      env: { PATH: process.env.PATH, ...env },
    });
    expect(apply.status, apply.stderr).toBe(0);
    const out = JSON.parse(apply.stdout) as {
      newHosts: Array<{ vmid: number; node: string }>;
      knownHosts: string;
    };
    expect(out.knownHosts).toMatch(new RegExp(`^${ip.replace(/\./g, '\\.')} ssh-ed25519 \\S+\\n$`));
    const knownHosts = path.join(dir, 'hosts-known');
    writeFileSync(knownHosts, out.knownHosts);
    await until(() => connects(`http://${ip}:22`), true);
    // strict host key checking with nothing but apply's known_hosts, the env file's key
    const ssh = spawnSync(
      'ssh',
      [
        '-i',
        env.SSH_PRIVATE_KEY_FILE,
        '-o',
        'BatchMode=yes',
        '-o',
        'IdentitiesOnly=yes',
        '-o',
        'StrictHostKeyChecking=yes',
        '-o',
        `UserKnownHostsFile=${knownHosts}`,
        `root@${ip}`,
        'hostname',
      ],
      { encoding: 'utf8' },
    );
    expect(ssh.stderr).toBe('');
    expect(ssh.stdout).toBe('k8s-simhost\n');

    // stopping the VM stops its host; starting it brings the same key back
    const { vmid, node: pveNode } = out.newHosts[0];
    const power = (action: string) =>
      spawnSync('curl', [
        '-sS',
        '--cacert',
        path.join(state, 'pve-root-ca.pem'),
        '-X',
        'POST',
        '-H',
        `Authorization: PVEAPIToken=${env.PROXMOX_TOKEN_ID}=${env.PROXMOX_TOKEN_SECRET}`,
        `${env.PROXMOX_URL}/api2/json/nodes/${pveNode}/qemu/${vmid}/status/${action}`,
      ]).status;
    expect(power('stop')).toBe(0);
    await until(() => connects(`http://${ip}:22`), false);
    expect(power('start')).toBe(0);
    await until(() => connects(`http://${ip}:22`), true);
    expect(sshd()).toBe(true);
  } finally {
    expect(await sim.stop()).toBe(0);
  }
  // SIGTERM stopped every sshd it started
  expect(sshd()).toBe(false);
  await expect(connects(`http://${ip}:22`)).resolves.toBe(false);
});

async function until(probe: () => Promise<boolean>, want: boolean): Promise<void> {
  await eventually(probe, (v) => v === want, { what: `sshd ${want ? 'listening' : 'gone'}` });
}
