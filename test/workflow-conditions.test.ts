// Every job's `if:` (and the steps' that decide the chain) evaluated with GitHub's own
// expression evaluator (@actions/expressions) for each event that triggers its workflow, with
// contexts as GitHub builds them: on push, pull_request and schedule `inputs` is null; a
// workflow_dispatch has typed inputs with their defaults; a called workflow sees the caller's
// github context and the inputs its caller passes. A condition that is false where the job
// should run (like `inputs.publish-kubeconfig != false` on a push) fails here.
import { describe, expect, it } from 'vitest';
import { evaluateIf, evaluateValue, statusOfNeeds, type Status } from './expressions-helpers.js';
import { BOT_EMAIL, events, REPO, workflows, type Ctx, type Step } from './workflow-contexts.js';

interface Need {
  result: string;
  outputs?: Record<string, string>;
}
interface Case {
  file: string;
  trigger: string;
  job: string;
  why: string;
  ctx: Ctx;
  needs?: Record<string, Need>;
  run: boolean;
}

const FOO = '127.0.0.5,k8s-foo';
// prettier-ignore
const cases: Case[] = [
  // apply.yml
  { file: 'apply.yml', trigger: 'push', job: 'apply', why: 'a person pushes to main', ctx: events.push(), run: true },
  { file: 'apply.yml', trigger: 'push', job: 'apply', why: 'the bot pushes its inventory commit', ctx: events.push('chore(inventory): k8s-foo [ansible k8s-foo]', BOT_EMAIL, 'github-actions[bot]'), run: false },
  { file: 'apply.yml', trigger: 'push', job: 'apply', why: 'an App token pushes the inventory commit', ctx: events.push('chore(inventory): k8s-foo', BOT_EMAIL, 'pve-gitops-app[bot]'), run: false },
  { file: 'apply.yml', trigger: 'workflow_dispatch', job: 'apply', why: 'a dispatch on main', ctx: events.dispatch('apply.yml'), run: true },
  { file: 'apply.yml', trigger: 'workflow_dispatch', job: 'apply', why: 'a dispatch on another branch', ctx: events.dispatch('apply.yml', {}, 'refs/heads/wip'), run: false },
  { file: 'apply.yml', trigger: 'push', job: 'provision', why: 'apply made hosts (default route)', ctx: events.push(), needs: { apply: { result: 'success', outputs: { 'provision-here': 'true', 'new-hosts': FOO } } }, run: true },
  { file: 'apply.yml', trigger: 'push', job: 'provision', why: 'the branch refused the inventory push: apply failed after making hosts', ctx: events.push(), needs: { apply: { result: 'failure', outputs: { 'provision-here': 'true', 'new-hosts': FOO } } }, run: true },
  { file: 'apply.yml', trigger: 'push', job: 'provision', why: 'the token route: the inventory push starts provision.yml', ctx: events.push(), needs: { apply: { result: 'success', outputs: { 'provision-here': 'false' } } }, run: false },
  { file: 'apply.yml', trigger: 'push', job: 'provision', why: 'apply failed before recording anything', ctx: events.push(), needs: { apply: { result: 'failure', outputs: {} } }, run: false },
  { file: 'apply.yml', trigger: 'push', job: 'provision', why: 'the run was cancelled', ctx: events.push(), needs: { apply: { result: 'cancelled', outputs: { 'provision-here': 'true' } } }, run: false },
  { file: 'apply.yml', trigger: 'workflow_dispatch', job: 'provision', why: 'a dispatch left tags to run', ctx: events.dispatch('apply.yml', { playbook: 'haproxy' }), needs: { apply: { result: 'success', outputs: { 'provision-here': 'true' } } }, run: true },
  { file: 'apply.yml', trigger: 'workflow_dispatch', job: 'provision', why: 'a dry run records nothing', ctx: events.dispatch('apply.yml', { 'dry-run': true }), needs: { apply: { result: 'success', outputs: { 'provision-here': '' } } }, run: false },
  // provision.yml
  { file: 'provision.yml', trigger: 'push', job: 'provision', why: 'a push of new_hosts.txt (token route)', ctx: events.push('chore(inventory): k8s-foo', BOT_EMAIL, 'app[bot]'), run: true },
  { file: 'provision.yml', trigger: 'workflow_dispatch', job: 'provision', why: 'a re-run by hand', ctx: events.dispatch('provision.yml', { playbook: 'haproxy' }), run: true },
  { file: 'provision.yml', trigger: 'workflow_call', job: 'provision', why: 'apply calls it', ctx: events.call({ 'new-hosts': FOO }), run: true },
  { file: 'provision.yml', trigger: 'push', job: 'kubeconfig', why: 'the token route provisioned a new server (inputs is null)', ctx: events.push('chore(inventory): k8s-foo', BOT_EMAIL, 'app[bot]'), needs: { provision: { result: 'success', outputs: { 'new-hosts': FOO } } }, run: true },
  { file: 'provision.yml', trigger: 'push', job: 'kubeconfig', why: 'nothing new was provisioned', ctx: events.push(), needs: { provision: { result: 'success', outputs: { 'new-hosts': '' } } }, run: false },
  { file: 'provision.yml', trigger: 'push', job: 'kubeconfig', why: 'provisioning failed', ctx: events.push(), needs: { provision: { result: 'failure', outputs: { 'new-hosts': FOO } } }, run: false },
  { file: 'provision.yml', trigger: 'workflow_dispatch', job: 'kubeconfig', why: 'a dispatch with the default publish-kubeconfig', ctx: events.dispatch('provision.yml', { 'new-hosts': FOO }), needs: { provision: { result: 'success', outputs: { 'new-hosts': FOO } } }, run: true },
  { file: 'provision.yml', trigger: 'workflow_dispatch', job: 'kubeconfig', why: 'a dispatch with publish-kubeconfig off', ctx: events.dispatch('provision.yml', { 'publish-kubeconfig': false }), needs: { provision: { result: 'success', outputs: { 'new-hosts': FOO } } }, run: false },
  { file: 'provision.yml', trigger: 'workflow_call', job: 'kubeconfig', why: 'apply calls it with publish-kubeconfig true', ctx: events.call({ 'new-hosts': FOO }), needs: { provision: { result: 'success', outputs: { 'new-hosts': FOO } } }, run: true },
  { file: 'provision.yml', trigger: 'workflow_call', job: 'kubeconfig', why: 'a caller turns publishing off', ctx: events.call({ 'publish-kubeconfig': false }), needs: { provision: { result: 'success', outputs: { 'new-hosts': FOO } } }, run: false },
  // plan.yml
  { file: 'plan.yml', trigger: 'pull_request', job: 'validate', why: 'a pull request from this repository', ctx: events.pullRequest(REPO), run: true },
  { file: 'plan.yml', trigger: 'pull_request', job: 'validate', why: 'a fork pull request is validated', ctx: events.pullRequest('mallory/homelab'), run: true },
  { file: 'plan.yml', trigger: 'pull_request', job: 'plan', why: 'a pull request from this repository is planned', ctx: events.pullRequest(REPO), run: true },
  { file: 'plan.yml', trigger: 'pull_request', job: 'plan', why: 'a fork never reaches the LAN runner or a token', ctx: events.pullRequest('mallory/homelab'), run: false },
  { file: 'plan.yml', trigger: 'pull_request', job: 'plan', why: 'a pull request whose fork was deleted', ctx: events.pullRequest(null), run: false },
  // drift.yml
  { file: 'drift.yml', trigger: 'schedule', job: 'plan', why: 'the schedule', ctx: events.schedule(), run: true },
  { file: 'drift.yml', trigger: 'workflow_dispatch', job: 'plan', why: 'by hand', ctx: events.dispatch('drift.yml'), run: true },
  { file: 'drift.yml', trigger: 'schedule', job: 'report', why: 'drift found', ctx: events.schedule(), needs: { plan: { result: 'success', outputs: { 'has-changes': 'true' } } }, run: true },
  { file: 'drift.yml', trigger: 'schedule', job: 'report', why: 'a clean plan closes the issue', ctx: events.schedule(), needs: { plan: { result: 'success', outputs: { 'has-changes': 'false' } } }, run: true },
  { file: 'drift.yml', trigger: 'schedule', job: 'report', why: 'a plan error (cannot shrink, has-changes false) keeps the issue open', ctx: events.schedule(), needs: { plan: { result: 'failure', outputs: { 'has-changes': 'false' } } }, run: true },
  { file: 'drift.yml', trigger: 'workflow_dispatch', job: 'report', why: 'the plan failed before planning', ctx: events.dispatch('drift.yml'), needs: { plan: { result: 'failure', outputs: {} } }, run: true },
  { file: 'drift.yml', trigger: 'schedule', job: 'report', why: 'the run was cancelled', ctx: events.schedule(), needs: { plan: { result: 'cancelled', outputs: {} } }, run: false },
  // ci.yml
  { file: 'ci.yml', trigger: 'push', job: 'test', why: 'a push', ctx: events.push(), run: true },
  { file: 'ci.yml', trigger: 'pull_request', job: 'test', why: 'a fork pull request is tested (GitHub-hosted)', ctx: events.pullRequest('mallory/homelab'), run: true },
];

