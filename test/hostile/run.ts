import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { HostileCase } from './corpus.js';

const root = path.resolve(import.meta.dirname, '../..');
/** The CLI bundle, run as users run it (node scripts/build.mjs first). */
export const CLI = path.join(root, 'actions/cli/dist/index.cjs');

/** What one CLI run printed. */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `pve-gitops ARGS` in `cwd` with a bare environment (no secrets, no cluster). */
export function cli(args: string[], cwd: string): CliRun {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: cwd, LANG: 'C.UTF-8' },
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Every path under `dir`, sorted (what a run may have written). */
export function tree(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort();
}

/** A repository with `vms/k8s-a.yaml` and a runnable `playbooks/k8s.yml`, then the case's files. */
export function hostileRepo(c: HostileCase): { dir: string; remove: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), `hostile-${c.name}-`));
  mkdirSync(path.join(dir, 'vms'));
  mkdirSync(path.join(dir, 'playbooks'));
  writeFileSync(path.join(dir, 'vms/k8s-a.yaml'), 'name: k8s-a\ntarget_node: pve1\n');
  writeFileSync(path.join(dir, 'playbooks/k8s.yml'), '- hosts: k3s\n  tasks: []\n');
  for (const [rel, text] of Object.entries(c.files)) writeFileSync(path.join(dir, rel), text);
  for (const [rel, target] of Object.entries(c.symlinks ?? {}))
    symlinkSync(target, path.join(dir, rel));
  for (const rel of c.fifos ?? []) {
    const r = spawnSync('mkfifo', [path.join(dir, rel)]);
    if (r.status !== 0) throw new Error(`mkfifo ${rel} failed`);
  }
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The outcome of one case: validate's answer and the inventory step's, with what changed. */
export interface HostileOutcome {
  validate: CliRun;
  /** The plan step (what a pull request runs after validate), before it reaches any cluster. */
  plan: CliRun;
  inventory: CliRun;
  /** Paths that appeared in the repository during the runs. */
  written: string[];
}

/** Runs `validate`, `plan` and `inventory` (the first step that writes) on the case's repository. */
export function runHostile(c: HostileCase): HostileOutcome {
  const repo = hostileRepo(c);
  try {
    const before = new Set(tree(repo.dir));
    const validate = cli(['validate'], repo.dir);
    const plan = cli(['plan'], repo.dir);
    const inventory = cli(['inventory'], repo.dir);
    const written = tree(repo.dir).filter((p) => !before.has(p));
    return { validate, plan, inventory, written };
  } finally {
    repo.remove();
  }
}

/**
 * Why an outcome is not a clean refusal, or undefined: validate must exit 1 with exactly one
 * line `file:line:col: sentence.` matching the case, the plan and inventory steps must exit 1
 * with that same sentence, and nothing may be written.
 */
export function hostileProblem(c: HostileCase, o: HostileOutcome): string | undefined {
  const lines = o.validate.stderr.trimEnd().split('\n');
  if (o.validate.code !== 1) return `validate exited ${o.validate.code}, not 1`;
  if (lines.length !== 1) return `validate printed ${lines.length} lines: ${o.validate.stderr}`;
  const m = /^([^:]+):(\d+):(\d+): (.*)$/.exec(lines[0]);
  if (!m) return `validate printed no file:line:col: ${lines[0]}`;
  if (m[1] !== c.expect.file || Number(m[2]) !== c.expect.line)
    return `validate named ${m[1]}:${m[2]}, not ${c.expect.file}:${c.expect.line}`;
  if (!c.expect.message.test(m[4]) || !/[.?]$/.test(m[4])) return `validate said: ${m[4]}`;
  for (const step of ['plan', 'inventory'] as const) {
    const r = o[step];
    if (r.code !== 1) return `${step} exited ${r.code}, not 1`;
    if (!r.stderr.includes(lines[0].replace(/\.$/, ''))) return `${step} said: ${r.stderr.trim()}`;
  }
  if (o.written.length) return `files were written: ${o.written.join(', ')}`;
  return undefined;
}
