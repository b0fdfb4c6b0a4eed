// python3-proxmoxer (Debian) over every endpoint the Proxmox simulator serves, as PVE 9 and 8:
// the script calls each route; the simulator's request counts prove none was left out.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultFixture } from '../sim/proxmox/fixture.js';
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
    const sim = await startProxmoxSim({
      timeScale: 0.01,
      pveVersion: major,
      // A thick LVM volume group with 2 GiB free, too small for a full clone of the template.
      fixture: {
        ...defaultFixture,
        storages: [
          ...defaultFixture.storages,
          { id: 'thick', type: 'lvm', content: ['images'], totalGiB: 2 },
        ],
      },
    });
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
    // Sources: qemu-server QemuServer.pm destroy_vm, pve-storage LVMPlugin.pm alloc_image,
    // Storage.pm storage_config, API2/Qemu.pm clone_vm; pve-manager API2/Cluster.pm resources.
    expect(lines.template).toBe(
      "base volume 'local-lvm:base-9000-disk-0' is still in use by linked cloned 1",
    );
    expect(lines.thick).toBe('clone failed: not enough free space (2097152 < 4194304)');
    expect(lines.images).toBe('400 Bad Request: Parameter verification failed.');
    expect(lines.nostorage).toBe("500 Internal Server Error: storage 'nope' does not exist");
    expect(lines.network).toBe(
      major === 9
        ? "['network', 'node', 'qemu', 'storage'] 127.0.1.1/24"
        : "['node', 'qemu', 'sdn', 'storage'] 127.0.1.1/24",
    );
    expect(lines.boot).toBe(`OK running ${major === 9 ? '10.1.2' : '9.2.0'}`);
    expect(lines.resize).toBe('shrinking disks is not supported OK');
    expect(lines.unlink).toMatch(/^local-lvm:vm-\d+-disk-1$/);
    // proxmoxer 1.2 reads `errors` from `data` only, so the per-parameter text stays unseen.
    expect(lines.move).toBe('400 Bad Request: Parameter verification failed.');
    expect(lines.snapshot).toBe("OK ['s1', 'current'] True OK OK");
    expect(lines.agent).toMatch(/^2 px-1 hi ubuntu True 500 Internal Server Error$/);
    expect(lines.create).toMatch(/^OK local-lvm:vm-\d+-cloudinit,media=cdrom$/);
    expect(lines.delete).toBe('OK OK');
    expect(lines.permissions).toBe('1');
    const stats = sim.stats();
    const missed = Object.keys(routes).filter((k) => !stats[k]);
    expect(missed).toEqual([]);
  });
});
