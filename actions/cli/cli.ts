import path from 'node:path';
import { parseArgs } from 'node:util';
import { describeError, exitCodeOf, UsageError } from '../lib/errors.js';
import { colorWanted, streamLogger } from '../lib/log.js';
import { GLOBAL_OPTIONS, parseArgsOptions, type CliContext, type Command } from './command.js';
import { commandHelp, nearest, topHelp } from './help.js';

export type { CliContext, Command } from './command.js';

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
  vault: async () => (await import('./commands/vault.js')).default,
  import: async () => (await import('./commands/import.js')).default,
  completion: async () => (await import('./commands/completion.js')).default,
  doctor: async () => (await import('./commands/doctor.js')).default,
};

/** Every command, loaded: for the help overview, docs/cli.md and completion. */
export async function loadCommands(): Promise<Record<string, Command>> {
  const names = Object.keys(commands);
  const loaded = await Promise.all(names.map((n) => commands[n]()));
  return Object.fromEntries(names.map((n, i) => [n, loaded[i]]));
}

/** Node's parseArgs error, with the nearest known option suggested for an unknown one. */
function usageFromParseError(err: unknown, name: string, cmd: Command): UsageError {
  const msg = describeError(err);
  const unknown = /Unknown option '(-{1,2}[^']+)'/.exec(msg)?.[1];
  if (unknown) {
    const names = Object.keys({ ...cmd.options, ...GLOBAL_OPTIONS }).map((n) => `--${n}`);
    const guess = nearest(unknown.split('=')[0], names);
    return new UsageError(
      `Unknown option '${unknown}' for ${name}${guess ? `; did you mean ${guess}?` : '.'} See pve-gitops ${name} --help.`,
    );
  }
  return new UsageError(`${msg} Usage: ${cmd.usage}`);
}

/** Parses argv, runs one command, and returns the process exit code. */
export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const debug = argv.includes('--debug') || env.PVE_GITOPS_DEBUG === '1';
  const log = streamLogger(undefined, { debug, color: colorWanted(env) });
  const [name, ...rest] = argv;
  try {
    if (!name) {
      // A missing command is a usage error: the help goes to stderr, stdout stays for results.
      process.stderr.write(topHelp(await loadCommands()));
      return 64;
    }
    if (name === '--help' || name === '-h' || name === 'help') {
      const topic = rest[0] && commands[rest[0]] ? rest[0] : undefined;
      process.stdout.write(
        topic ? commandHelp(topic, await commands[topic]()) : topHelp(await loadCommands()),
      );
      return 0;
    }
    if (name === '__cli-docs') {
      // docs/cli.md, written by scripts/build.mjs from the declarations.
      const { cliMarkdown } = await import('./help.js');
      process.stdout.write(cliMarkdown(await loadCommands()));
      return 0;
    }
    if (name === '__complete') {
      const { complete } = await import('./completion.js');
      process.stdout.write(`${(await complete(rest, await loadCommands())).join('\n')}\n`);
      return 0;
    }
    const load = commands[name];
    if (!load) {
      const guess = nearest(name, Object.keys(commands));
      throw new UsageError(
        `Unknown command '${name}'${guess ? `; did you mean ${guess}?` : '.'} Run pve-gitops --help for the list.`,
      );
    }
    const cmd = await load();
    let parsed;
    try {
      parsed = parseArgs({
        args: rest,
        options: parseArgsOptions({ ...GLOBAL_OPTIONS, ...cmd.options }),
        allowPositionals: cmd.allowPositionals ?? false,
        strict: true,
      });
    } catch (err) {
      throw usageFromParseError(err, name, cmd);
    }
    if (parsed.values.help) {
      process.stdout.write(commandHelp(name, cmd));
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
