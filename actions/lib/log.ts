import { styleText } from 'node:util';
import { redact } from './secrets.js';

/** Where domain code reports progress. Results go elsewhere (stdout, action outputs). */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  /** Runs `fn` as one named phase (a collapsible group in Actions). */
  group<T>(name: string, fn: () => Promise<T>): Promise<T>;
}

/**
 * Whether to colour what goes to `stream`, by the common conventions: FORCE_COLOR (not 0 or
 * false) forces it, NO_COLOR (any non-empty value) forbids it, else only a terminal that is
 * not `dumb` gets colour.
 */
export function colorWanted(
  env: NodeJS.ProcessEnv,
  stream: { isTTY?: boolean } = process.stderr,
): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== '') return force !== '0' && force !== 'false';
  if (env.NO_COLOR) return false;
  return stream.isTTY === true && env.TERM !== 'dumb';
}

type Style = Parameters<typeof styleText>[0];

/** Progress to stderr, secrets redacted, as the CLI prints it; warnings and errors coloured when `color`. */
export function streamLogger(
  write: (line: string) => void = (l) => process.stderr.write(l),
  options: { debug?: boolean; color?: boolean } = {},
): Logger {
  const paint = (style: Style, s: string) =>
    options.color ? styleText(style, s, { validateStream: false }) : s;
  const out = (prefix: string, m: string, style?: Style) =>
    write(`${style ? paint(style, prefix) : prefix}${redact(m)}\n`);
  return {
    debug: (m) => options.debug && out('debug: ', m, 'dim'),
    info: (m) => out('', m),
    warn: (m) => out('warning: ', m, ['bold', 'yellow']),
    error: (m) => out('error: ', m, ['bold', 'red']),
    async group(name, fn) {
      out('== ', name, ['bold', 'cyan']);
      return fn();
    },
  };
}

/** A logger that keeps lines in memory; for tests and for quiet library use. */
export function memoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const push = (level: string) => (m: string) => lines.push(`${level}: ${redact(m)}`);
  return {
    lines,
    debug: push('debug'),
    info: push('info'),
    warn: push('warn'),
    error: push('error'),
    group: (_name, fn) => fn(),
  };
}
