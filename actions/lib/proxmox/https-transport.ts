import https from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { ClientConfig } from './config.js';
import { ProxmoxApiError, ProxmoxConnectionError } from './errors.js';
import { formEncode, type HttpMethod, type Params, type Transport } from './transport.js';
import { FingerprintMismatchError, ProxmoxAgent, TLS_PHASE } from './tls-agent.js';

export interface HttpsTransportOptions {
  /** Sockets kept open to the API (and requests in flight). Default 16. */
  maxSockets?: number;
  /** TCP + TLS connect limit. Default 10 s. */
  connectTimeoutMs?: number;
  /** Whole-request limit. Default 60 s (PVE answers sync calls within 30 s or sends 596). */
  requestTimeoutMs?: number;
}

/**
 * Privileges the project's token needs, for the 401 sentence: the role of docs/proxmox.md
 * (privileges.test.ts checks that it names every privilege of rolePrivileges()).
 */
export const REQUIRED_PRIVILEGES =
  'VM.Allocate, VM.Clone, VM.Config.CPU, VM.Config.Memory, VM.Config.Network, VM.Config.Options, VM.Config.Disk, VM.PowerMgmt, VM.Migrate, VM.Audit, VM.Monitor (PVE 8) or VM.GuestAgent.Audit and VM.GuestAgent.FileRead (PVE 9), Datastore.AllocateSpace, Datastore.Audit, SDN.Use and Sys.Audit, granted to the user and to the token (pve-gitops doctor checks them)';

const CONNECT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'EADDRNOTAVAIL',
]);

/** The Proxmox VE HTTPS API with API-token auth and keep-alive connection pooling. */
export class HttpsTransport implements Transport {
  readonly description: string;
  private readonly agent: ProxmoxAgent;
  private readonly auth: string;
  private readonly base: URL;
  private readonly requestTimeoutMs: number;

  constructor(
    private readonly config: Pick<ClientConfig, 'url' | 'tokenId' | 'tokenSecret' | 'tls'>,
    options: HttpsTransportOptions = {},
  ) {
    this.base = new URL(config.url);
    this.description = this.base.origin;
    this.auth = `PVEAPIToken=${config.tokenId}=${config.tokenSecret}`;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 60_000;
    this.agent = new ProxmoxAgent(
      config.tls,
      options.connectTimeoutMs ?? 10_000,
      options.maxSockets ?? 16,
    );
  }

  async request(method: HttpMethod, path: string, params?: Params): Promise<unknown> {
    try {
      return await this.once(method, path, params);
    } catch (err) {
      // The server may close an idle kept-alive socket just as we reuse it: nothing was
      // processed, so one more try on a fresh socket is safe for every method.
      if ((err as { reusedSocket?: boolean }).reusedSocket) return this.once(method, path, params);
      throw err;
    }
  }

  private once(method: HttpMethod, path: string, params?: Params): Promise<unknown> {
    const form = formEncode(params);
    const inQuery = method === 'GET' || method === 'DELETE';
    const target = `/api2/json${path}${inQuery && form ? `?${form}` : ''}`;
    const body = inQuery ? undefined : Buffer.from(form);
    const headers: Record<string, string> = {
      Authorization: this.auth,
      Accept: 'application/json',
    };
    if (body) {
      headers['Content-Type'] = 'application/x-www-form-urlencoded';
      headers['Content-Length'] = String(body.length);
    }
    return new Promise<unknown>((resolve, reject) => {
      const req = https.request(
        {
          agent: this.agent,
          host: this.base.hostname,
          port: this.base.port || 443,
          method,
          path: target,
          headers,
        },
        (res) => {
          readBody(res).then(
            (buf) => {
              try {
                resolve(this.interpret(method, path, res, buf));
              } catch (err) {
                reject(err instanceof Error ? err : new Error(String(err)));
              }
            },
            (err: unknown) => reject(this.transportError(err, 'in-flight')),
          );
        },
      );
      req.setTimeout(this.requestTimeoutMs, () =>
        req.destroy(
          Object.assign(new Error(`no answer within ${this.requestTimeoutMs / 1000} s`), {
            code: 'ERR_REQUEST_TIMEOUT',
          }),
        ),
      );
      req.on('error', (err) => {
        const wrapped = this.transportError(err, req.reusedSocket ? 'in-flight' : undefined);
        if (req.reusedSocket && (err as NodeJS.ErrnoException).code === 'ECONNRESET') {
          Object.assign(wrapped, { reusedSocket: true });
        }
        reject(wrapped);
      });
      req.end(body);
    });
  }

