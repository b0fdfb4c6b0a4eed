// The apply action (its built bundle, run as the runner does) when too many VMs are hung:
// nothing is touched, the step stays green so the VMs it did make are provisioned, and the
// sentence saying why is a warning annotation and in the job summary.
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanUpAfterEach, cli, fingerprint, rebootAll, repoOn } from './health-helpers.js';

cleanUpAfterEach();

function runApply(env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string }> {
  const bundle = path.join(process.cwd(), 'actions', 'apply', 'dist', 'index.cjs');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bundle], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += String(d)));
    child.stderr.on('data', (d: Buffer) => (stdout += String(d)));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout }));
  });
}

describe('apply action bundle', () => {
  it('three of five hung: warns why, touches nothing, writes the summary', async () => {
    const repo = await repoOn(9);
    const names = ['w-0', 'w-1', 'w-2', 'w-3', 'w-4'];
    await repo.writeVms(names);
    expect((await cli(['apply', '--repo', repo.dir], repo.env)).code).toBe(0);
    rebootAll(repo.sim, names.slice(0, 3));
    const file = (f: string) => path.join(repo.dir, f);
    for (const f of ['out', 'summary.md', 'event.json']) await writeFile(file(f), '{}');
    const before = fingerprint(repo.sim);
    const mutations = repo.sim.stats().mutations;

    const run = await runApply({
      PATH: process.env.PATH,
      GITHUB_WORKSPACE: repo.dir,
      GITHUB_OUTPUT: file('out'),
      GITHUB_STEP_SUMMARY: file('summary.md'),
      GITHUB_EVENT_PATH: file('event.json'),
      GITHUB_REPOSITORY: 'o/r',
      RUNNER_TEMP: repo.dir,
      'INPUT_WORKING-DIRECTORY': '.',
      'INPUT_PROXMOX-URL': repo.sim.url,
      'INPUT_PROXMOX-TOKEN-ID': repo.sim.tokenId,
      'INPUT_PROXMOX-TOKEN-SECRET': repo.sim.tokenSecret,
      'INPUT_PROXMOX-TLS-FINGERPRINT': repo.sim.fingerprint,
      'INPUT_PROXMOX-INSECURE': 'false',
      'INPUT_DRY-RUN': 'false',
      INPUT_PRUNE: 'false',
    });
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout).toMatch(
      // Workflow commands escape % as %25.
      /^::warning::No action needed for 5 VMs, but 4 warnings above\. 3 of 5 managed VMs \(60 %25\) are hung, more than health\.max_unhealthy_percent \(40 %25\)/m,
    );
    // Cells escape Markdown syntax as character references; read them as GitHub shows them.
    const summary = (await readFile(file('summary.md'), 'utf8')).replace(
      /&#(\d+);/g,
      (_, n: string) => String.fromCodePoint(Number(n)),
    );
    expect(summary).toContain('### Unhealthy, left as they are');
    expect(summary).toMatch(/\| w-0 \| not remediated: more than health\.max_unhealthy_percent/);
    expect(repo.sim.stats().mutations).toBe(mutations);
    expect(fingerprint(repo.sim)).toBe(before);
  });
});
