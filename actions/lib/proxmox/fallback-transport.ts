import type { Logger } from '../log.js';
import { ProxmoxConnectionError } from './errors.js';
import type { HttpMethod, Params, Transport } from './transport.js';

/**
 * The HTTPS API first; when it cannot be reached or its TLS handshake fails (never on an
 * HTTP answer, 4xx or 5xx), every later request goes over SSH/pvesh instead.
 */
export class FallbackTransport implements Transport {
  private secondary?: Transport;
  private switched = false;

  constructor(
    private readonly primary: Transport,
    private readonly makeSecondary: () => Transport,
    private readonly node: string,
    private readonly log: Logger,
  ) {}

  get description(): string {
    return this.switched ? this.secondary!.description : this.primary.description;
  }

  /** True once requests go over SSH. */
  get usingFallback(): boolean {
    return this.switched;
  }

  async request(method: HttpMethod, path: string, params?: Params): Promise<unknown> {
    if (!this.switched) {
      try {
        return await this.primary.request(method, path, params);
      } catch (err) {
        // In-flight failures may have reached Proxmox: replaying them elsewhere is not safe.
        if (!(err instanceof ProxmoxConnectionError) || err.phase === 'in-flight') throw err;
        if (!this.switched) {
          this.switched = true;
          this.log.warn(
            `Proxmox API failed (${err.message.replace(/\.$/, '')}), using SSH/pvesh on ${this.node}`,
          );
        }
      }
    }
    this.secondary ??= this.makeSecondary();
    return this.secondary.request(method, path, params);
  }

  async close(): Promise<void> {
    await Promise.all([this.primary.close(), this.secondary?.close()]);
  }
}
