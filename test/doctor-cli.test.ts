// Issue #8 "done when", through the CLI bundle against PVE 8 and PVE 9 simulators whose users,
// roles, tokens and ACLs are set up by typing docs/proxmox.md's pveum commands:
// - the documented setup: doctor reports nothing missing, plan and apply succeed;
// - the role granted to the token only: doctor says the token has no effective rights and
//   names the fixing command, plan refuses;
// - each privilege of the table removed in turn: doctor names exactly that privilege, apply
//   fails with a sentence naming it, and no VM changes.
// Permission rules: pve-access-control RPCEnvironment.pm permissions() (privsep = token ∩ user).
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, describe, expect, it } from 'vitest';
import { rolePrivileges } from '../actions/lib/proxmox/needs.js';
import type { DoctorReport } from '../actions/lib/reconcile/doctor.js';
import doctorSchema from '../schemas/doctor.schema.json' with { type: 'json' };
import { startProxmoxSim, type ProxmoxSim } from '../sim/proxmox/index.js';
import { documentedSetup } from './docs-helpers.js';

const root = path.resolve(import.meta.dirname, '..');
const cli = path.join(root, 'actions/cli/dist/index.cjs');
const validate = new Ajv2020({ strict: true, allErrors: true }).compile(doctorSchema);
const cleanup: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of cleanup) await c();
});

/** A repository with VM files; `vms` maps name → YAML body. */
function repoWith(vms: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pve-doctor-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  writeRepo(dir, vms);
  return dir;
}
function writeRepo(dir: string, vms: Record<string, string>): void {
  rmSync(path.join(dir, 'vms'), { recursive: true, force: true });
  mkdirSync(path.join(dir, 'vms'));
  writeFileSync(
    path.join(dir, 'pve-gitops.yaml'),
    'health:\n  boot_grace_seconds: 1\n  agent_timeout_seconds: 2\nprune:\n  enabled: true\n',
  );
  for (const [name, body] of Object.entries(vms))
    writeFileSync(path.join(dir, 'vms', `${name}.yaml`), `name: ${name}\n${body}`);
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}
function run(sim: ProxmoxSim, repo: string, args: string[], token: [string, string]): Promise<Run> {
  const env = {
    PATH: process.env.PATH,
    HOME: repo,
    PROXMOX_URL: sim.url,
    PROXMOX_TOKEN_ID: token[0],
    PROXMOX_TOKEN_SECRET: token[1],
    PROXMOX_TLS_FINGERPRINT: sim.fingerprint,
    CI_CLOUDINIT_PASSWORD: 'pw-doctor',
  };
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd: repo, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += String(d)));
    child.stderr.on('data', (d: Buffer) => (stderr += String(d)));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Types `lines` (pveum commands) into the simulator; returns the token id and secret. */
function type(sim: ProxmoxSim, lines: string[]): [string, string] {
  let token: [string, string] = ['', ''];
  for (const line of lines) {
    const r = sim.pveum(line);
    if (r.value) token = [r['full-tokenid']!, r.value];
  }
  return token;
}

const first = {
  web: 'target_node: pve1\ncores: 1\nmemory: 1024\ndisks:\n  scsi0: {size: 8G}\n',
  db: 'target_node: pve2\ncores: 1\nmemory: 1024\ndisks:\n  scsi0: {size: 8G}\n',
};
/** Every kind of action: a VM moves (migrate), one grows and gains cores, one is new. */
const second = {
  web: 'target_node: pve2\ncores: 1\nmemory: 1024\ndisks:\n  scsi0: {size: 8G}\n',
  db: 'target_node: pve2\ncores: 2\nmemory: 1024\ndisks:\n  scsi0: {size: 10G}\n',
  app: 'target_node: still-fawn\ncores: 1\nmemory: 1024\ndisks:\n  scsi0: {size: 8G}\n',
};

const vmsOf = (sim: ProxmoxSim) => JSON.stringify(sim.cluster.state.vms);

