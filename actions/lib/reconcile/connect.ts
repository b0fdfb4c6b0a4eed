import type { RepoConfig } from '../config/types.js';
import type { Logger } from '../log.js';
import { ProxmoxClient } from '../proxmox/client.js';
import { clientConfigFromEnv } from '../proxmox/config.js';
import { HttpsTransport } from '../proxmox/https-transport.js';
import { KeyedLimiter } from '../proxmox/limiter.js';

/**
 * The Proxmox client plan and apply use, from PROXMOX_* variables. Full clones per storage are
 * limited to `concurrency.per_storage`. The SSH fallback (and its library) loads only when
 * PROXMOX_SSH_* are set, so a plain `plan` starts fast.
 */
export async function connectFromEnv(
  env: NodeJS.ProcessEnv,
  config: Pick<RepoConfig, 'concurrency'> | undefined,
  log: Logger,
): Promise<ProxmoxClient> {
  const cfg = clientConfigFromEnv(env);
  const storageLimiter = new KeyedLimiter(Math.max(1, config?.concurrency.per_storage ?? 1));
  if (cfg.ssh || cfg.tls.mode === 'insecure') {
    const { createClient } = await import('../proxmox/create-client.js');
    const client = createClient(cfg, { log, storageLimiter });
    client.tokenId = cfg.tokenId;
    return client;
  }
  const client = new ProxmoxClient({ transport: new HttpsTransport(cfg), log, storageLimiter });
  client.tokenId = cfg.tokenId;
  return client;
}

/**
 * The client when PROXMOX_URL is set, else undefined: provisioning and kubeconfig publishing
 * read host keys through it, and run as before (ssh decides) without it.
 */
export async function connectIfConfigured(
  env: NodeJS.ProcessEnv,
  log: Logger,
): Promise<ProxmoxClient | undefined> {
  if (!env.PROXMOX_URL?.trim()) return undefined;
  return connectFromEnv(env, undefined, log);
}
