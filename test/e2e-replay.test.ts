// Issue #5, replayed end to end: a push adding vms/k8s-foo.yaml with `[ansible k8s-foo]` goes
// through the committed action bundles in the order apply.yml and provision.yml run them,
// with the runner's contract, against the Proxmox simulator and simulated VM hosts running a
// real sshd each; Ansible runs for real. Each step's outputs feed the next step's inputs the
// way the workflow expressions do.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProxmoxSim, type ProxmoxSim } from '../sim/proxmox/index.js';
import { startVmHosts, type VmHosts } from '../sim/hosts/vm-hosts.js';
import { keyPair, randomLoopback } from './provision-helpers.js';
import {
  checkout as checkoutAt,
  freshDir,
  originWithDev,
  START_FILES,
  writeEvent,
} from './chain-helpers.js';
import { inputEnv, parseOutputs, runnerEnv } from './runner-helpers.js';
import { sh } from './tags-helpers.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const bundle = (step: string) => path.join(ROOT, 'actions', step, 'dist', 'index.cjs');
const TOKEN = 'k3s-secret-token-4f9Qz7';
const CLOUDINIT = 'cloud-init-pw-e2e-77';

const FOO = { name: 'k8s-foo', ip: randomLoopback() };
const BAR = { name: 'k8s-bar', ip: randomLoopback() };
/** Started but never defined in vms/: must never be touched. */
const IDLE = { name: 'k8s-idle', ip: randomLoopback() };

let root: string;
let sim: ProxmoxSim;
let hosts: VmHosts;
let key: ReturnType<typeof keyPair>;
let origin: string;
let dev: string;
let runNo = 0;
/**
 * known_hosts of hosts created by earlier runs, as a user keeps them (a dispatch input or the
 * runner's known_hosts): a tag run on an existing host needs its key, and apply reports only
 * new hosts' keys.
 */
let earlierKnownHosts = '';

/**
 * (Re)boots the simulated VM hosts: each VM that exists in the Proxmox simulator presents the
 * host key its guest agent reports, as a real VM's sshd serves the key cloud-init wrote.
 */
async function bootHosts(): Promise<void> {
  await hosts?.stop();
  const hostKeys: Record<string, string> = {};
  for (const vm of [FOO, BAR, IDLE]) {
    const s = sim.cluster.vms().find((v) => v.config.name === vm.name);
    if (s) hostKeys[vm.name] = sim.cluster.hostKeyOf(s.vmid).privateKey;
  }
  hosts = await startVmHosts({
    vms: [FOO, BAR, IDLE],
    authorizedKey: key.publicKey,
    stateDir: path.join(root, 'vms'),
    hostKeys,
  });
}

interface StepResult {
  code: number;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
}

/** Runs one action bundle as the runner does: INPUT_*, GITHUB_* files, the event payload. */
function runStep(
  step: string,
  inputs: Record<string, string>,
  job: { workspace: string; eventPath: string; sha: string; env?: Record<string, string> },
): Promise<StepResult> {
  const dir = freshDir(path.join(root, 'runner'));
  const outputFile = path.join(dir, 'output');
  const summaryFile = path.join(dir, 'summary');
  writeFileSync(outputFile, '');
  writeFileSync(summaryFile, '');
  const env = {
    ...runnerEnv({
      home: path.join(root, 'home'),
      outputFile,
      summaryFile,
      tempDir: freshDir(path.join(root, 'runner-temp')),
      workspace: job.workspace,
      eventName: 'push',
      eventPath: job.eventPath,
      sha: job.sha,
      runNumber: runNo,
    }),
    ...job.env,
    ...inputEnv(inputs),
  };
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [bundle(step)],
      { cwd: job.workspace, env, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
      (err, stdout, stderr) => {
        resolve({
          code: err ? Number(err.code ?? 1) : 0,
          stdout,
          stderr,
          outputs: parseOutputs(readFileSync(outputFile, 'utf8')),
          summary: readFileSync(summaryFile, 'utf8'),
        });
      },
    );
  });
}

/** actions/checkout with fetch-depth 0: a clone of origin with `sha` checked out. */
const checkout = (sha: string, branch = true) => checkoutAt(root, origin, sha, branch);

