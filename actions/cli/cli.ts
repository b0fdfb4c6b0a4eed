import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { describeError, exitCodeOf, UsageError } from '../lib/errors.js';
import { streamLogger, type Logger } from '../lib/log.js';

/** What every command gets: the repository, a logger for progress, and stdout for results. */
export interface CliContext {
  repo: string;
  log: Logger;
  out: (text: string) => void;
  env: NodeJS.ProcessEnv;
  debug: boolean;
}

/** One subcommand. `run` returns the exit code; failures throw. */
export interface Command {
  summary: string;
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  allowPositionals?: boolean;
  run(
    values: Record<string, string | boolean | string[] | boolean[] | undefined>,
    positionals: string[],
    ctx: CliContext,
  ): Promise<number>;
}

/** Lazily loaded so that `validate` does not pay for the Kubernetes client. */
const commands: Record<string, () => Promise<Command>> = {
  version: async () => (await import('./commands/version.js')).default,
  validate: async () => (await import('./commands/validate.js')).default,
  inventory: async () => (await import('./commands/inventory.js')).default,
  tags: async () => (await import('./commands/tags.js')).default,
  sim: async () => (await import('./commands/sim.js')).default,
  plan: async () => (await import('./commands/plan.js')).default,
  apply: async () => (await import('./commands/apply.js')).default,
  provision: async () => (await import('./commands/provision.js')).default,
  demo: async () => (await import('./commands/demo.js')).default,
  kubeconfig: async () => (await import('./commands/kubeconfig.js')).default,
  doctor: async () => (await import('./commands/doctor.js')).default,
};

const globalOptions = {
  repo: { type: 'string' },
  debug: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

function help(): string {
  const names = Object.keys(commands).sort();
  return [
    'Usage: pve-gitops <command> [options] [--repo DIR]',
    '',
    `Commands: ${names.join(', ')}`,
    'Run `pve-gitops <command> --help` for the options of one command.',
    '',
  ].join('\n');
}

/** Parses argv, runs one command, and returns the process exit code. */
export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const debug = argv.includes('--debug') || env.PVE_GITOPS_DEBUG === '1';
  const log = streamLogger(undefined, { debug });
  const [name, ...rest] = argv;
  try {
    if (!name) {
      // A missing command is a usage error: the help goes to stderr, stdout stays for results.
      process.stderr.write(help());
      return 64;
    }
    if (name === '--help' || name === '-h' || name === 'help') {
      process.stdout.write(help());
      return 0;
    }
    const load = commands[name];
    if (!load) throw new UsageError(`Unknown command '${name}'. ${help().split('\n')[2]}`);
    const cmd = await load();
    let parsed;
    try {
      parsed = parseArgs({
        args: rest,
        options: { ...globalOptions, ...cmd.options },
        allowPositionals: cmd.allowPositionals ?? false,
        strict: true,
      });
    } catch (err) {
      throw new UsageError(`${describeError(err)} Usage: ${cmd.usage}`);
    }
    if (parsed.values.help) {
      process.stdout.write(`${cmd.summary}\nUsage: ${cmd.usage}\n`);
      return 0;
    }
    const repo = path.resolve(typeof parsed.values.repo === 'string' ? parsed.values.repo : '.');
    const ctx: CliContext = { repo, log, out: (t) => process.stdout.write(t), env, debug };
    return await cmd.run(parsed.values, parsed.positionals, ctx);
  } catch (err) {
    if (debug && err instanceof Error && err.stack) log.debug(err.stack);
    log.error(describeError(err));
    return exitCodeOf(err);
  }
}
