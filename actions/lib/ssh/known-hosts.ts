// known_hosts as OpenSSH reads it, shared by the Proxmox SSH transport, the kubeconfig fetch and
// provisioning's host-key checks.
import { createHash, createHmac } from 'node:crypto';
import { matchesGlob } from '../text/glob.js';

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

/** One host pattern: hashed `|1|salt|hash`, or a glob where `[host]:port` is literal. */
function patternMatches(pattern: string, name: string): boolean {
  if (pattern.startsWith('|1|')) {
    const [, , salt, hash] = pattern.split('|');
    if (!salt || !hash) return false;
    return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash;
  }
  return matchesGlob(name, pattern, 'ssh');
}

/**
 * Public key blobs known_hosts text lists for `host:port` (plain, `[host]:port` and hashed
 * names; lines with markers like @revoked, and hosts a `!pattern` negates, excluded).
 */
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

/** What known_hosts says of the key a server offered. */
export type HostKeyStanding = 'known' | 'unknown' | 'changed';

/** `known` if known_hosts lists `blob` for `host:port`, `changed` if it lists only other keys. */
export function hostKeyStanding(
  knownHosts: string,
  host: string,
  port: number,
  blob: Buffer,
): HostKeyStanding {
  const known = hostKeys(knownHosts, host, port);
  if (known.some((k) => k.equals(blob))) return 'known';
  return known.length > 0 ? 'changed' : 'unknown';
}
