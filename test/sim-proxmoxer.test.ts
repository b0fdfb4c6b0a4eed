// python3-proxmoxer (Debian) over every endpoint the Proxmox simulator serves, as PVE 9 and 8:
// the script calls each route; the simulator's request counts prove none was left out.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { routes } from '../sim/proxmox/handlers/index.js';
import { startProxmoxSim, type ProxmoxSim } from '../sim/proxmox/index.js';

const dir = mkdtempSync(path.join(tmpdir(), 'pve-proxmoxer-'));
const sims: ProxmoxSim[] = [];
afterAll(async () => {
  for (const s of sims) await s.stop();
  rmSync(dir, { recursive: true, force: true });
});

function run(env: NodeJS.ProcessEnv): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      '/usr/bin/python3',
      [path.join(import.meta.dirname, 'third-party/proxmoxer-all.py')],
      { env, encoding: 'utf8', timeout: 120_000 },
      (_err, stdout, stderr) => resolve({ stdout, stderr }),
    );
  });
}

describe.each([9, 8] as const)('proxmoxer against PVE %i', (major) => {
  it('serves every route, refusing where PVE refuses', async () => {
    const sim = await startProxmoxSim({ timeScale: 0.01, pveVersion: major });
    sims.push(sim);
    const ca = path.join(dir, `ca-${major}.pem`);
    writeFileSync(ca, sim.caPem, { mode: 0o600 });
    // Secrets travel in the environment, never in argv.
    const r = await run({
      PATH: process.env.PATH,
      SIM_HOST: new URL(sim.url).host,
      SIM_SECRET: sim.tokenSecret,
      SIM_PASSWORD: sim.password,
      SIM_CA: ca,
    });
    expect(r.stderr).toBe('');
    const lines = Object.fromEntries(
      r.stdout
        .trim()
        .split('\n')
        .map((l) => [l.split(' ')[0], l.slice(l.indexOf(' ') + 1)]),
    );
    expect(lines.args).toBe("500 Internal Server Error: only root can set 'args' config");
    expect(lines.resize).toBe('shrinking disks is not supported OK');
    expect(lines.unlink).toMatch(/^local-lvm:vm-\d+-disk-1$/);
    // proxmoxer 1.2 reads `errors` from `data` only, so the per-parameter text stays unseen.
    expect(lines.move).toBe('400 Bad Request: Parameter verification failed.');
    expect(lines.snapshot).toBe("OK ['s1', 'current'] True OK OK");
    expect(lines.agent).toMatch(/^2 px-1 hi ubuntu True 500 Internal Server Error$/);
    expect(lines.create).toMatch(/^OK local-lvm:vm-\d+-cloudinit,media=cdrom$/);
    expect(lines.delete).toBe('OK OK');
    const stats = sim.stats();
    const missed = Object.keys(routes).filter((k) => !stats[k]);
    expect(missed).toEqual([]);
  });
});
