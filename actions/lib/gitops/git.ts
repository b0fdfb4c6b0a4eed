import { execFile } from 'node:child_process';

/** Result of one git invocation; a non-zero exit is a result, not a throw. */
export interface GitResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs git with an argument vector in one working directory. No shell is ever involved, so
 * commit messages and refs travel as data. Tests inject their own.
 */
export type GitExec = (
  args: string[],
  options?: { env?: Record<string, string>; input?: string },
) => Promise<GitResult>;

/** The real git, via `execFile` (no shell), in `cwd`. */
export function gitExec(cwd: string, baseEnv: NodeJS.ProcessEnv = process.env): GitExec {
  return (args, options) =>
    new Promise((resolve, reject) => {
      const child = execFile(
        'git',
        args,
        {
          cwd,
          env: { ...baseEnv, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C', ...options?.env },
          maxBuffer: 64 * 1024 * 1024,
        },
        (err, stdout, stderr) => {
          if (err && typeof err.code !== 'number') {
            reject(new Error(`Could not run git: ${err.message}`));
            return;
          }
          resolve({ code: err ? Number(err.code) : 0, stdout, stderr });
        },
      );
      // Data git reads from stdin (hash-object, mktree); never through argv. A git that
      // exits without reading it (EPIPE) reports through its exit code instead.
      child.stdin?.on('error', () => undefined);
      if (options?.input !== undefined) child.stdin?.end(options.input);
      else child.stdin?.end();
    });
}

/** Runs git and returns stdout, throwing one sentence (with git's own) on failure. */
export async function git(exec: GitExec, args: string[], what: string): Promise<string> {
  const r = await exec(args);
  if (r.code !== 0) {
    const detail = r.stderr.trim().split('\n').slice(-3).join(' ');
    throw new Error(`${what} failed (git ${args[0]}): ${detail || `exit ${r.code}`}`);
  }
  return r.stdout;
}

/** The SHA git resolves `rev` to as a commit, or undefined when it does not exist. */
export async function resolveCommit(exec: GitExec, rev: string): Promise<string | undefined> {
  const r = await exec(['rev-parse', '--verify', '--quiet', '--end-of-options', `${rev}^{commit}`]);
  return r.code === 0 ? r.stdout.trim() : undefined;
}

/** The identity of the commits pve-gitops makes; also how they are recognised. */
export const BOT_NAME = 'github-actions[bot]';
export const BOT_EMAIL = '41898282+github-actions[bot]@users.noreply.github.com';

/** The ref recording the last commit whose apply succeeded. */
export const APPLIED_REF = 'refs/pve-gitops/applied';

export const ZERO_SHA = /^0+$/;
