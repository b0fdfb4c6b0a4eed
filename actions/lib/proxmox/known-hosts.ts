import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { hostKeyStanding, keyFingerprint, keyType, knownHostsName } from '../ssh/known-hosts.js';

export type HostKeyVerdict = { ok: true; added: boolean } | { ok: false; reason: string };

/**
 * Checks the key a Proxmox node offered against the known_hosts `file`. Unknown hosts are
 * refused unless `trustOnFirstUse`, which then records the key (file mode 0600).
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
  const standing = hostKeyStanding(text, host, port, blob);
  if (standing === 'known') return { ok: true, added: false };
  const name = knownHostsName(host, port);
  if (standing === 'changed') {
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
