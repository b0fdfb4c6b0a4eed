import { escapeInvisible } from './vm/show-value.js';

/**
 * Errors users see. Every failure that reaches a person is one sentence naming the file, VM,
 * node or setting at fault; stack traces stay behind `--debug` / `core.debug`.
 */
export class PveGitopsError extends Error {
  /** Process exit code for the CLI. */
  readonly exitCode: number = 1;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Something the user configured (file, input, environment variable) is wrong. */
export class ConfigurationError extends PveGitopsError {}

/** The command line itself is wrong: unknown command or flag, missing argument. */
export class UsageError extends PveGitopsError {
  override readonly exitCode = 64;
}

/** One clear sentence for any thrown value, Error or not. */
export function describeError(err: unknown): string {
  // Invisible characters read from a file or commit are shown, so the value shown is the one read.
  if (err instanceof Error) return escapeInvisible(err.message || err.name, { keepNewlines: true });
  if (typeof err === 'string') return escapeInvisible(err, { keepNewlines: true });
  try {
    return `Unexpected failure: ${JSON.stringify(err)}`;
  } catch {
    return `Unexpected failure: ${String(err)}`;
  }
}

/** Exit code for a thrown value: the error's own, else 1. */
export function exitCodeOf(err: unknown): number {
  return err instanceof PveGitopsError ? err.exitCode : 1;
}
