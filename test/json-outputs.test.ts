import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProxmoxSim, type ProxmoxSim } from '../sim/proxmox/index.js';
import { cli } from './cli-in-process.js';

// Every `--json` output is documented by a JSON Schema in schemas/; a script can rely on it.
const ajv = new Ajv2020({ allErrors: true, strict: false });
const read = async (name: string) =>
  JSON.parse(await readFile(path.join('schemas', name), 'utf8')) as { $id: string };
const schema = async (name: string) => {
  const s = await read(name);
  return ajv.getSchema(s.$id) ?? ajv.compile(s);
};

let dir: string;
let sim: ProxmoxSim;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'pve-gitops-json-'));
  sim = await startProxmoxSim({ timeScale: 0.02 });
});
afterAll(async () => {
  await sim.stop();
  await rm(dir, { recursive: true, force: true });
});

async function repo(name: string, vms: Record<string, string>): Promise<string> {
  const r = path.join(dir, name);
  await mkdir(path.join(r, 'vms'), { recursive: true });
  for (const [vm, body] of Object.entries(vms))
    await writeFile(path.join(r, 'vms', `${vm}.yaml`), `name: ${vm}\n${body}`);
  return r;
}

const RICH = [
  'target_node: pve1',
  'ipconfig0: ip=10.0.0.5/24,gw=10.0.0.1',
  'description: the server',
  'network: { bridge: vmbr0, vlan: 20, mac: "BC:24:11:00:00:01" }',
  'disks:',
  '  scsi0: { size: 32G }',
  '  scsi1: { size: 10G, mount: /mnt/data }',
  'k3s: { role: server }',
  '',
].join('\n');

describe('--json outputs match their schemas', () => {
  it('validate --json, valid and invalid (schemas/validate.schema.json)', async () => {
    const check = await schema('validate.schema.json');
    const good = await cli(['validate', '--json', '--repo', await repo('good', { 'k8s-a': RICH })]);
    expect(good.code).toBe(0);
    expect(check(JSON.parse(good.out)), ajv.errorsText(check.errors)).toBe(true);
    const bad = await cli([
      'validate',
      '--json',
      '--repo',
      await repo('bad', { 'k8s-b': 'target_node: pve1\ncores: 0\n', 'k8s-c': RICH }),
    ]);
    expect(bad.code).toBe(1);
    const report = JSON.parse(bad.out) as { diagnostics: unknown[] };
    expect(report.diagnostics.length).toBeGreaterThan(0);
    expect(check(report), ajv.errorsText(check.errors)).toBe(true);
  });

  it('plan --json (schemas/plan.schema.json)', async () => {
    const check = await schema('plan.schema.json');
    const r = await repo('plan', {
      'web-1': 'target_node: pve1\nmemory: 1024\n',
      'web-2': 'target_node: pve2\nmemory: 1024\nipconfig0: ip=10.0.0.6/24,gw=10.0.0.1\n',
    });
    const p = await cli(['plan', '--json', '--repo', r], {
      PROXMOX_URL: sim.url,
      PROXMOX_TOKEN_ID: sim.tokenId,
      PROXMOX_TOKEN_SECRET: sim.tokenSecret,
      PROXMOX_TLS_FINGERPRINT: sim.fingerprint,
    });
    expect(p.code).toBe(2);
    expect(check(JSON.parse(p.out)), ajv.errorsText(check.errors)).toBe(true);
  });

  it('apply --json, a dry run and a real one (schemas/apply.schema.json)', async () => {
    await schema('plan.schema.json');
    const check = await schema('apply.schema.json');
    const r = await repo('apply', {
      'db-1': 'target_node: pve1\nmemory: 1024\nipconfig0: ip=127.0.40.7/8,gw=127.0.0.1\n',
    });
    const env = {
      PROXMOX_URL: sim.url,
      PROXMOX_TOKEN_ID: sim.tokenId,
      PROXMOX_TOKEN_SECRET: sim.tokenSecret,
      PROXMOX_TLS_FINGERPRINT: sim.fingerprint,
    };
    const dry = await cli(['apply', '--json', '--dry-run', '--repo', r], env);
    expect(dry.code).toBe(0);
    expect(check(JSON.parse(dry.out)), ajv.errorsText(check.errors)).toBe(true);
    const real = await cli(['apply', '--json', '--repo', r], env);
    expect(real.code).toBe(0);
    const result = JSON.parse(real.out) as { newHosts: Array<{ name: string }> };
    expect(result.newHosts.map((h) => h.name)).toEqual(['db-1']);
    expect(check(result), ajv.errorsText(check.errors)).toBe(true);
  });
});