describe.each([8, 9] as const)('PVE %i', (major) => {
  it('with the documented setup: doctor finds nothing missing, plan and apply succeed', async () => {
    const sim = await startProxmoxSim({ timeScale: 0.01, pveVersion: major });
    cleanup.push(() => sim.stop());
    const token = type(sim, documentedSetup(major));
    expect(token[0]).toBe('gitops@pve!ci');
    const repo = repoWith(first);
    const doc = await run(sim, repo, ['doctor', '--json'], token);
    const report = JSON.parse(doc.stdout) as DoctorReport;
    expect(validate(report), JSON.stringify(validate.errors)).toBe(true);
    expect(report.problems, doc.stderr).toEqual([]);
    expect(report.warnings).toEqual([]);
    expect(doc.code).toBe(0);
    expect(report.pve).toMatchObject({
      major,
      nodes: [{ name: 'pve1', status: 'online' }, { name: 'pve2' }, { name: 'still-fawn' }],
    });
    const text = await run(sim, repo, ['doctor'], token);
    expect(text.stdout).toMatch(/Ready: nothing missing\.\n$/);
    expect((await run(sim, repo, ['plan'], token)).code).toBe(2);
    const apply = await run(sim, repo, ['apply'], token);
    expect(apply.code, apply.stderr).toBe(0);
    writeRepo(repo, second);
    const again = await run(sim, repo, ['apply'], token);
    expect(again.code, again.stderr).toBe(0);
    expect(sim.cluster.vms().filter((v) => v.config.name === 'app')).toHaveLength(1);
    expect(JSON.stringify(report)).not.toContain(token[1]);
  });

  it('with the role on the token only: no effective rights, the fixing command, plan refuses', async () => {
    const sim = await startProxmoxSim({ timeScale: 0.01, pveVersion: major });
    cleanup.push(() => sim.stop());
    const tokenOnly = documentedSetup(major).filter((l) => !l.includes('--users'));
    const token = type(sim, tokenOnly);
    const repo = repoWith(first);
    const before = vmsOf(sim);
    const doc = await run(sim, repo, ['doctor'], token);
    expect(doc.code).toBe(1);
    expect(doc.stdout).toContain('The token gitops@pve!ci has no effective rights');
    expect(doc.stdout).toContain('pveum acl modify / --users gitops@pve --roles PVEGitops');
    const plan = await run(sim, repo, ['plan'], token);
    expect(plan.code).toBe(1);
    expect(plan.stderr).toMatch(/^error: The token gitops@pve!ci has no effective rights/m);
    expect(plan.stdout).toBe('');
    const apply = await run(sim, repo, ['apply'], token);
    expect(apply.code).toBe(1);
    expect(vmsOf(sim)).toBe(before);
  });

  it('with each privilege of the role removed in turn: doctor and apply name it; nothing changes', async () => {
    const sim = await startProxmoxSim({ timeScale: 0.01, pveVersion: major });
    cleanup.push(() => sim.stop());
    const full = type(sim, documentedSetup(major));
    const repo = repoWith(first);
    expect((await run(sim, repo, ['apply'], full)).code).toBe(0);
    writeRepo(repo, second);
    const before = vmsOf(sim);
    const all = rolePrivileges(major);
    for (const [i, priv] of all.entries()) {
      const user = `u${i}@pve`;
      const role = `R${i}`;
      const token = type(sim, [
        `pveum user add ${user}`,
        `pveum role add ${role} -privs "${all.filter((p) => p !== priv).join(' ')}"`,
        `pveum user token add ${user} ci --privsep 1`,
        `pveum acl modify / --users ${user} --roles ${role}`,
        `pveum acl modify / --tokens '${user}!ci' --roles ${role}`,
      ]);
      const doc = await run(sim, repo, ['doctor', '--json'], token);
      const report = JSON.parse(doc.stdout) as DoctorReport;
      expect(doc.code, priv).toBe(1);
      const missing = report.problems.filter((p) => p.kind === 'missing-privilege');
      expect(missing.length, `${priv}: ${doc.stdout}`).toBeGreaterThan(0);
      for (const m of missing) {
        expect(m.privilege, priv).toContain(priv);
        expect(m.path, priv).toMatch(/^\/(vms|storage|nodes|sdn)\b/);
        expect(m.command).toBe(`pveum role modify PVEGitops --append 1 --privs "${priv}"`);
        for (const p of m.paths!) expect(p).toMatch(/^\/(vms|storage|nodes|sdn)\b/);
      }
      const plan = await run(sim, repo, ['plan'], token);
      expect(plan.code, priv).toBe(1);
      expect(plan.stdout, priv).toContain(`lacks privilege`);
      expect(plan.stdout, priv).toContain(priv);
      const apply = await run(sim, repo, ['apply'], token);
      expect(apply.code, priv).toBe(1);
      expect(apply.stderr, priv).toMatch(
        new RegExp(`^error: .*lacks privilege [^;]*${priv.replace(/\./g, '\\.')}`, 'm'),
      );
      // The sentence apply ends with names the missing privilege first, the cause of the rest.
      const last = apply.stderr
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('error: '))
        .at(-1);
      expect(last, priv).toMatch(
        new RegExp(
          `^error: The token u${i}@pve!ci lacks privilege [^;]*${priv.replace(/\./g, '\\.')}`,
        ),
      );
      expect(last).toMatch(/Nothing was changed\.$/);
      expect(vmsOf(sim), priv).toBe(before);
    }
  });
});
