import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { vi } from 'vitest';
import { main } from '../actions/cli/cli.js';
import { parseOutputs } from './runner-helpers.js';

const ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Dev',
  GIT_AUTHOR_EMAIL: 'dev@example.test',
  GIT_COMMITTER_NAME: 'Dev',
  GIT_COMMITTER_EMAIL: 'dev@example.test',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_CONFIG_NOSYSTEM: '1',
};

/** Runs the real git in `cwd` with a fixed identity and no user configuration. */
export function sh(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    env: ENV,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  }).trim();
}

/** Environment for the library's gitExec: the same isolation. */
export const gitEnv = ENV;

/** A bare `origin` and a clone of it with one commit on main, holding `playbooks/` files. */
export function originAndClone(
  root: string,
  playbooks: string[] = ['k8s.yml', 'haproxy.yml'],
): {
  origin: string;
  clone: string;
} {
  const origin = path.join(root, 'origin.git');
  const clone = path.join(root, 'clone');
  mkdirSync(origin);
  sh(origin, 'init', '--bare', '--quiet', '--initial-branch=main');
  sh(root, 'clone', '--quiet', origin, clone);
  sh(clone, 'checkout', '--quiet', '-B', 'main');
  mkdirSync(path.join(clone, 'playbooks'));
  // A smallest real playbook: an empty file is one ansible-playbook refuses ("Empty playbook").
  for (const p of playbooks)
    writeFileSync(path.join(clone, 'playbooks', p), '- hosts: all\n  tasks: []\n');
  sh(clone, 'add', '.');
  sh(clone, 'commit', '--quiet', '-m', 'initial');
  sh(clone, 'push', '--quiet', 'origin', 'main');
  return { origin, clone };
}

/** An empty commit with `message` in `repo`; returns its SHA. */
export function commit(repo: string, message: string): string {
  sh(repo, 'commit', '--quiet', '--allow-empty', '-m', message);
  return sh(repo, 'rev-parse', 'HEAD');
}

/** Bundles actions/<step>/main.ts as scripts/build.mjs does, into `outDir`; returns the file. */
export async function buildAction(step: string, outDir: string): Promise<string> {
  const { build } = await import('esbuild');
  const root = path.resolve(import.meta.dirname, '..');
  const outfile = path.join(outDir, step, 'index.cjs');
  await build({
    entryPoints: [path.join(root, 'actions', step, 'main.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    logLevel: 'error',
    external: ['cpu-features', '*.node'],
    define: { 'import.meta.url': '__u' },
    banner: { js: "const __u = require('node:url').pathToFileURL(__filename).href;" },
  });
  return outfile;
}

/** Runs an action bundle with the runner's environment contract; returns exit code and outputs. */
export function runAction(
  bundle: string,
  opts: {
    cwd: string;
    inputs: Record<string, string>;
    env?: Record<string, string>;
    outputFile: string;
  },
): { code: number; stdout: string; outputs: Record<string, string> } {
  const inputEnv = Object.fromEntries(
    Object.entries(opts.inputs).map(([k, v]) => [`INPUT_${k.replace(/ /g, '_').toUpperCase()}`, v]),
  );
  writeFileSync(opts.outputFile, '');
  let code = 0;
  let stdout: string;
  try {
    stdout = execFileSync(process.execPath, [bundle], {
      cwd: opts.cwd,
      env: {
        ...ENV,
        GITHUB_WORKSPACE: opts.cwd,
        GITHUB_OUTPUT: opts.outputFile,
        ...inputEnv,
        ...opts.env,
      },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (e) {
    const err = e as { status: number; stdout: string };
    code = err.status;
    stdout = err.stdout;
  }
  return { code, stdout, outputs: parseOutputs(readFileSync(opts.outputFile, 'utf8')) };
}

/** Runs the CLI in-process, capturing stdout and stderr. */
export async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation(
    (c: string | Uint8Array) => ((out += String(c)), true),
  );
  vi.spyOn(process.stderr, 'write').mockImplementation(
    (c: string | Uint8Array) => ((err += String(c)), true),
  );
  const code = await main(argv, {});
  vi.restoreAllMocks();
  return { code, out, err };
}
