// An emulated GitHub runner for whole-chain tests: runs the committed action bundles with the
// runner's contract (INPUT_*, GITHUB_OUTPUT, GITHUB_EVENT_PATH, …) in checkouts of a local
// bare repository, as the jobs of apply.yml and provision.yml run them.
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { MARKER_PLAYBOOK } from './provision-helpers.js';
import { inputEnv, parseOutputs, runnerEnv } from './runner-helpers.js';
import { sh } from './tags-helpers.js';

const ROOT = path.resolve(import.meta.dirname, '..');
export const bundle = (step: string) => path.join(ROOT, 'actions', step, 'dist', 'index.cjs');

export interface StepResult {
  id: string;
  code: number;
  stdout: string;
  outputs: Record<string, string>;
}

/** One job: a workspace, its event and environment; steps run in order, like the runner. */
export interface Job {
  workspace: string;
  eventName: string;
  eventPath: string;
  sha: string;
  env: Record<string, string>;
  steps: StepResult[];
}

let count = 0;
/** A fresh directory under `parent`. */
export function freshDir(parent: string): string {
  const d = path.join(parent, String(++count));
  mkdirSync(d, { recursive: true });
  return d;
}

/** Runs `step`'s bundle with `inputs` (action.yml defaults are the caller's to give). */
export function runStep(
  root: string,
  job: Job,
  id: string,
  step: string,
  inputs: Record<string, string>,
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
      eventName: job.eventName,
      eventPath: job.eventPath,
      sha: job.sha,
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
        const r = {
          id,
          code: err ? Number(err.code ?? 1) : 0,
          stdout: stdout + stderr,
          outputs: parseOutputs(readFileSync(outputFile, 'utf8')),
        };
        job.steps.push(r);
        resolve(r);
      },
    );
  });
}

/**
 * The homelab repository both chain suites start from: no VM yet, a marker playbook standing
 * in for k8s.yml (the k3s install needs the kube simulator), short health timings.
 */
export const START_FILES: Record<string, string> = {
  'vms/.gitkeep': '',
  'playbooks/k8s.yml': MARKER_PLAYBOOK,
  'pve-gitops.yaml':
    'defaults:\n  ciuser: root\nhealth:\n  boot_grace_seconds: 5\n  agent_timeout_seconds: 5\n',
};

/**
 * A bare `origin` and a developer's clone of it holding `files`, committed and pushed to
 * main, with refs/pve-gitops/applied at that first commit (a previous apply recorded it).
 */
export function originWithDev(
  root: string,
  files: Record<string, string>,
  message = 'chore: start',
): { origin: string; dev: string } {
  const origin = path.join(root, 'origin.git');
  const dev = path.join(root, 'dev');
  mkdirSync(origin);
  sh(origin, 'init', '--bare', '--quiet', '--initial-branch=main');
  sh(root, 'clone', '--quiet', origin, dev);
  sh(dev, 'checkout', '--quiet', '-B', 'main');
  for (const [f, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dev, f)), { recursive: true });
    writeFileSync(path.join(dev, f), text);
  }
  sh(dev, 'add', '.');
  sh(dev, 'commit', '--quiet', '-m', message);
  sh(dev, 'push', '--quiet', 'origin', 'main');
  sh(dev, 'push', '--quiet', 'origin', 'HEAD:refs/pve-gitops/applied');
  return { origin, dev };
}

/** actions/checkout: a clone of origin at `sha` (fetched by SHA, as checkout does). */
export function checkout(root: string, origin: string, sha: string, branch = true): string {
  const ws = freshDir(path.join(root, 'ws'));
  sh(root, 'clone', '--quiet', '--no-checkout', origin, ws);
  sh(ws, 'fetch', '--quiet', 'origin', sha);
  if (branch) sh(ws, 'checkout', '--quiet', '--force', '-B', 'main', sha);
  else sh(ws, 'checkout', '--quiet', '--force', '--detach', sha);
  return ws;
}

/** Writes an event payload: a push of before..after from `repo`, or `extra` as given. */
export function writeEvent(root: string, payload: object): string {
  const file = path.join(freshDir(path.join(root, 'events')), 'event.json');
  writeFileSync(file, JSON.stringify(payload, null, 2));
  return file;
}

/** A push payload for before..after, with the head commit's message and author. */
export function pushPayload(repo: string, before: string, after: string): object {
  const message = sh(repo, 'log', '-1', '--format=%B', after);
  const email = sh(repo, 'log', '-1', '--format=%ae', after);
  return {
    ref: 'refs/heads/main',
    before,
    after,
    head_commit: { id: after, message, author: { email } },
    repository: { full_name: 'acme/homelab', default_branch: 'main' },
  };
}

/** Commits files (or nothing) in the developer's clone and pushes; returns before and after. */
export function push(
  dev: string,
  message: string,
  files: Record<string, string | null> = {},
): { before: string; after: string } {
  sh(dev, 'pull', '--quiet', '--rebase', 'origin', 'main');
  const before = sh(dev, 'rev-parse', 'HEAD');
  for (const [f, text] of Object.entries(files)) {
    if (text === null) sh(dev, 'rm', '--quiet', f);
    else {
      mkdirSync(path.dirname(path.join(dev, f)), { recursive: true });
      writeFileSync(path.join(dev, f), text);
      sh(dev, 'add', f);
    }
  }
  sh(dev, 'commit', '--quiet', '--allow-empty', '-m', message);
  sh(dev, 'push', '--quiet', 'origin', 'main');
  return { before, after: sh(dev, 'rev-parse', 'HEAD') };
}