interface Commit {
  sha: string;
  message: string;
}

/** A realistic push payload for the commits `before..after`. */
function pushEvent(before: string, after: string): string {
  const shas = sh(dev, 'rev-list', '--reverse', `${before}..${after}`).split('\n').filter(Boolean);
  const commits = shas.map((id) => {
    const files = (filter: string) =>
      sh(dev, 'diff-tree', '--no-commit-id', '--name-only', '-r', `--diff-filter=${filter}`, id)
        .split('\n')
        .filter(Boolean);
    return {
      id,
      tree_id: sh(dev, 'rev-parse', `${id}^{tree}`),
      distinct: true,
      message: sh(dev, 'log', '-1', '--format=%B', id),
      timestamp: sh(dev, 'log', '-1', '--format=%aI', id),
      url: `https://github.com/acme/homelab/commit/${id}`,
      author: { name: 'Dev', email: 'dev@example.test', username: 'dev' },
      committer: { name: 'Dev', email: 'dev@example.test', username: 'dev' },
      added: files('A'),
      removed: files('D'),
      modified: files('M'),
    };
  });
  const event = {
    ref: 'refs/heads/main',
    before,
    after,
    created: false,
    deleted: false,
    forced: false,
    base_ref: null,
    compare: `https://github.com/acme/homelab/compare/${before.slice(0, 12)}...${after.slice(0, 12)}`,
    commits,
    head_commit: commits.at(-1) ?? null,
    repository: {
      id: 1,
      name: 'homelab',
      full_name: 'acme/homelab',
      default_branch: 'main',
      master_branch: 'main',
      owner: { login: 'acme', name: 'acme' },
    },
    pusher: { name: 'dev', email: 'dev@example.test' },
    sender: { login: 'dev', type: 'User' },
  };
  return writeEvent(root, event);
}

/** Commits in the developer's clone and pushes; returns the push's before and after. */
function push(...commits: Array<{ message: string; files?: Record<string, string> }>): {
  before: string;
  after: string;
  made: Commit[];
} {
  sh(dev, 'pull', '--quiet', '--ff-only', 'origin', 'main');
  const before = sh(dev, 'rev-parse', 'HEAD');
  const made: Commit[] = [];
  for (const c of commits) {
    for (const [f, text] of Object.entries(c.files ?? {})) {
      mkdirSync(path.dirname(path.join(dev, f)), { recursive: true });
      writeFileSync(path.join(dev, f), text);
      sh(dev, 'add', f);
    }
    sh(dev, 'commit', '--quiet', '--allow-empty', '-m', c.message);
    made.push({ sha: sh(dev, 'rev-parse', 'HEAD'), message: c.message });
  }
  sh(dev, 'push', '--quiet', 'origin', 'main');
  return { before, after: sh(dev, 'rev-parse', 'HEAD'), made };
}

function vmFile(vm: { name: string; ip: string }): string {
  return [
    `name: ${vm.name}`,
    'target_node: pve1',
    'cores: 1',
    'memory: 1024',
    `ipconfig0: ip=${vm.ip}/8`,
    'network:',
    '  bridge: vmbr0',
    'disks:',
    '  scsi0:',
    '    size: 8G',
    '',
  ].join('\n');
}

interface RunRecord {
  steps: Array<{ id: string } & StepResult>;
  failedAt?: string;
  provisioned?: StepResult;
  apply?: Record<string, string>;
}

/**
 * apply.yml's apply job, then (when its `if` holds) provision.yml's provision job, as the
 * runner would: stops at the first failing step like a job does.
 */
