import type { Logger } from '../log.js';
import type { Clock } from './clock.js';
import { ProxmoxClient } from './client.js';
import type { ClientConfig } from './config.js';
import { FallbackTransport } from './fallback-transport.js';
import { HttpsTransport, type HttpsTransportOptions } from './https-transport.js';
import type { KeyedLimiter } from './limiter.js';
import type { RetryPolicy } from './retry.js';
import { SshTransport, type SshTransportOptions } from './ssh-transport.js';
import type { Transport } from './transport.js';

export interface CreateClientOptions {
  log: Logger;
  clock?: Clock;
  concurrency?: number;
  retry?: RetryPolicy;
  storageLimiter?: KeyedLimiter;
  https?: HttpsTransportOptions;
  ssh?: SshTransportOptions;
}

/**
 * The client for a configuration: HTTPS, with the SSH/pvesh fallback when PROXMOX_SSH_* are
 * set. Warns on every run when certificate checks are off.
 */
export function createClient(config: ClientConfig, options: CreateClientOptions): ProxmoxClient {
  if (config.tls.mode === 'insecure') {
    options.log.warn(
      `PROXMOX_INSECURE=true: the certificate of ${config.url} is not checked, so anyone on the path can read the API token; set PROXMOX_TLS_FINGERPRINT instead.`,
    );
  }
  const https = new HttpsTransport(config, options.https);
  const ssh = config.ssh;
  const transport: Transport = ssh
    ? new FallbackTransport(https, () => new SshTransport(ssh, options.ssh), ssh.host, options.log)
    : https;
  return new ProxmoxClient({ ...options, transport });
}
