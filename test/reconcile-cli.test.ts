import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startProxmoxSim, type ProxmoxSim } from '../sim/proxmox/index.js';
import { cli } from './cli-in-process.js';

let sim: ProxmoxSim | undefined;
let dir: string | undefined;
afterEach(async () => {
  vi.restoreAllMocks();
  await sim?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
  sim = undefined;
  dir = undefined;
});

async function setup(vms: Record<string, string>) {
  sim = await startProxmoxSim({ timeScale: 0.02 });
  dir = await mkdtemp(path.join(tmpdir(), 'pve-gitops-cli-'));
  await mkdir(path.join(dir, 'vms'));
  await writeFile(path.join(dir, 'pve-gitops.yaml'), 'health:\n  boot_grace_seconds: 1\n');
  for (const [name, body] of Object.entries(vms))
    await writeFile(path.join(dir, 'vms', `${name}.yaml`), `name: ${name}\n${body}`);
  const env = {
    PROXMOX_URL: sim.url,
    PROXMOX_TOKEN_ID: sim.tokenId,
    PROXMOX_TOKEN_SECRET: sim.tokenSecret,
    PROXMOX_TLS_FINGERPRINT: sim.fingerprint,
    CI_CLOUDINIT_PASSWORD: 'pw-never-printed-9',
  };
  return { env, dir };
}

describe('pve-gitops plan and apply', () => {
  it('plan exits 2 with changes, apply creates, then plan exits 0', async () => {
    const { env, dir } = await setup({
      'web-1': 'target_node: pve1\nmemory: 1024\n',
      'web-2': 'target_node: pve2\nmemory: 1024\n',
    });
    const p = await cli(['plan', '--repo', dir, '--json'], env);
    expect(p.code).toBe(2);
    const plan = JSON.parse(p.out) as { summary: { create: number }; newHosts: unknown[] };
    expect(plan.summary.create).toBe(2);

    const md = await cli(
      ['plan', '--repo', dir, '--markdown', '--out', path.join(dir, 'plan.md')],
      env,
    );
    expect(md.code).toBe(2);
    expect(await readFile(path.join(dir, 'plan.md'), 'utf8')).toMatch(
      /^## pve-gitops plan\n\n\*\*2 to create; 0 unchanged\.\*\*/,
    );

    const dry = await cli(['apply', '--repo', dir, '--dry-run'], env);
    expect(dry).toMatchObject({ code: 0, out: 'Dry run: 2 to create; nothing was changed\n' });
    expect(sim!.cluster.vms().filter((v) => !v.config.template)).toHaveLength(0);

    const a = await cli(['apply', '--repo', dir, '--json'], env);
    expect(a.code).toBe(0);
    const result = JSON.parse(a.out) as { newHosts: Array<{ name: string; new: boolean }> };
    expect(result.newHosts.map((h) => h.name).sort()).toEqual(['web-1', 'web-2']);
    expect(a.err + a.out).not.toContain('pw-never-printed-9');
    expect(a.err).not.toContain(sim!.tokenSecret);

    const again = await cli(['plan', '--repo', dir], env);
    expect(again.code).toBe(0);
    expect(again.out).toBe('No changes; 2 unchanged.\n');
    const applied = await cli(['apply', '--repo', dir], env);
    expect(applied.out).toBe('All 2 VMs healthy, no action needed\n');
    expect(applied.err).not.toContain('no action needed'); // results once, on stdout
  });

  it('exits 1 with one sentence on a conflict, and 64 on bad flags', async () => {
    const { env, dir } = await setup({ db: 'target_node: pve1\nvmid: 9000\n' });
    const p = await cli(['plan', '--repo', dir], env);
    expect(p.code).toBe(1);
    expect(p.out).toMatch(
      /error: VM db: VMID 9000 is taken by template 'ubuntu-24.04-cloudinit' on pve1/,
    );
    const a = await cli(['apply', '--repo', dir], env);
    expect(a.code).toBe(1);
    expect(a.err).toMatch(
      /^error: VM db: VMID 9000 is taken by template .* Nothing was changed\.$/m,
    );
    expect((await cli(['plan', '--repo', dir, '--json', '--markdown'], env)).code).toBe(64);
    expect((await cli(['apply', '--repo', dir, '--frobnicate'], env)).code).toBe(64);
  });
});
