// The guests' SSH private key on a laptop: SSH_PRIVATE_KEY (the key itself, as CI passes it)
// or SSH_PRIVATE_KEY_FILE (a path, as the env file of `pve-gitops sim` names it).
import { readFileSync, statSync } from 'node:fs';
import { ConfigurationError } from '../errors.js';
import { registerKey } from '../secrets.js';

/**
 * Reads a private key file, refusing one that group or others may read, as ssh refuses it
 * ("UNPROTECTED PRIVATE KEY FILE"). `what` names the setting in the sentence.
 */
export function readPrivateKeyFile(file: string, what: string): string {
  let mode: number;
  let text: string;
  try {
    mode = statSync(file).mode;
    text = readFileSync(file, 'utf8');
  } catch {
    throw new ConfigurationError(`Cannot read the SSH key file ${file} (${what}).`);
  }
  if (mode & 0o077)
    throw new ConfigurationError(
      `The SSH key file ${file} (${what}) is readable by others (mode ${(mode & 0o777).toString(8).padStart(4, '0')}), so ssh would refuse it: run chmod 600 ${file}.`,
    );
  const key = text.replace(/\r\n/g, '\n').trim() + '\n';
  registerKey(key);
  return key;
}

/** The key and where it came from (for error messages), or undefined when neither is set. */
export function sshKeyFromEnv(env: NodeJS.ProcessEnv): { key: string; source: string } | undefined {
  const inline = env.SSH_PRIVATE_KEY;
  if (inline?.trim()) {
    const key = inline.replace(/\r\n/g, '\n').trim() + '\n';
    registerKey(key);
    return { key, source: 'SSH_PRIVATE_KEY' };
  }
  const file = env.SSH_PRIVATE_KEY_FILE?.trim();
  if (!file) return undefined;
  return {
    key: readPrivateKeyFile(file, 'SSH_PRIVATE_KEY_FILE'),
    source: `SSH_PRIVATE_KEY_FILE (${file})`,
  };
}
