import { execFile } from 'node:child_process';

/** What one process run gives back; a non-zero exit is a result, not a throw. */
export interface ProcessResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ProcessOptions {
  cwd: string;
  /** The whole environment of the child: nothing is inherited implicitly. */
  env: Record<string, string>;
  /** Called with every complete output line as it arrives (for streaming progress). */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
}

/**
 * Runs a program with an argument vector, never through a shell, so host names and paths
 * travel as data. Tests may pass their own.
 */
export type ProcessExec = (
  file: string,
  args: string[],
  opts: ProcessOptions,
) => Promise<ProcessResult>;

/** The real thing: `execFile` (no shell), streaming lines while collecting the output. */
export const execProcess: ProcessExec = (file, args, opts) =>
  new Promise((resolve, reject) => {
    const child = execFile(
      file,
      args,
      { cwd: opts.cwd, env: opts.env, maxBuffer: 256 * 1024 * 1024, encoding: 'utf8' },
      (err, stdout, stderr) => {
        flush();
        if (err && typeof err.code !== 'number') {
          reject(new Error(`Could not run ${file}: ${err.message}`));
          return;
        }
        resolve({ code: err ? Number(err.code) : 0, stdout, stderr });
      },
    );
    const partial = { stdout: '', stderr: '' };
    const feed = (stream: 'stdout' | 'stderr') => (chunk: string | Buffer) => {
      const lines = (partial[stream] + String(chunk)).split('\n');
      partial[stream] = lines.pop() ?? '';
      for (const l of lines) opts.onLine?.(l.replace(/\r$/, ''), stream);
    };
    const flush = () => {
      for (const s of ['stdout', 'stderr'] as const) {
        if (partial[s]) opts.onLine?.(partial[s], s);
        partial[s] = '';
      }
    };
    child.stdout?.on('data', feed('stdout'));
    child.stderr?.on('data', feed('stderr'));
  });
