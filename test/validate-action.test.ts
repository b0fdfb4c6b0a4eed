// The validate action, run through its bundle with the runner's environment contract.
import { spawnSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseOutputs } from './runner-helpers.js';

const root = path.resolve(import.meta.dirname, '..');
const bundle = path.join(root, 'actions/validate/dist/index.cjs');
const temps: string[] = [];
afterEach(async () => {
  await Promise.all(temps.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

/** Runs the action in a fresh workspace holding `files` under `sub/`; returns what it wrote. */
async function runAction(files: Record<string, string>, workingDirectory = 'sub') {
  const workspace = await mkdtemp(path.join(tmpdir(), 'validate-action-'));
  temps.push(workspace);
  const repoDir = path.join(workspace, 'sub');
  await mkdir(path.join(repoDir, 'vms'), { recursive: true });
  for (const [rel, text] of Object.entries(files)) await writeFile(path.join(repoDir, rel), text);
  const output = path.join(workspace, 'output.txt');
  const summary = path.join(workspace, 'summary.md');
  await writeFile(output, '');
  await writeFile(summary, '');
  const r = spawnSync(process.execPath, [bundle], {
    cwd: workspace,
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH,
      GITHUB_WORKSPACE: workspace,
      GITHUB_OUTPUT: output,
      GITHUB_STEP_SUMMARY: summary,
      'INPUT_WORKING-DIRECTORY': workingDirectory,
    },
  });
  return {
    code: r.status,
    stdout: r.stdout,
    outputs: parseOutputs(await readFile(output, 'utf8')),
    summary: await readFile(summary, 'utf8'),
    workspace,
  };
}

describe('validate action', () => {
  it('passes on the examples: outputs, summary table, no annotations', async () => {
    const workspace = await mkdtemp(path.join(tmpdir(), 'validate-action-ex-'));
    temps.push(workspace);
    await cp(path.join(root, 'vms'), path.join(workspace, 'vms'), { recursive: true });
    await cp(path.join(root, 'pve-gitops.yaml'), path.join(workspace, 'pve-gitops.yaml'));
    const output = path.join(workspace, 'out.txt');
    const summary = path.join(workspace, 'summary.md');
    await writeFile(output, '');
    await writeFile(summary, '');
    const r = spawnSync(process.execPath, [bundle], {
      cwd: workspace,
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH,
        GITHUB_WORKSPACE: workspace,
        GITHUB_OUTPUT: output,
        GITHUB_STEP_SUMMARY: summary,
      },
    });
    expect(r.status).toBe(0);
    expect(r.stdout).not.toContain('::error');
    expect(parseOutputs(await readFile(output, 'utf8'))).toEqual({
      valid: 'true',
      'vm-count': '5',
      'error-count': '0',
    });
    const md = await readFile(summary, 'utf8');
    expect(md).toContain('✅ 5 VM definitions valid.');
    expect(md).toContain(
      '| `vms/k8s-observability.yaml` | k8s-observability | pve1 | 4 (2×2) | 8 GiB | scsi0 32G, scsi1 100G | ✅ valid |',
    );
  });

  it('annotates every error at file:line:col relative to the workspace and fails', async () => {
    const r = await runAction({
      'vms/a.yaml': 'name: a\ntarget_node: pve1\ncores: 0\nmemroy: 1\n',
      'vms/b.yaml': 'name: b\ntarget_node: pve1\n',
    });
    expect(r.code).toBe(1);
    const annotations = r.stdout.split('\n').filter((l) => l.startsWith('::error '));
    expect(annotations).toEqual([
      '::error title=VM a,file=sub/vms/a.yaml,line=3,col=8::`cores` must be at least 1, not 0.',
      '::error title=VM a,file=sub/vms/a.yaml,line=4,col=1::Unknown key `memroy`; did you mean `memory`?',
    ]);
    expect(r.stdout).toContain(
      '\n::error::2 errors in 1 file. See the annotations or run pve-gitops validate.\n',
    );
    expect(r.stdout).not.toMatch(/^\s+at /m);
    expect(r.outputs).toEqual({ valid: 'false', 'vm-count': '1', 'error-count': '2' });
    expect(r.summary).toContain('❌ 2 errors in 1 file.');
    expect(r.summary).toContain(
      '| `vms/a.yaml` | a | — | — | — | — | ❌ line 3: &#96;cores&#96; must be at least 1, not 0. (+1 more) |',
    );
    expect(r.summary).toContain('| `vms/b.yaml` | b | pve1 | 2 | 2 GiB | — | ✅ valid |');
  });

  it('fails with one sentence when the working directory has no vms/', async () => {
    const r = await runAction({}, 'missing');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /^::error::There is no vms\/ folder in .*missing; VM definitions go in vms\/<name>\.yaml\.$/m,
    );
    expect(r.summary).toBe('');
  });
});