function jobRuns(c: Case): boolean {
  const job = workflows[c.file].jobs[c.job];
  const needs = c.needs ?? {};
  const status: Status = statusOfNeeds(Object.values(needs).map((n) => n.result));
  return evaluateIf(job.if, { ...c.ctx, needs, vars: {} }, status);
}

describe('job conditions, evaluated by GitHub’s expression evaluator', () => {
  it.each(cases.map((c) => [`${c.file} ${c.job} on ${c.trigger}: ${c.why}`, c] as const))(
    '%s',
    (_label, c) => {
      expect(jobRuns(c)).toBe(c.run);
    },
  );

  it('cover every job of every workflow for every event that triggers it', () => {
    const missing: string[] = [];
    for (const [file, wf] of Object.entries(workflows))
      for (const trigger of Object.keys(wf.on))
        for (const job of Object.keys(wf.jobs))
          if (!cases.some((c) => c.file === file && c.trigger === trigger && c.job === job))
            missing.push(`${file} ${job} on ${trigger}`);
    expect(missing).toEqual([]);
  });

  it('reproduce the bug they guard against: `!= false` is false for a null input', () => {
    expect(evaluateIf('inputs.publish-kubeconfig != false', { inputs: null })).toBe(false);
  });
});

/** A step's condition in `job` of `file`, by id or name. */
function step(file: string, job: string, key: string): Step {
  const s = workflows[file].jobs[job].steps?.find((x) => x.id === key || x.name === key);
  if (!s) throw new Error(`${file} ${job}: no step ${key}`);
  return s;
}

