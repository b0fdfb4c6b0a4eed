import { createHash, createHmac } from 'node:crypto';
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** How a host appears in known_hosts: `host` on port 22, `[host]:port` otherwise. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** The key type inside an SSH public key blob (its first length-prefixed string). */
export function keyType(blob: Buffer): string {
  const len = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + len).toString('latin1');
}

/** `SHA256:…` as ssh-keygen -l prints it. */
export function keyFingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

function patternMatches(pattern: string, name: string): boolean {
  if (pattern.startsWith('|1|')) {
    const [, , salt, hash] = pattern.split('|');
    if (!salt || !hash) return false;
    return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash;
  }
  // Only `*` and `?` are wildcards; everything else (including `[host]:port`) is literal.
  const body = pattern
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  const re = new RegExp(`^${body}$`, 'i');
  return re.test(name);
}

/** Public key blobs listed for `host:port` (markers like @revoked and negations excluded). */
export function hostKeys(knownHosts: string, host: string, port: number): Buffer[] {
  const name = knownHostsName(host, port);
  const keys: Buffer[] = [];
  for (const raw of knownHosts.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith('@')) continue;
    const [hosts, , b64] = line.split(/\s+/);
    if (!hosts || !b64) continue;
    const patterns = hosts.split(',');
    if (patterns.some((p) => p.startsWith('!') && patternMatches(p.slice(1), name))) continue;
    if (patterns.some((p) => !p.startsWith('!') && patternMatches(p, name)))
      keys.push(Buffer.from(b64, 'base64'));
  }
  return keys;
}

export type HostKeyVerdict = { ok: true; added: boolean } | { ok: false; reason: string };

/**
 * Checks the key a server offered against `file`. Unknown hosts are refused unless
 * `trustOnFirstUse`, which then records the key (file mode 0600).
 */
export function verifyHostKey(
  file: string,
  host: string,
  port: number,
  blob: Buffer,
  trustOnFirstUse: boolean,
): HostKeyVerdict {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    text = '';
  }
  const known = hostKeys(text, host, port);
  if (known.some((k) => k.equals(blob))) return { ok: true, added: false };
  const name = knownHostsName(host, port);
  if (known.length > 0) {
    return {
      ok: false,
      reason: `the SSH host key of ${name} (${keyFingerprint(blob)}) does not match the one in ${file}; if the node was reinstalled, remove the old line`,
    };
  }
  if (!trustOnFirstUse) {
    return {
      ok: false,
      reason: `${name} is not in ${file} (PROXMOX_SSH_KNOWN_HOSTS); add it with ssh-keyscan after checking its key ${keyFingerprint(blob)}, or set PROXMOX_SSH_TRUST_ON_FIRST_USE=true`,
    };
  }
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  appendFileSync(
    file,
    `${text && !text.endsWith('\n') ? '\n' : ''}${name} ${keyType(blob)} ${blob.toString('base64')}\n`,
    { mode: 0o600 },
  );
  return { ok: true, added: true };
}