async function applyWorkflow(before: string, after: string): Promise<RunRecord> {
  runNo++;
  const eventPath = pushEvent(before, after);
  const ws = checkout(after);
  const job = {
    workspace: ws,
    eventPath,
    sha: after,
    env: { CI_CLOUDINIT_PASSWORD: CLOUDINIT },
  };
  const rec: RunRecord = { steps: [] };
  const step = async (id: string, name: string, inputs: Record<string, string>) => {
    const r = await runStep(name, inputs, job);
    rec.steps.push({ id, ...r });
    if (r.code !== 0) rec.failedAt = id;
    return r;
  };
  // ${{ inputs.* }} are empty on push; defaults from action.yml are filled by the runner.
  if ((await step('validate', 'validate', { 'working-directory': '.' })).code) return rec;
  const tagsDefaults = {
    'working-directory': '.',
    playbook: '',
    'new-hosts': '',
    'mark-applied': '',
    'fetch-applied-ref': 'true',
    source: 'event',
    message: '',
  };
  if ((await step('tags-check', 'tags', tagsDefaults)).code) return rec;
  const apply = await step('apply', 'apply', {
    'proxmox-url': sim.url,
    'proxmox-token-id': sim.tokenId,
    'proxmox-token-secret': sim.tokenSecret,
    'proxmox-tls-fingerprint': sim.fingerprint,
    'proxmox-ca-file': '',
    'proxmox-insecure': 'false',
    'github-token': '',
    comment: 'false',
    only: '',
    recreate: '',
    'dry-run': 'false',
    prune: 'false',
    'working-directory': '.',
  });
  rec.apply = apply.outputs;
  if (apply.code) return rec;
  if (apply.outputs['new-hosts'] && apply.outputs['new-hosts'] !== '[]') await bootHosts();
  const tags = await step('tags', 'tags', {
    ...tagsDefaults,
    'new-hosts': apply.outputs['new-hosts'] ?? '',
    'fetch-applied-ref': 'false',
  });
  if (tags.code) return rec;
  const inventory = await step('inventory', 'inventory', {
    'working-directory': '.',
    'new-hosts': apply.outputs['new-hosts'] ?? '',
    tags: tags.outputs.tags ?? '',
    commit: 'true',
    branch: '',
    check: 'false',
  });
  if (inventory.code) return rec;
  // "Decide where provisioning runs": no PVE_GITOPS_PUSH_TOKEN here, so provision-here=true.
  const provisionHere = 'true';
  if ((await step('mark-applied', 'tags', { ...tagsDefaults, 'mark-applied': after })).code)
    return rec;
  const jobOutputs = {
    'new-hosts': inventory.outputs['new-hosts'] ?? '',
    playbooks: tags.outputs.playbooks ?? '',
    'inventory-sha': inventory.outputs.sha ?? '',
    'known-hosts': apply.outputs['known-hosts'] ?? '',
  };
  if (provisionHere !== 'true' || (jobOutputs['new-hosts'] === '' && jobOutputs.playbooks === ''))
    return rec;

  // provision.yml via workflow_call: checkout of the inventory commit, then the steps.
  const pws = checkout(jobOutputs['inventory-sha'], false);
  const pjob = {
    workspace: pws,
    eventPath,
    sha: after,
    env: { PVE_GITOPS_SIMULATOR: 'true' },
  };
  const hostsOut = jobOutputs['new-hosts'];
  let playbooks = jobOutputs.playbooks;
  if (!playbooks) {
    const event = JSON.parse(readFileSync(eventPath, 'utf8')) as {
      head_commit?: { message?: string };
    };
    const t = await runStep(
      'tags',
      {
        ...tagsDefaults,
        source: 'message',
        message: event.head_commit?.message ?? '',
        'new-hosts': hostsOut,
        'fetch-applied-ref': 'false',
      },
      pjob,
    );
    rec.steps.push({ id: 'provision-tags', ...t });
    if (t.code) return ((rec.failedAt = 'provision-tags'), rec);
    playbooks = t.outputs.playbooks ?? '';
  }
  const p = await runStep(
    'provision',
    {
      playbooks,
      'new-hosts': hostsOut,
      'ssh-private-key': key.privateKey,
      'k3s-token': TOKEN,
      // apply's known-hosts output (read through the guest agent), as apply.yml passes it;
      // never the hosts' own keys.
      'known-hosts': earlierKnownHosts + jobOutputs['known-hosts'],
      'trust-on-first-use': 'false',
      simulator: 'false',
      'working-directory': '.',
    },
    pjob,
  );
  rec.steps.push({ id: 'provision', ...p });
  rec.provisioned = p;
  if (p.code) rec.failedAt = 'provision';
  earlierKnownHosts += jobOutputs['known-hosts'];
  return rec;
}

