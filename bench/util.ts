import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import path from 'node:path';

/** Repository root (benchmarks are bundled into a temp dir, so this comes from the cwd). */
export const root = process.cwd();
export const cli = path.join(root, 'actions/cli/dist/index.cjs');

/** Median of a list of numbers. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Wall time in seconds of one process run; throws when it exits with an unexpected code. */
export function timeProcess(
  args: string[],
  opts: SpawnSyncOptions & { okCodes?: number[] } = {},
): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { stdio: 'pipe', ...opts });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (!(opts.okCodes ?? [0]).includes(r.status ?? -1)) {
    throw new Error(`${args.join(' ')} exited ${r.status}: ${String(r.stderr).slice(0, 500)}`);
  }
  return s;
}
