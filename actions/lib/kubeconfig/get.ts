import { ConfigurationError } from '../errors.js';
import { writeOutputFile } from '../fs/output-file.js';
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

/**
 * Writes a kubeconfig readable by its owner only (0600), atomically, refusing symbolic links,
 * devices and directories at the path (see writeOutputFile). `what` names the setting.
 */
export function writePrivateFile(
  file: string,
  text: string,
  o: { what?: string; createParents?: boolean } = {},
): Promise<void> {
  return writeOutputFile(file, text, { ...o, mode: 0o600 });
}
