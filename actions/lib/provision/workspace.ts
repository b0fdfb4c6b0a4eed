import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ConfigurationError } from '../errors.js';
import { registerKey } from '../secrets.js';
import type { ProcessExec } from './exec.js';

/** A private (0700) temporary directory for one provisioning run. */
export interface PrivateDir {
  dir: string;
  /** The SSH key written there (0600), when one was given. */
  keyFile?: string;
  /** ssh ControlPath sockets: a short path, since a Unix socket path holds ~107 bytes. */
  controlDir: string;
  remove(): Promise<void>;
}

/**
 * Creates the private directory and writes the key to a 0600 file in it, then checks with
 * `ssh-keygen -y` that it is an unencrypted private key (a passphrase cannot be typed in CI).
 * On any failure the directory is removed and one sentence, without the key, is thrown.
 */
export async function preparePrivateDir(opts: {
  sshPrivateKey?: string;
  tempRoot?: string;
  exec: ProcessExec;
  /** Where the key came from, for the error message (e.g. `the ssh-private-key input`). */
  keySource: string;
}): Promise<PrivateDir> {
  const dir = await mkdtemp(path.join(opts.tempRoot ?? os.tmpdir(), 'pve-gitops-provision-'));
  // RUNNER_TEMP can be deep; ssh refuses a control socket path longer than sun_path.
  const shortRoot = existsSync('/tmp') ? '/tmp' : os.tmpdir();
  const controlDir = await mkdtemp(path.join(shortRoot, 'pvg-cp-'));
  const remove = async () => {
    await rm(dir, { recursive: true, force: true });
    await rm(controlDir, { recursive: true, force: true });
  };
  try {
    if (opts.sshPrivateKey === undefined) return { dir, controlDir, remove };
    const key = opts.sshPrivateKey.replace(/\r\n/g, '\n').trim() + '\n';
    registerKey(key);
    const keyFile = path.join(dir, 'id_key');
    await writeFile(keyFile, key, { mode: 0o600 });
    const check = await opts.exec('ssh-keygen', ['-y', '-P', '', '-f', keyFile], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' },
    });
    if (check.code !== 0 || !/^ssh-|^ecdsa-/.test(check.stdout.trim())) {
      throw new ConfigurationError(
        `${opts.keySource} is not a valid SSH private key without a passphrase (ssh-keygen cannot read it).`,
      );
    }
    return { dir, keyFile, controlDir, remove };
  } catch (err) {
    await remove();
    throw err;
  }
}
