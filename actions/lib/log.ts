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

/** Progress to stderr, secrets redacted, as the CLI prints it. */
export function streamLogger(
  write: (line: string) => void = (l) => process.stderr.write(l),
  options: { debug?: boolean } = {},
): Logger {
  const out = (prefix: string, m: string) => write(redact(`${prefix}${m}`) + '\n');
  return {
    debug: (m) => options.debug && out('debug: ', m),
    info: (m) => out('', m),
    warn: (m) => out('warning: ', m),
    error: (m) => out('error: ', m),
    async group(name, fn) {
      out('== ', name);
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
