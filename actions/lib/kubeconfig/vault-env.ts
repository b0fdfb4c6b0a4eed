import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { ConfigurationError } from '../errors.js';
import type { RepoConfig } from '../config/types.js';
import type { KubeconfigLocation } from './store.js';
import { vaultSegmentsProblem } from '../vm/paths.js';
import { showValue } from '../vm/show-value.js';
import { VaultClient } from './vault-client.js';
import { isLoopbackUrl, simulatorMode } from '../net/loopback.js';

/** A Vault client from VAULT_ADDR, VAULT_TOKEN (else ~/.vault-token), VAULT_CACERT, VAULT_NAMESPACE. */
export function vaultFromEnv(env: NodeJS.ProcessEnv, o: { needToken?: boolean } = {}): VaultClient {
  const addr = env.VAULT_ADDR?.trim();
  if (!addr)
    throw new ConfigurationError(
      'VAULT_ADDR is not set: export the address of Vault, e.g. https://vault.example:8200.',
    );
  if (simulatorMode(env) && !isLoopbackUrl(addr))
    throw new ConfigurationError(
      `VAULT_ADDR ${addr} is not on loopback, and PVE_GITOPS_SIMULATOR is set: simulator mode reaches nothing else.`,
    );
  let token = env.VAULT_TOKEN?.trim();
  if (!token) {
    try {
      token = readFileSync(path.join(env.HOME ?? homedir(), '.vault-token'), 'utf8').trim();
    } catch {
      token = undefined;
    }
  }
  if (!token && o.needToken !== false)
    throw new ConfigurationError(
      'VAULT_TOKEN is not set (and there is no ~/.vault-token): log in to Vault first.',
    );
  let caPem: string | undefined;
  if (env.VAULT_CACERT) {
    try {
      caPem = readFileSync(env.VAULT_CACERT, 'utf8');
    } catch {
      throw new ConfigurationError(`VAULT_CACERT names ${env.VAULT_CACERT}, which cannot be read.`);
    }
  }
  return new VaultClient({ addr, token, caPem, namespace: env.VAULT_NAMESPACE || undefined });
}

/** The repository's kubeconfig location, with explicit overrides winning. */
export function locationOf(
  config: RepoConfig['vault'] | undefined,
  over: Partial<KubeconfigLocation> = {},
): KubeconfigLocation {
  const d = {
    mount: 'kv',
    path: 'cluster-secret-store/secrets/KUBECONFIG',
    key: 'KUBECONFIG',
    ...config,
  };
  const loc = {
    mount: (over.mount || d.mount).replace(/^\/+|\/+$/g, ''),
    path: (over.path || d.path).replace(/^\/+|\/+$/g, ''),
    key: over.key || d.key,
  };
  // The same check validate makes of pve-gitops.yaml's vault settings (vm/paths.ts).
  for (const kind of ['mount', 'path', 'key'] as const) {
    const why = vaultSegmentsProblem(loc[kind], kind);
    if (why) {
      const from = over[kind] ? 'given' : 'of pve-gitops.yaml';
      throw new ConfigurationError(`The Vault ${kind} ${showValue(loc[kind], 60)} ${from} ${why}.`);
    }
  }
  return loc;
}
