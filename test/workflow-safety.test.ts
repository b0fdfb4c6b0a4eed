// What a self-hosted runner inside the LAN needs from the workflows: a fork's code never
// reaches it or a token, the plan never holds the token that creates and destroys VMs, and
// that token lives in the proxmox environment only. GitHub's guidance: self-hosted runners
// for private repositories, or with jobs that never run untrusted code
// (docs.github.com, "Security hardening for GitHub Actions": self-hosted runner security).
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const dir = path.join(import.meta.dirname, '..', '.github', 'workflows');
interface Job {
  if?: string;
  environment?: string;
  'runs-on'?: string;
  uses?: string;
  secrets?: unknown;
  steps?: Array<{ uses?: string; with?: Record<string, unknown> }>;
}
interface Workflow {
  on: Record<string, unknown>;
  jobs: Record<string, Job>;
}
const workflows = readdirSync(dir)
  .filter((f) => f.endsWith('.yml'))
  .map((f) => ({ file: f, text: readFileSync(path.join(dir, f), 'utf8') }))
  .map(({ file, text }) => ({ file, text, wf: parse(text) as Workflow }));
const jobs = workflows.flatMap(({ file, wf }) =>
  Object.entries(wf.jobs).map(([id, job]) => ({ file, id, job, text: JSON.stringify(job) })),
);
const SAME_REPO = 'github.event.pull_request.head.repo.full_name == github.repository';

describe('workflows on a self-hosted runner', () => {
  it('never run a pull request job on the LAN runner or with a secret without the same-repository condition', () => {
    for (const { file, wf } of workflows) {
      if (!('pull_request' in wf.on) && !('pull_request_target' in wf.on)) continue;
      expect(wf.on, `${file}: pull_request_target runs with secrets`).not.toHaveProperty(
        'pull_request_target',
      );
      for (const [id, job] of Object.entries(wf.jobs)) {
        const text = JSON.stringify(job);
        const lan = text.includes('PVE_GITOPS_RUNNER') || text.includes('self-hosted');
        const secret = /secrets\./.test(text);
        if (lan || secret) expect(job.if, `${file} ${id}`).toContain(SAME_REPO);
      }
    }
  });

  it('keep the apply token (create, destroy) in jobs of the proxmox environment only', () => {
    const users = jobs.filter(({ text }) => /secrets\.PROXMOX_TOKEN_(ID|SECRET)/.test(text));
    expect(users.map((j) => `${j.file} ${j.id}`).sort()).toEqual([
      'apply.yml apply',
      'provision.yml kubeconfig',
      'provision.yml provision',
    ]);
    for (const j of users) expect(j.job.environment, `${j.file} ${j.id}`).toBe('proxmox');
    // Called with secrets: inherit: the environment's secrets are read in the called jobs.
    for (const j of jobs.filter((x) => x.job.uses)) expect(j.job.secrets).toBe('inherit');
  });

  it('plan with the read-only plan token, pull requests and drift alike', () => {
    for (const id of ['plan.yml plan', 'drift.yml plan']) {
      const j = jobs.find((x) => `${x.file} ${x.id}` === id)!;
      const plan = j.job.steps!.find((s) => s.uses === './actions/plan')!;
      expect(plan.with?.['proxmox-token-id']).toBe('${{ secrets.PROXMOX_PLAN_TOKEN_ID }}');
      expect(plan.with?.['proxmox-token-secret']).toBe('${{ secrets.PROXMOX_PLAN_TOKEN_SECRET }}');
      expect(j.job.environment, id).toBeUndefined();
    }
  });

  it('read configuration that is not secret from variables', () => {
    for (const { file, text } of workflows)
      for (const name of ['PROXMOX_URL', 'PROXMOX_TLS_FINGERPRINT', 'VAULT_ADDR', 'VAULT_ROLE'])
        expect(text, `${file}: ${name}`).not.toContain(`secrets.${name}`);
  });

  // The first major of each action whose action.yml says `using: node24` (read from the
  // actions' own tags): checkout v5, setup-node v5, upload-artifact v6, download-artifact v7.
  it('pin third-party actions on their node24 majors', () => {
    const node24: Record<string, number> = {
      'actions/checkout': 5,
      'actions/setup-node': 5,
      'actions/upload-artifact': 6,
      'actions/download-artifact': 7,
    };
    for (const { file, text } of workflows)
      for (const m of text.matchAll(/uses:\s*([\w.-]+\/[\w.-]+)@[0-9a-f]{40} # v(\d+)\./g)) {
        expect(Object.keys(node24), `${file}: ${m[1]}`).toContain(m[1]);
        expect(Number(m[2]), `${file}: ${m[1]}`).toBeGreaterThanOrEqual(node24[m[1]]);
      }
  });
});