  private interpret(method: HttpMethod, path: string, res: IncomingMessage, buf: Buffer): unknown {
    const status = res.statusCode ?? 0;
    const type = String(res.headers['content-type'] ?? '');
    let json: { data?: unknown; message?: unknown; errors?: unknown } | undefined;
    if (/json/i.test(type) || (buf.length > 0 && buf[0] === 0x7b)) {
      try {
        json = JSON.parse(buf.toString('utf8')) as typeof json;
      } catch {
        json = undefined;
      }
    }
    if (status >= 200 && status < 300) {
      if (json && typeof json === 'object' && 'data' in json) return json.data;
      throw new ProxmoxApiError(
        { status, message: 'not a Proxmox VE answer', method, path, kind: 'not-proxmox' },
        `The server at PROXMOX_URL (${this.description}) answered ${method} ${path} with ${type.split(';')[0] || 'an unknown content type'}, not the Proxmox VE API; point PROXMOX_URL at https://<node>:8006.`,
      );
    }
    const message =
      (typeof json?.message === 'string' && json.message.trim()) ||
      res.statusMessage ||
      `HTTP ${status}`;
    const errors =
      json?.errors && typeof json.errors === 'object'
        ? (json.errors as Record<string, string>)
        : undefined;
    const init = { status, message: message.trim(), method, path, errors };
    if (status === 401) {
      throw new ProxmoxApiError(
        init,
        `Proxmox rejected the API token (401 ${message.trim()}): check PROXMOX_TOKEN_ID '${this.config.tokenId}' and PROXMOX_TOKEN_SECRET; the token needs ${REQUIRED_PRIVILEGES}.`,
      );
    }
    if (status === 403) {
      const m = /\(([^,()]+),\s*([^()]+)\)/.exec(message);
      const where = m ? `privilege ${m[2].trim()} on ${m[1].trim()}` : 'a privilege';
      throw new ProxmoxApiError(
        init,
        `Proxmox refused ${method} ${path} (403 ${message.trim()}): the token PROXMOX_TOKEN_ID '${this.config.tokenId}' lacks ${where}; grant it with pveum acl modify.`,
      );
    }
    throw new ProxmoxApiError(init);
  }

  private transportError(err: unknown, phase?: 'in-flight'): ProxmoxConnectionError {
    const e = err as NodeJS.ErrnoException & { [TLS_PHASE]?: boolean };
    const code = e.code ?? 'ERROR';
    const where = `PROXMOX_URL (${this.description})`;
    if (err instanceof FingerprintMismatchError) {
      return new ProxmoxConnectionError(
        `The TLS certificate of ${where} does not match PROXMOX_TLS_FINGERPRINT: expected ${err.expected}, received ${err.received}; refusing to connect.`,
        'tls',
        code,
      );
    }
    if (e[TLS_PHASE] || /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|EPROTO/.test(code)) {
      return new ProxmoxConnectionError(
        `The TLS handshake with ${where} failed (${e.message}); trust the node with PROXMOX_TLS_FINGERPRINT or PROXMOX_CA_FILE.`,
        'tls',
        code,
      );
    }
    if (!phase && CONNECT_CODES.has(code)) {
      return new ProxmoxConnectionError(
        `Cannot reach the Proxmox API at ${where}: ${describeCode(code, e.message)}.`,
        'connect',
        code,
      );
    }
    return new ProxmoxConnectionError(
      `The connection to the Proxmox API at ${where} failed: ${describeCode(code, e.message)}.`,
      phase ?? 'in-flight',
      code,
    );
  }

  close(): Promise<void> {
    this.agent.destroy();
    return Promise.resolve();
  }
}

function describeCode(code: string, message: string): string {
  const known: Record<string, string> = {
    ECONNREFUSED: 'connection refused',
    ENOTFOUND: 'host name not found',
    EAI_AGAIN: 'host name lookup failed',
    ETIMEDOUT: 'connection timed out',
    EHOSTUNREACH: 'host unreachable',
    ENETUNREACH: 'network unreachable',
    ECONNRESET: 'connection reset',
  };
  return known[code] ?? message;
}

const MAX_BODY = 64 * 1024 * 1024;

function readBody(res: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) res.destroy(new Error('answer larger than 64 MiB'));
      else chunks.push(c);
    });
    res.on('end', () => resolve(Buffer.concat(chunks)));
    res.on('error', reject);
    res.on('aborted', () => reject(new Error('answer cut off')));
  });
}