describe('step conditions of the chain', () => {
  const apply = (key: string, ctx: Ctx, status: Status, steps: object = {}) =>
    evaluateIf(step('apply.yml', 'apply', key).if, { ...ctx, steps }, status);
  const recorded = {
    record: { outcome: 'success', conclusion: 'success', outputs: { count: '2' } },
  };

  it('apply checks the push before touching the cluster, except on a dry run', () => {
    expect(apply('push-check', events.push(), 'success')).toBe(true);
    expect(apply('push-check', events.dispatch('apply.yml'), 'success')).toBe(true);
    expect(apply('push-check', events.dispatch('apply.yml', { 'dry-run': true }), 'success')).toBe(
      false,
    );
  });

  it('after a refused inventory push apply still routes provisioning and records the apply', () => {
    for (const key of ['route', 'Record this commit as applied']) {
      expect(apply(key, events.push(), 'failure', recorded), key).toBe(true);
      expect(apply(key, events.push(), 'success', recorded), key).toBe(true);
      // Nothing recorded (apply itself failed): nothing to route, nothing applied.
      expect(apply(key, events.push(), 'failure', { record: { outcome: 'failure' } }), key).toBe(
        false,
      );
      expect(apply(key, events.push(), 'cancelled', recorded), key).toBe(false);
      expect(
        apply(key, events.dispatch('apply.yml', { 'dry-run': true }), 'success', recorded),
      ).toBe(false);
    }
  });

  it('plan.yml notes a fork in the summary, and only a fork', () => {
    const note = step('plan.yml', 'validate', 'Note why a fork pull request is not planned').if;
    expect(evaluateIf(note, events.pullRequest('mallory/homelab'))).toBe(true);
    expect(evaluateIf(note, events.pullRequest('mallory/homelab'), 'failure')).toBe(true);
    expect(evaluateIf(note, events.pullRequest(REPO))).toBe(false);
  });

  it('drift downloads the plan only when there is one', () => {
    const dl = workflows['drift.yml'].jobs.report.steps![0].if;
    const with_ = (out: Record<string, string>) => ({
      ...events.schedule(),
      needs: { plan: { result: 'failure', outputs: out } },
    });
    expect(evaluateIf(dl, with_({ 'has-changes': 'false' }))).toBe(true);
    expect(evaluateIf(dl, with_({}))).toBe(false);
  });
});

describe('where jobs run', () => {
  const LAN = [
    'apply.yml apply',
    'provision.yml provision',
    'provision.yml kubeconfig',
    'plan.yml plan',
    'drift.yml plan',
  ];
  const runsOn = (id: string, vars: Record<string, string>) => {
    const [file, job] = id.split(' ');
    const value = String(workflows[file].jobs[job]['runs-on']);
    // A plain label is no expression.
    return value.includes('${{') ? evaluateValue(value, { vars }) : value;
  };

  it.each(LAN)(
    '%s runs on vars.PVE_GITOPS_RUNNER: a label, a JSON array of labels, default ubuntu-latest',
    (id) => {
      expect(runsOn(id, {})).toBe('ubuntu-latest');
      expect(runsOn(id, { PVE_GITOPS_RUNNER: 'self-hosted' })).toBe('self-hosted');
      expect(runsOn(id, { PVE_GITOPS_RUNNER: '["self-hosted", "pve-lan"]' })).toEqual([
        'self-hosted',
        'pve-lan',
      ]);
    },
  );

  it('jobs that run pull requests’ code stay GitHub-hosted, whatever the variable says', () => {
    for (const id of ['plan.yml validate', 'ci.yml test'])
      expect(runsOn(id, { PVE_GITOPS_RUNNER: 'self-hosted' }), id).toBe('ubuntu-latest');
  });

  it('every job is listed above', () => {
    const all = Object.entries(workflows).flatMap(([f, wf]) =>
      Object.entries(wf.jobs)
        .filter(([, j]) => j['runs-on'] !== undefined)
        .map(([j]) => `${f} ${j}`),
    );
    expect(all.sort()).toEqual(
      [...LAN, 'plan.yml validate', 'ci.yml test', 'drift.yml report'].sort(),
    );
  });
});
