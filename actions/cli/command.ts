import type { ParseArgsConfig } from 'node:util';
import type { Logger } from '../lib/log.js';

/** What every command gets: the repository, a logger for progress, and stdout for results. */
export interface CliContext {
  repo: string;
  log: Logger;
  out: (text: string) => void;
  env: NodeJS.ProcessEnv;
  debug: boolean;
}

/** Where the shell completion of an option's value comes from. */
export type CompletionSource = 'file' | 'dir' | 'vm' | 'context' | readonly string[];

/**
 * One option, declared once: the parser, `--help`, docs/cli.md and the shell completion are
 * all made from this.
 */
export interface OptionSpec {
  type: 'string' | 'boolean';
  /** May be given more than once. */
  multiple?: boolean;
  short?: string;
  /** The value's placeholder in help, e.g. FILE, NAME, N. */
  value?: string;
  /** What the option does, one or two sentences. */
  description: string;
  /** What applies when the option is absent, in words. */
  default?: string;
  complete?: CompletionSource;
}

/** One example: the command line and what it does. */
export type Example = readonly [command: string, what: string];

/** One subcommand. `run` returns the exit code; failures throw. */
export interface Command {
  /** One line: what the command does. */
  summary: string;
  usage: string;
  /** More about the command, exit codes and environment: shown by `--help`. */
  details?: string;
  options: Record<string, OptionSpec>;
  /** Two or three real command lines. */
  examples: readonly Example[];
  /** The words accepted as the first positional argument (`kubeconfig publish|get`). */
  subcommands?: readonly string[];
  allowPositionals?: boolean;
  run(
    values: Record<string, string | boolean | Array<string | boolean> | undefined>,
    positionals: string[],
    ctx: CliContext,
  ): Promise<number>;
}

/** The options every command takes. */
export const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  repo: {
    type: 'string',
    value: 'DIR',
    description: 'The pve-gitops repository to work on.',
    default: 'the current directory',
    complete: 'dir',
  },
  debug: {
    type: 'boolean',
    description: 'Print debug lines and the stack of an error (also PVE_GITOPS_DEBUG=1).',
  },
  help: { type: 'boolean', short: 'h', description: 'Show this help and exit.' },
};

/** The declarations as node:util parseArgs takes them. */
export function parseArgsOptions(
  specs: Record<string, OptionSpec>,
): NonNullable<ParseArgsConfig['options']> {
  return Object.fromEntries(
    Object.entries(specs).map(([name, s]) => [
      name,
      {
        type: s.type,
        ...(s.multiple ? { multiple: true } : {}),
        ...(s.short ? { short: s.short } : {}),
      },
    ]),
  );
}
