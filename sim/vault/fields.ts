// Request fields as Vault reads them, and the envelope every answer comes in.
import { randomBytes, randomUUID } from 'node:crypto';

/** A request field as text: strings and numbers as they are, anything else the default. */
export const str = (v: unknown, d = ''): string =>
  typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : d;

/** A list field: a JSON array, or comma-separated text. */
export const strList = (v: unknown): string[] =>
  Array.isArray(v)
    ? v.map(String)
    : typeof v === 'string' && v
      ? v.split(',').map((s) => s.trim())
      : [];

/** A random identifier (tokens, accessors) after `prefix`. */
export const id = (prefix: string) => `${prefix}${randomBytes(18).toString('base64url')}`;

/** A TTL field in seconds: a number, or text like `90`, `30m`, `1h`, `2d`. */
export function ttlSeconds(v: unknown): number {
  if (typeof v === 'number') return v;
  const m = /^(\d+)([smhd]?)$/.exec(str(v, '').trim());
  if (!m) return 0;
  return Number(m[1]) * ({ '': 1, s: 1, m: 60, h: 3600, d: 86400 }[m[2]] ?? 1);
}

/** Vault's response envelope around `data`. */
export function envelope(
  data: unknown,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    request_id: randomUUID(),
    lease_id: '',
    renewable: false,
    lease_duration: 0,
    data,
    wrap_info: null,
    warnings: null,
    auth: null,
    ...extra,
  };
}
