import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';

const cli = path.resolve('actions/cli/dist/index.cjs');
// `--` first: Node itself reads a later `--env-file` argument unless `--` precedes the script
// (nodejs/node#54232); the `pve-gitops` bin needs the same in its hashbang.
const node = (args: string[]) => ['--', cli, ...args];
const dir = mkdtempSync(path.join(tmpdir(), 'pve-sim-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function waitFor(file: string): Promise<void> {
  for (let i = 0; i < 200 && !existsSync(file); i++) await new Promise((r) => setTimeout(r, 50));
}

function envOf(file: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of readFileSync(file, 'utf8').matchAll(/^export (\w+)='([^']*)'$/gm))
    out[m[1]] = m[2]!;
  return out;
}

it('runs in the foreground, writes a private env file, and exits cleanly on SIGTERM', async () => {
  const envFile = path.join(dir, 'sim.env');
  const child = spawn(
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
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += String(d)));
  child.stderr.on('data', (d: Buffer) => (stderr += String(d)));
  await waitFor(envFile);
  const env = envOf(envFile);
  expect(statSync(envFile).mode & 0o777).toBe(0o600);
  expect(Object.keys(env).sort()).toEqual([
    'PROXMOX_CA_FILE',
    'PROXMOX_TLS_FINGERPRINT',
    'PROXMOX_TOKEN_ID',
    'PROXMOX_TOKEN_SECRET',
    'PROXMOX_URL',
  ]);
  expect(env.PROXMOX_URL).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  // a real TLS client trusting only the CA file reaches the API with the token
  const r = spawnSync(
    'curl',
    [
      '-sS',
      '--cacert',
      env.PROXMOX_CA_FILE,
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
});

it('keeps the token and fingerprint of a state dir across runs', async () => {
  const envs = [];
  for (const n of [1, 2]) {
    const envFile = path.join(dir, `run${n}.env`);
    const child = spawn(
      process.execPath,
      node(['sim', '--state', path.join(dir, 'state'), '--env-file', envFile]),
      { stdio: 'ignore' },
    );
    await waitFor(envFile);
    envs.push(envOf(envFile));
    const exited = new Promise((res) => child.once('exit', res));
    child.kill('SIGINT');
    await exited;
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
