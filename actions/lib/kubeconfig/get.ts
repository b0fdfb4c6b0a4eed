import { chmod, mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { ConfigurationError } from '../errors.js';
import { selectContexts, serializeKubeconfig, type Kubeconfig } from './kubeconfig.js';
import { describeLocation, readStoredKubeconfig, type KubeconfigLocation } from './store.js';
import type { VaultClient } from './vault-client.js';

/** The stored kubeconfig cut down to `contexts` (with their clusters and users). */
export async function getKubeconfig(o: {
  vault: VaultClient;
  location: KubeconfigLocation;
  contexts: string[];
}): Promise<{ config: Kubeconfig; text: string }> {
  if (!o.contexts.length) throw new ConfigurationError('Name at least one context to fetch.');
  const stored = await readStoredKubeconfig(o.vault, o.location);
  if (!stored.exists)
    throw new ConfigurationError(`There is no kubeconfig in ${describeLocation(o.location)} yet.`);
  const config = selectContexts(stored.config, o.contexts, describeLocation(o.location));
  return { config, text: serializeKubeconfig(config) };
}

/** Writes a file readable by its owner only (0600), atomically: it never exists with wider rights. */
export async function writePrivateFile(file: string, text: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  const fh = await open(tmp, 'wx', 0o600);
  try {
    await fh.writeFile(text);
  } finally {
    await fh.close();
  }
  try {
    await chmod(tmp, 0o600);
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
