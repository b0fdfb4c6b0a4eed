/**
 * Secret values registered here are replaced by `***` in everything the loggers print.
 * In GitHub Actions the same values also go to `core.setSecret` (see actionsLogger in lib/github/run.ts).
 */
const secrets = new Set<string>();
const listeners = new Set<(value: string) => void>();

/** Registers a secret so that no logger prints it. Empty and very short values are ignored. */
export function registerSecret(value: string | undefined): void {
  if (!value || value.length < 4 || secrets.has(value)) return;
  secrets.add(value);
  for (const l of listeners) l(value);
}

/**
 * Registers a private key and each of its lines: the key is multi-line, and a log line
 * could hold any one of them.
 */
export function registerKey(key: string): void {
  registerSecret(key);
  for (const line of key.split(/\r?\n/)) {
    const l = line.trim();
    if (l.length >= 16 && !l.startsWith('-----')) registerSecret(l);
  }
}

/** Calls `fn` for every secret registered now and later. */
export function onSecret(fn: (value: string) => void): void {
  listeners.add(fn);
  for (const s of secrets) fn(s);
}

/** Replaces every registered secret in `text` by `***`. */
export function redact(text: string): string {
  let out = text;
  for (const s of secrets) if (out.includes(s)) out = out.split(s).join('***');
  return out;
}
