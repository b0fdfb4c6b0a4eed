// The project's own Proxmox client pointed at a simulator, trusting it by fingerprint as a
// user's PROXMOX_TLS_FINGERPRINT would: for tests, benchmarks and the demo.
import { ProxmoxClient, type ProxmoxClientOptions } from '../../actions/lib/proxmox/client.js';
import { HttpsTransport } from '../../actions/lib/proxmox/https-transport.js';

/** What the client needs of a running simulator. */
export interface SimEndpoint {
  url: string;
  tokenId: string;
  tokenSecret: string;
  fingerprint: string;
}

/** A ProxmoxClient over HTTPS to `sim`; options (log, limiters, clock) pass through. */
export function proxmoxClientFor(
  sim: SimEndpoint,
  options: Omit<ProxmoxClientOptions, 'transport'> = {},
): ProxmoxClient {
  const transport = new HttpsTransport({
    url: sim.url,
    tokenId: sim.tokenId,
    tokenSecret: sim.tokenSecret,
    tls: { mode: 'fingerprint', fingerprint: sim.fingerprint },
  });
  const client = new ProxmoxClient({ transport, ...options });
  client.tokenId = sim.tokenId;
  return client;
}
