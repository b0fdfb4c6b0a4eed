import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { ConfigurationError, PveGitopsError } from '../errors.js';
import { registerSecret } from '../secrets.js';

/** How to reach Vault. The token is registered as a secret when set. */
export interface VaultConnection {
  /** VAULT_ADDR, e.g. https://vault.example:8200. */
  addr: string;
  token?: string;
  /** PEM of the CA that signs Vault's certificate (VAULT_CACERT). */
  caPem?: string;
  /** Vault Enterprise namespace (VAULT_NAMESPACE). */
  namespace?: string;
  timeoutMs?: number;
}

/** An answer from Vault other than 2xx: the status and Vault's `errors`. */
/**
 * Vault wraps core errors in go-multierror's text (`1 error occurred:\n\t* permission denied\n\n`);
 * the errors themselves, `; `-joined, read as one line in our messages.
 */
export function unwrapMultierror(e: string): string {
  const m = /^\d+ errors? occurred:\n((?:\t\* .*\n?)+)\n*$/.exec(e);
  return m
    ? m[1]
        .split('\n')
        .filter(Boolean)
        .map((l) => l.replace(/^\t\* /, ''))
        .join('; ')
    : e;
}

export class VaultHttpError extends PveGitopsError {
  constructor(
    readonly status: number,
    readonly errors: string[],
    what: string,
    /** The parsed answer, when it was JSON. */
    readonly body?: Record<string, unknown>,
  ) {
    super(
      `Vault answered ${status} to ${what}${errors.length ? `: ${errors.join('; ').slice(0, 300)}` : ''}.`,
    );
  }
}

export interface KvSecret {
  data: Record<string, unknown>;
  version: number;
}

/** A small Vault client: what publishing and fetching kubeconfigs needs, nothing else. */
export class VaultClient {
  constructor(private readonly c: VaultConnection) {
    let url: URL;
    try {
      url = new URL(c.addr);
    } catch {
      throw new ConfigurationError(
        `VAULT_ADDR '${c.addr.slice(0, 80)}' is not a URL (expected https://host:8200).`,
      );
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new ConfigurationError(
        `VAULT_ADDR '${c.addr.slice(0, 80)}' must start with https:// or http://.`,
      );
    registerSecret(c.token);
  }

  get addr(): string {
    return this.c.addr;
  }

  setToken(token: string): void {
    registerSecret(token);
    this.c.token = token;
  }

  /** Sends one request; returns the parsed body (undefined for 204). Throws VaultHttpError. */
  request(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<Record<string, unknown> | undefined> {
    const url = new URL(
      `v1/${path.replace(/^\/+/, '')}`,
      this.c.addr.endsWith('/') ? this.c.addr : `${this.c.addr}/`,
    );
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = {
      Accept: 'application/json',
      'X-Vault-Request': 'true',
    };
    if (this.c.token) headers['X-Vault-Token'] = this.c.token;
    if (this.c.namespace) headers['X-Vault-Namespace'] = this.c.namespace;
    if (payload) {
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(payload));
    }
    const what = `${method} ${url.pathname}`;
    return new Promise((resolve, reject) => {
      const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
      const req = send(
        url,
        {
          method,
          headers,
          timeout: this.c.timeoutMs ?? 30_000,
          ...(url.protocol === 'https:' && this.c.caPem ? { ca: this.c.caPem } : {}),
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let json: Record<string, unknown> | undefined;
            try {
              json = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
            } catch {
              json = undefined;
            }
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) return resolve(json);
            const errors = Array.isArray(json?.errors)
              ? (json.errors as unknown[]).map((e) => unwrapMultierror(String(e)))
              : [];
            reject(new VaultHttpError(status, errors, what, json));
          });
        },
      );
      req.on('timeout', () =>
        req.destroy(new PveGitopsError(`Vault at ${this.c.addr} did not answer ${what} in time.`)),
      );
      req.on('error', (err) =>
        reject(
          err instanceof PveGitopsError
            ? err
            : new PveGitopsError(
                `Cannot reach Vault at ${this.c.addr} (${(err as NodeJS.ErrnoException).code ?? err.message}).`,
              ),
        ),
      );
      req.end(payload);
    });
  }

  /** Logs in with a JWT (GitHub OIDC) on the JWT auth mount; keeps and returns the token. */
  async loginJwt(role: string, jwt: string, mount = 'jwt'): Promise<string> {
    registerSecret(jwt);
    let r;
    try {
      r = await this.request('POST', `auth/${mount}/login`, { role, jwt });
    } catch (err) {
      if (err instanceof VaultHttpError)
        throw new ConfigurationError(
          `Vault refused the GitHub OIDC login to role '${role}' on auth/${mount}: ${err.errors.join('; ').slice(0, 300) || `status ${err.status}`}.`,
        );
      throw err;
    }
    const token = (r?.auth as { client_token?: string } | undefined)?.client_token;
    if (!token)
      throw new PveGitopsError(`Vault's answer to the login to role '${role}' holds no token.`);
    this.setToken(token);
    return token;
  }

  /** KV v2 read of the current version; undefined when the secret does not exist (or is deleted). */
  async readKv2(mount: string, path: string): Promise<KvSecret | undefined> {
    try {
      const r = await this.request('GET', `${mount}/data/${path}`);
      const d = r?.data as
        { data?: Record<string, unknown> | null; metadata?: { version?: number } } | undefined;
      return { data: d?.data ?? {}, version: d?.metadata?.version ?? 0 };
    } catch (err) {
      if (err instanceof VaultHttpError && err.status === 404 && !err.errors.length) {
        // A deleted latest version still has a number that check-and-set must name.
        const version = (err.body?.data as { metadata?: { version?: number } } | undefined)
          ?.metadata?.version;
        return version ? { data: {}, version } : undefined;
      }
      throw this.explain(err, mount, path, 'read');
    }
  }

  /**
   * KV v2 write with check-and-set: `cas` 0 creates only, N replaces only version N. Returns
   * the new version, or `conflict` when someone wrote first.
   */
  async writeKv2(
    mount: string,
    path: string,
    data: Record<string, unknown>,
    cas: number,
  ): Promise<number | 'conflict'> {
    try {
      const r = await this.request('POST', `${mount}/data/${path}`, { options: { cas }, data });
      return (r?.data as { version?: number } | undefined)?.version ?? cas + 1;
    } catch (err) {
      if (
        err instanceof VaultHttpError &&
        err.status === 400 &&
        err.errors.some((e) => e.includes('check-and-set parameter did not match'))
      )
        return 'conflict';
      throw this.explain(err, mount, path, 'write');
    }
  }

  private explain(err: unknown, mount: string, path: string, verb: string): unknown {
    if (!(err instanceof VaultHttpError)) return err;
    if (err.status === 403)
      return new ConfigurationError(
        `Vault denied the token permission to ${verb} ${mount}/data/${path}: give its policy ${verb === 'read' ? '"read"' : '"create" and "update"'} on that path.`,
      );
    if (err.status === 404)
      return new ConfigurationError(
        `Vault has no KV v2 engine at '${mount}/' for ${mount}/data/${path} (${err.errors.join('; ').slice(0, 200)}); check vault.mount.`,
      );
    return err;
  }
}
