import { ConfigurationError, PveGitopsError } from '../errors.js';
import type { Logger } from '../log.js';
import {
  emptyKubeconfig,
  mergeKubeconfig,
  parseKubeconfig,
  serializeKubeconfig,
  type Kubeconfig,
  type KubeconfigEntry,
} from './kubeconfig.js';
import type { VaultClient } from './vault-client.js';

/** Where the merged kubeconfig lives: KV v2 `mount`, secret `path`, field `key`. */
export interface KubeconfigLocation {
  mount: string;
  path: string;
  key: string;
}

export const describeLocation = (l: KubeconfigLocation) =>
  `Vault ${l.mount}/${l.path} (key ${l.key})`;

/** Reads the stored kubeconfig; an empty one when the secret or key is absent. Broken = error. */
export async function readStoredKubeconfig(
  vault: VaultClient,
  loc: KubeconfigLocation,
): Promise<{
  config: Kubeconfig;
  version: number;
  data: Record<string, unknown>;
  exists: boolean;
}> {
  const secret = await vault.readKv2(loc.mount, loc.path);
  if (!secret) return { config: emptyKubeconfig(), version: 0, data: {}, exists: false };
  const raw = secret.data[loc.key];
  if (raw === undefined || raw === null || raw === '')
    return { config: emptyKubeconfig(), version: secret.version, data: secret.data, exists: false };
  if (typeof raw !== 'string')
    throw new ConfigurationError(
      `The kubeconfig in ${describeLocation(loc)} is not a string; refusing to overwrite it: fix or remove it by hand.`,
    );
  let config: Kubeconfig;
  try {
    config = parseKubeconfig(raw, `The kubeconfig in ${describeLocation(loc)}`);
  } catch (err) {
    throw new ConfigurationError(
      `${(err as Error).message.replace(/\.$/, '')}; refusing to overwrite it: fix or remove it by hand.`,
    );
  }
  return { config, version: secret.version, data: secret.data, exists: true };
}

export interface PublishResult {
  /** The version written. */
  version: number;
  /** Contexts now stored. */
  contexts: string[];
  /** Check-and-set conflicts met (someone else wrote in between). */
  conflicts: number;
}

/**
 * Merges `entries` into the stored kubeconfig with check-and-set: read version N, merge, write
 * with cas N; when another writer got there first, read again and retry (bounded). Other
 * contexts and other keys of the secret are always kept; a broken stored kubeconfig is never
 * overwritten.
 */
export async function publishKubeconfig(o: {
  vault: VaultClient;
  location: KubeconfigLocation;
  entries: KubeconfigEntry[];
  log: Logger;
  maxAttempts?: number;
  sleep?: (ms: number) => Promise<void>;
}): Promise<PublishResult> {
  const attempts = o.maxAttempts ?? 8;
  const sleep = o.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  let conflicts = 0;
  for (let i = 1; i <= attempts; i++) {
    const cur = await readStoredKubeconfig(o.vault, o.location);
    const merged = mergeKubeconfig(cur.config, o.entries);
    const data = { ...cur.data, [o.location.key]: serializeKubeconfig(merged) };
    const written = await o.vault.writeKv2(o.location.mount, o.location.path, data, cur.version);
    if (written !== 'conflict') {
      o.log.info(
        `Stored ${o.entries.map((e) => e.name).join(', ')} in ${describeLocation(o.location)} as version ${written} (${merged.contexts.length} contexts).`,
      );
      return { version: written, contexts: merged.contexts.map((c) => c.name), conflicts };
    }
    conflicts++;
    o.log.info(
      `${describeLocation(o.location)} changed while merging (attempt ${i}); reading it again.`,
    );
    await sleep(Math.min(2000, 50 * 2 ** i) * (0.5 + Math.random()));
  }
  throw new PveGitopsError(
    `Could not store the kubeconfig in ${describeLocation(o.location)}: it kept changing during ${attempts} check-and-set attempts; nothing was lost, run again.`,
  );
}