const marker = (vm: { name: string }) =>
  path.join(hosts.hosts.find((h) => h.name === vm.name)!.dirs['/var/lib/rancher'], 'marker');
const clearMarkers = () => {
  for (const vm of [FOO, BAR, IDLE]) rmSync(marker(vm), { force: true });
};
const originHead = () => sh(origin, 'rev-parse', 'refs/heads/main');
const appliedRef = () => sh(origin, 'rev-parse', 'refs/pve-gitops/applied');
const mutations = () => sim.stats().mutations ?? 0;

/** Everything a step printed must be free of secrets, except the runner's own ::add-mask::. */
function expectNoSecrets(rec: RunRecord): void {
  const keyLines = key.privateKey
    .split('\n')
    .filter((l) => l.length > 16 && !l.startsWith('-----'));
  for (const s of rec.steps) {
    const text = (s.stdout + s.stderr + s.summary)
      .split('\n')
      .filter((l) => !l.startsWith('::add-mask::'))
      .join('\n');
    for (const secret of [TOKEN, sim.tokenSecret, CLOUDINIT, ...keyLines])
      expect(text, `${s.id} printed a secret`).not.toContain(secret);
  }
}

function explain(rec: RunRecord): string {
  const s = rec.steps.find((x) => x.id === rec.failedAt);
  return s ? `${s.id}: ${s.stdout.slice(-3000)}${s.stderr.slice(-2000)}` : '';
}

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'pve-gitops-e2e-'));
  mkdirSync(path.join(root, 'home'));
  for (const step of ['validate', 'tags', 'apply', 'inventory', 'provision']) {
    if (!existsSync(bundle(step)))
      throw new Error(`${bundle(step)} is missing; run node scripts/build.mjs`);
  }
  key = keyPair(root);
  sim = await startProxmoxSim({ timeScale: 0.02 });
  await bootHosts();
  ({ origin, dev } = originWithDev(root, START_FILES, 'chore: start the homelab repository'));
}, 120_000);

afterAll(async () => {
  await hosts?.stop();
  await sim?.stop();
  if (root) await rm(root, { recursive: true, force: true });
});

