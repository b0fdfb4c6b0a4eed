import { escapeInvisible } from './show-value.js';

/**
 * Diagnostics: what validation reports about the files in a repository. Each one is a single
 * sentence tied to a place, so the CLI prints `file:line:col: message` and the action turns it
 * into an annotation on that line.
 */
export interface Diagnostic {
  /** Repository-relative path, e.g. `vms/k8s-foo.yaml`. */
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  col: number;
  /** One sentence naming the setting at fault and what to change. */
  message: string;
  /** The VM the file defines, when its name could be read. */
  vm?: string;
  severity: 'error' | 'warning';
}

/**
 * `file:line:col: message`, the form compilers and editors understand. Invisible characters
 * (a zero-width space in a name, a newline in a value) are shown as `\u{…}`, so the line is one
 * line and shows the value as read.
 */
export function formatDiagnostic(d: Diagnostic): string {
  const prefix = d.severity === 'warning' ? 'warning: ' : '';
  return escapeInvisible(`${d.file}:${d.line}:${d.col}: ${prefix}${d.message}`);
}

/** Orders diagnostics by file, then position, so output is stable across runs. */
export function sortDiagnostics(list: Diagnostic[]): Diagnostic[] {
  return [...list].sort(
    (a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) || a.line - b.line || a.col - b.col,
  );
}

/** Only the diagnostics that make a repository invalid. */
export function errorsOf(list: Diagnostic[]): Diagnostic[] {
  return list.filter((d) => d.severity === 'error');
}
