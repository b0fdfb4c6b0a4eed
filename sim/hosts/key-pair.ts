import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { PveGitopsError } from '../../actions/lib/errors.js';

/**
 * Writes a fresh ed25519 key pair without a passphrase to `file` (mode 0600) and `file.pub`,
 * as `ssh-keygen` does, and returns the public key line (`ssh-ed25519 AAAA… comment`).
 */
export function generateKeyPair(file: string, comment: string): string {
  const kg = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file], {
    encoding: 'utf8',
  });
  if (kg.status !== 0)
    throw new PveGitopsError(`ssh-keygen failed: ${(kg.stderr || String(kg.error)).trim()}`);
  return readFileSync(`${file}.pub`, 'utf8').trim();
}