describe('issue #5 replayed: push → apply → inventory → tags → provision', () => {
  it('creates k8s-foo, commits the inventory with its tag, and provisions exactly k8s-foo', async () => {
    const { before, after } = push({
      message: 'feat: add k8s-foo [ansible k8s-foo]',
      files: { 'vms/k8s-foo.yaml': vmFile(FOO) },
    });
    const rec = await applyWorkflow(before, after);
    expect(rec.failedAt, explain(rec)).toBeUndefined();

    // The VM exists in the simulator.
    const vm = Object.values(sim.cluster.state.vms).find((v) => v.config.name === FOO.name);
    expect(vm, 'k8s-foo in the simulator').toBeDefined();
    expect(vm!.status).toBe('running');
    expect(String(vm!.config.ipconfig0)).toBe(`ip=${FOO.ip}/8`);
    // apply's known-hosts: k8s-foo's key as its guest agent reported it, nothing else.
    const [type, b64] = sim.cluster.hostKeyOf(vm!.vmid).publicKey.split(' ');
    expect(rec.apply?.['known-hosts']).toBe(`${FOO.ip} ${type} ${b64}\n`);

    // The inventory commit, carrying the tag, is in origin.
    const head = originHead();
    expect(sh(origin, 'log', '-1', '--format=%an%n%s', head)).toBe(
      'github-actions[bot]\nchore(inventory): k8s-foo [ansible k8s-foo]',
    );
    expect(sh(origin, 'show', `${head}:inventory/new_hosts.txt`)).toBe(`${FOO.ip},k8s-foo`);
    expect(sh(origin, 'show', `${head}:inventory/k8s.ini`)).toMatch(
      new RegExp(`^k8s-foo ansible_host=${FOO.ip.replace(/\./g, '\\.')} ansible_user=root`, 'm'),
    );
    expect(appliedRef()).toBe(after);

    // Provisioning ran on k8s-foo only, in its own namespaces.
    expect(rec.provisioned?.outputs.provisioned).toBe('k8s-foo');
    expect(rec.provisioned?.outputs.runs).toBe('1');
    expect(readFileSync(marker(FOO), 'utf8')).toBe('k8s-foo\n');
    expect(existsSync(marker(BAR))).toBe(false);
    expect(existsSync(marker(IDLE))).toBe(false);
    expect(rec.provisioned?.stdout).toContain('playbooks/k8s.yml on k8s-foo');
    expectNoSecrets(rec);
  }, 240_000);

  it('a second run changes nothing: no commit, no Proxmox mutation, nothing provisioned', async () => {
    clearMarkers();
    const headBefore = originHead();
    const { before, after } = push({ message: 'docs: note the new cluster' });
    const m0 = mutations();
    const rec = await applyWorkflow(before, after);
    expect(rec.failedAt, explain(rec)).toBeUndefined();
    expect(mutations() - m0).toBe(0);
    expect(rec.apply?.['has-changes']).toBe('false');
    expect(originHead()).toBe(after);
    expect(sh(origin, 'rev-list', '--count', `${headBefore}..${originHead()}`)).toBe('1');
    expect(rec.steps.find((s) => s.id === 'tags')?.outputs.playbooks).toBe('');
    // The workflow's `if` skips the provision job: nothing new, nothing to run.
    expect(rec.provisioned).toBeUndefined();
    for (const vm of [FOO, BAR, IDLE]) expect(existsSync(marker(vm))).toBe(false);
    expect(appliedRef()).toBe(after);
  }, 240_000);

  it('two pushes coalesced into one run lose no tag', async () => {
    clearMarkers();
    // Two pushes; the run of the first was pending and replaced by the second's (concurrency).
    const first = push({
      message: 'feat: add k8s-bar [ansible k8s-bar]',
      files: { 'vms/k8s-bar.yaml': vmFile(BAR) },
    });
    const second = push({ message: 'fix: re-run the k3s play on foo [ansible k8s-foo]' });
    const rec = await applyWorkflow(second.before, second.after);
    expect(first.after).toBe(second.before);
    expect(rec.failedAt, explain(rec)).toBeUndefined();
    expect(rec.steps.find((s) => s.id === 'tags')?.outputs.tags).toBe('k8s-bar k8s-foo');
    expect(sh(origin, 'log', '-1', '--format=%s', originHead())).toBe(
      'chore(inventory): k8s-bar [ansible k8s-bar] [ansible k8s-foo]',
    );
    expect(rec.provisioned?.outputs.provisioned).toBe('k8s-bar k8s-foo');
    expect(readFileSync(marker(BAR), 'utf8')).toBe('k8s-bar\n');
    expect(readFileSync(marker(FOO), 'utf8')).toBe('k8s-foo\n');
    expect(existsSync(marker(IDLE))).toBe(false);
    expect(appliedRef()).toBe(second.after);
    expectNoSecrets(rec);
  }, 240_000);

  it('a hostile tag runs nothing and fails naming the commit', async () => {
    clearMarkers();
    const applied = appliedRef();
    const m0 = mutations();
    const { before, after, made } = push(
      { message: 'chore: tidy [ansible ../../etc/passwd]' },
      { message: 'chore: more [ansible x;rm -rf /]' },
    );
    const headBefore = originHead();
    const rec = await applyWorkflow(before, after);
    expect(rec.failedAt).toBe('tags-check');
    const out = rec.steps.find((s) => s.id === 'tags-check')!.stdout;
    const errorLine = out.split('\n').find((l) => l.startsWith('::error::')) ?? '';
    expect(errorLine).toContain(
      `Commit ${made[0].sha.slice(0, 7)} "chore: tidy [ansible ../../etc/passwd]"`,
    );
    expect(errorLine).toContain(`Commit ${made[1].sha.slice(0, 7)}`);
    expect(errorLine).toContain('Nothing was run.');
    // The job stopped: no apply, no commit, no provisioning, the applied ref unmoved.
    expect(rec.steps.map((s) => s.id)).toEqual(['validate', 'tags-check']);
    expect(mutations() - m0).toBe(0);
    expect(originHead()).toBe(headBefore);
    expect(appliedRef()).toBe(applied);
    for (const vm of [FOO, BAR, IDLE]) expect(existsSync(marker(vm))).toBe(false);
  }, 240_000);
});
