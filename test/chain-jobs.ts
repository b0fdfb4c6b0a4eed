// apply.yml's apply job and provision.yml's provision job, step by step as the workflow files
// define them: the action bundles through the emulated runner (chain-helpers.ts), the shell
// steps run from the files by bash. Conditions are the workflows' (test/workflow-conditions).
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import type { ProxmoxSim } from '../sim/proxmox/index.js';
import * as c from './chain-helpers.js';
import type { keyPair } from './provision-helpers.js';
import { parseOutputs } from './runner-helpers.js';

/** What the jobs run against: origin, the developer's clone, the simulators, the fake API. */
export interface World {
  root: string;
  origin: string;
  dev: string;
  sim: ProxmoxSim;
  key: ReturnType<typeof keyPair>;
  apiUrl: string;
  /** Restarts the simulated VM hosts with the keys of the VMs that now exist. */
  bootHosts(): Promise<void>;
}

const wf = (f: string) =>
  parse(readFileSync(path.join(import.meta.dirname, '..', '.github', 'workflows', f), 'utf8')) as {
    jobs: Record<string, { steps: Array<{ id?: string; name?: string; run?: string }> }>;
  };
const script = (file: string, job: string, id: string) =>
  wf(file).jobs[job].steps.find((s) => s.id === id)!.run!;

/** A workflow `run:` step, by bash, as the runner runs it; returns its outputs. */
function shellStep(w: World, run: string, env: Record<string, string>, cwd: string) {
  const out = path.join(c.freshDir(path.join(w.root, 'shell')), 'out');
  writeFileSync(out, '');
  execFileSync('bash', ['-e', '-c', run], {
    cwd,
    env: { PATH: process.env.PATH, GITHUB_OUTPUT: out, ...env },
  });
  return parseOutputs(readFileSync(out, 'utf8'));
}

const proxmox = (w: World) => ({
  'proxmox-url': w.sim.url,
  'proxmox-token-id': w.sim.tokenId,
  'proxmox-token-secret': w.sim.tokenSecret,
  'proxmox-tls-fingerprint': w.sim.fingerprint,
  'proxmox-ca-file': '',
});
const TAGS = {
  'working-directory': '.',
  playbook: '',
  'new-hosts': '',
  'mark-applied': '',
  'fetch-applied-ref': 'true',
  source: 'event',
  message: '',
  range: '',
};
const PENDING = { 'working-directory': '.', 'new-hosts': '', tags: '', since: '', taken: '' };

/** apply.yml's apply job on a push of before..after; returns the job outputs and its steps. */
export async function applyJob(
  w: World,
  before: string,
  after: string,
  opts: { pushToken?: boolean } = {},
) {
  const job: c.Job = {
    workspace: c.checkout(w.root, w.origin, after),
    eventName: 'push',
    eventPath: c.writeEvent(w.root, c.pushPayload(w.dev, before, after)),
    sha: after,
    env: { GITHUB_API_URL: w.apiUrl, CI_CLOUDINIT_PASSWORD: 'pw-e2e-1' },
    steps: [],
  };
  const step = (id: string, name: string, inputs: Record<string, string>) =>
    c.runStep(w.root, job, id, name, inputs);
  const fail = (r: c.StepResult) => {
    if (r.code) throw new Error(`${r.id}: ${r.stdout.slice(-3000)}`);
    return r;
  };
  fail(await step('validate', 'validate', { 'working-directory': '.' }));
  fail(await step('tags-check', 'tags', TAGS));
  const INVENTORY = {
    'working-directory': '.',
    'new-hosts': '',
    tags: '',
    commit: 'false',
    branch: '',
    check: 'false',
    'check-push': 'false',
    'github-token': 'ghs_e2eToken',
    'push-token-set': String(!!opts.pushToken),
  };
  fail(await step('push-check', 'inventory', { ...INVENTORY, 'check-push': 'true' }));
  const apply = fail(
    await step('apply', 'apply', {
      ...proxmox(w),
      'proxmox-insecure': 'false',
      'github-token': '',
      comment: 'false',
      only: '',
      recreate: '',
      'dry-run': 'false',
      prune: 'false',
      'working-directory': '.',
    }),
  );
  if (apply.outputs['new-hosts'] !== '[]') await w.bootHosts();
  const tags = fail(
    await step('tags', 'tags', {
      ...TAGS,
      'new-hosts': apply.outputs['new-hosts'],
      'fetch-applied-ref': 'false',
    }),
  );
  const record = fail(
    await step('record', 'pending', {
      ...PENDING,
      mode: 'record',
      'new-hosts': apply.outputs['new-hosts'],
      tags: tags.outputs.tags,
    }),
  );
  const inventory = await step('inventory', 'inventory', {
    ...INVENTORY,
    'new-hosts': apply.outputs['new-hosts'],
    tags: tags.outputs.tags,
    commit: 'true',
  });
  // if: !cancelled() && steps.record.outcome == 'success': also after a refused push.
  const route = shellStep(
    w,
    script('apply.yml', 'apply', 'route'),
    {
      PUSH_TOKEN_SET: String(!!opts.pushToken),
      COMMITTED: inventory.outputs.committed ?? '',
      FILES: inventory.outputs.files ?? '',
      WAITING: record.outputs.count,
    },
    job.workspace,
  );
  fail(await step('mark-applied', 'tags', { ...TAGS, 'mark-applied': after }));
  return {
    job,
    inventory,
    outputs: {
      'new-hosts': inventory.outputs['new-hosts'] ?? '',
      'known-hosts': apply.outputs['known-hosts'] ?? '',
      'inventory-sha': inventory.outputs.sha ?? '',
      'provision-here': route['provision-here'],
    },
  };
}

