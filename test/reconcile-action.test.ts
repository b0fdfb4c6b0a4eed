import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startProxmoxSim, type ProxmoxSim } from '../sim/proxmox/index.js';
import { parseOutputs } from './runner-helpers.js';

// Runs the built action bundles (node scripts/build.mjs) as the runner does.
const root = process.cwd();
let sim: ProxmoxSim | undefined;
let dir: string | undefined;
afterEach(async () => {
  await sim?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
  sim = undefined;
  dir = undefined;
});

function runAction(
  step: 'plan' | 'apply',
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(root, 'actions', step, 'dist', 'index.cjs')], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += String(d)));
    child.stderr.on('data', (d: Buffer) => (stdout += String(d)));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout }));
  });
}

describe('plan and apply actions (bundles)', () => {
  it('plan writes outputs and a summary; apply creates the VM, outputs the new host', async () => {
    sim = await startProxmoxSim({ timeScale: 0.02 });
    dir = await mkdtemp(path.join(tmpdir(), 'pve-gitops-action-'));
    await mkdir(path.join(dir, 'repo', 'vms'), { recursive: true });
    await writeFile(
      path.join(dir, 'repo', 'vms', 'web.yaml'),
      'name: web\ntarget_node: pve2\nmemory: 1024\nipconfig0: ip=127.0.30.4/24\n',
    );
    await writeFile(path.join(dir, 'event.json'), JSON.stringify({}));
    const env = (step: string): NodeJS.ProcessEnv => ({
      PATH: process.env.PATH,
      GITHUB_WORKSPACE: dir,
      GITHUB_OUTPUT: path.join(dir!, `${step}.out`),
      GITHUB_STEP_SUMMARY: path.join(dir!, `${step}.md`),
      GITHUB_EVENT_PATH: path.join(dir!, 'event.json'),
      GITHUB_REPOSITORY: 'o/r',
      RUNNER_TEMP: dir,
      'INPUT_WORKING-DIRECTORY': 'repo',
      'INPUT_PROXMOX-URL': sim!.url,
      'INPUT_PROXMOX-TOKEN-ID': sim!.tokenId,
      'INPUT_PROXMOX-TOKEN-SECRET': sim!.tokenSecret,
      'INPUT_PROXMOX-TLS-FINGERPRINT': sim!.fingerprint,
      'INPUT_PROXMOX-INSECURE': 'false',
      INPUT_COMMENT: 'true',
      'INPUT_DRY-RUN': 'false',
      INPUT_PRUNE: 'false',
    });
    for (const f of ['plan.out', 'apply.out', 'plan.md', 'apply.md'])
      await writeFile(path.join(dir, f), '');

    const plan = await runAction('plan', env('plan'));
    expect(plan.code).toBe(0);
    const po = parseOutputs(await readFile(path.join(dir, 'plan.out'), 'utf8'));
    expect(po['has-changes']).toBe('true');
    expect((JSON.parse(po['plan-json']) as { summary: { create: number } }).summary.create).toBe(1);
    // The VMID is fixed by the plan (derived from the name within vmid_range).
    const planned = JSON.parse(po['new-hosts']) as Array<{ vmid: number }>;
    expect(planned).toEqual([
      {
        name: 'web',
        vmid: expect.any(Number) as number,
        node: 'pve2',
        ip: '127.0.30.4',
        reason: 'create',
      },
    ]);
    expect(await readFile(path.join(dir, 'plan.md'), 'utf8')).toMatch(
      /## pve-gitops plan\n\n\*\*1 to create; 0 unchanged\.\*\*/,
    );
    expect(plan.stdout).toContain(`::add-mask::${sim.tokenSecret}`);
    // The Markdown file for issue bodies (drift.yml) holds the same summary line.
    expect(await readFile(po['plan-markdown-file'], 'utf8')).toContain(
      '**1 to create; 0 unchanged.**',
    );

    const apply = await runAction('apply', env('apply'));
    expect(apply.code).toBe(0);
    const ao = parseOutputs(await readFile(path.join(dir, 'apply.out'), 'utf8'));
    const hosts = JSON.parse(ao['new-hosts']) as Array<{
      name: string;
      vmid: number;
      ip: string;
      new: boolean;
    }>;
    expect(hosts).toEqual([
      {
        name: 'web',
        vmid: planned[0].vmid,
        node: 'pve2',
        ip: '127.0.30.4',
        new: true,
      },
    ]);
    expect(await readFile(path.join(dir, 'apply.md'), 'utf8')).toMatch(
      /## pve-gitops apply\n\n\*\*Applied: 1 to create\*\*/,
    );
  });
});
