import { vi } from 'vitest';
import { main } from '../actions/cli/cli.js';

/**
 * Runs `pve-gitops ARGS` in this process (the simulators answer from this event loop) and
 * returns its exit code and what it printed on stdout and stderr.
 */
export async function cli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((c) => ((out += String(c)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((c) => ((err += String(c)), true));
  try {
    const code = await main(args, env);
    return { code, out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}