export interface ProvisionRun {
  event: 'call' | 'push' | 'dispatch';
  ref: string;
  inputs?: Record<string, string>;
  payload?: object;
  cancelAfterTake?: boolean;
}
/** provision.yml's provision job; cancelAfterTake stops it as a cancellation would. */
export async function provisionJob(w: World, run: ProvisionRun) {
  const inputs = { 'new-hosts': '', playbook: '', playbooks: '', 'known-hosts': '', ...run.inputs };
  const payload = run.payload ?? { inputs };
  const job: c.Job = {
    workspace: c.checkout(w.root, w.origin, run.ref, false),
    eventName:
      run.event === 'call' ? 'push' : run.event === 'dispatch' ? 'workflow_dispatch' : 'push',
    eventPath: c.writeEvent(w.root, payload),
    sha: run.ref,
    env: { PVE_GITOPS_SIMULATOR: 'true' },
    steps: [],
  };
  const head = (payload as { head_commit?: { message: string; author: { email: string } } })
    .head_commit;
  const chosen = shellStep(
    w,
    script('provision.yml', 'provision', 'hosts'),
    {
      GIVEN: inputs['new-hosts'],
      EVENT: job.eventName,
      HAS_INPUTS: String(run.event !== 'push'),
      AUTHOR: head?.author.email ?? '',
    },
    job.workspace,
  );
  const take = await c.runStep(w.root, job, 'pending', 'pending', {
    ...PENDING,
    mode: 'take',
    'new-hosts': chosen['new-hosts'],
  });
  if (take.code) throw new Error(take.stdout);
  if (run.cancelAfterTake) return { job, take };
  const message = `${take.outputs.message} ${chosen['message-tags'] === 'true' ? head!.message : ''}`;
  const tags = await c.runStep(w.root, job, 'tags', 'tags', {
    ...TAGS,
    source: 'message',
    message,
    playbook: inputs.playbook,
    'new-hosts': take.outputs['new-hosts'],
    'fetch-applied-ref': 'false',
  });
  if (tags.code) throw new Error(tags.stdout);
  const p = await c.runStep(w.root, job, 'provision', 'provision', {
    ...proxmox(w),
    playbooks: `${inputs.playbooks}\n${tags.outputs.playbooks}`,
    'new-hosts': take.outputs['new-hosts'],
    'known-hosts': inputs['known-hosts'],
    'ssh-private-key': w.key.privateKey,
    'k3s-token': 'k3s-e2e-token',
    'trust-on-first-use': 'false',
    simulator: 'false',
    'working-directory': '.',
  });
  if (p.code) throw new Error(`provision: ${p.stdout.slice(-3000)}`);
  const done = await c.runStep(w.root, job, 'done', 'pending', {
    ...PENDING,
    mode: 'done',
    taken: take.outputs.taken,
  });
  if (done.code) throw new Error(done.stdout);
  return { job, take, provisioned: p.outputs.provisioned };
}
