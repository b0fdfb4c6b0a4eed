import { randomBytes } from 'node:crypto';
import {
  createServer as createHttp,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { ConfigurationError } from '../../actions/lib/errors.js';
import { loadOrCreateCertificate } from '../proxmox/cert.js';
import { freshState, VaultEngine, type VaultRequest } from './engine.js';
import { newMount } from './mounts.js';
import { listFrontEnd } from './list-method.js';
import { isLoopbackHost as isLoopback } from '../../actions/lib/net/loopback.js';
import { parsePolicy } from './policy.js';
import { readVaultState, writeVaultState, type JwtRole } from './state.js';
import { VaultError } from './vault-error.js';

export { startGithubOidc, type GithubOidc } from './github-oidc.js';

export interface VaultSimOptions {
  /** Keep mounts, secrets, policies and tokens here (vault.json, 0600); absent = memory. */
  stateDir?: string;
  /** The root token; default a random `hvs.` token (kept in the state dir). */
  rootToken?: string;
  /** Serve HTTPS with a generated self-signed certificate (`caPem`); default plain HTTP as `vault server -dev`. */
  tls?: boolean;
  /** Default 127.0.0.1; anything outside loopback is refused. */
  host?: string;
  port?: number;
}

export interface JwtSetup {
  /** Auth mount path; default `jwt`. */
  path?: string;
  boundIssuer?: string;
  /** PEM public keys, or a loopback JWKS URL. */
  pubkeys?: string[];
  jwksUrl?: string;
  roles: Record<string, Partial<JwtRole> & { user_claim: string; token_policies: string[] }>;
}

export interface VaultSim {
  /** http(s)://127.0.0.1:PORT, for VAULT_ADDR. */
  addr: string;
  rootToken: string;
  /** The served certificate when `tls` is on (for VAULT_CACERT). */
  caPem?: string;
  /** Writes an ACL policy (HCL). */
  writePolicy(name: string, hcl: string): void;
  /** Issues a token with these policies. */
  createToken(policies: string[], ttlSeconds?: number): string;
  /** Enables (if needed) and configures JWT auth with roles. */
  configureJwt(setup: JwtSetup): void;
  /** Adds a KV mount (`version` 1 or 2). */
  mount(path: string, version: 1 | 2): void;
  engine: VaultEngine;
  /** Requests served, by method. */
  requests: Record<string, number>;
  stop(): Promise<void>;
}

const maxBody = 4 << 20;

async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > maxBody) throw new VaultError(413, ['request body too large']);
    chunks.push(c);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (!text) return {};
  try {
    const v = JSON.parse(text) as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // answered below
  }
  throw new VaultError(400, ['failed to parse JSON input: invalid character']);
}

function send(res: ServerResponse, status: number, body?: Record<string, unknown>): void {
  if (body === undefined) {
    res.writeHead(status, { 'Cache-Control': 'no-store' });
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Cache-Control': 'no-store',
    'Content-Length': String(Buffer.byteLength(text)),
  });
  res.end(text);
}

/** Starts the Vault simulator on loopback. */
export async function startVaultSim(opts: VaultSimOptions = {}): Promise<VaultSim> {
  const host = opts.host ?? '127.0.0.1';
  if (!isLoopback(host))
    throw new ConfigurationError(
      `The Vault simulator listens on loopback only; '${host}' is not a loopback address.`,
    );
  const saved = opts.stateDir ? readVaultState(opts.stateDir) : undefined;
  const savedRoot =
    saved && Object.values(saved.tokens).find((t) => t.policies.includes('root'))?.id;
  const rootToken = opts.rootToken ?? savedRoot ?? `hvs.${randomBytes(18).toString('base64url')}`;
  const state = saved ?? freshState(rootToken);
  if (!state.tokens[rootToken]) Object.assign(state.tokens, freshState(rootToken).tokens);
  const save = () => {
    if (opts.stateDir) writeVaultState(opts.stateDir, state);
  };
  save();
  const engine = new VaultEngine(state, save);
  const requests: Record<string, number> = {};

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      try {
        const url = new URL(req.url ?? '/', 'http://vault');
        if (!url.pathname.startsWith('/v1/')) throw new VaultError(404, []);
        let method = (req.method ?? 'GET').toUpperCase();
        if (method === 'GET' && url.searchParams.get('list') === 'true') method = 'LIST';
        requests[method] = (requests[method] ?? 0) + 1;
        const auth = req.headers.authorization;
        const token =
          (req.headers['x-vault-token'] as string | undefined) ??
          (auth?.startsWith('Bearer ') ? auth.slice(7) : undefined);
        const r: VaultRequest = {
          method,
          path: decodeURIComponent(url.pathname.slice(4)),
          query: url.searchParams,
          body: method === 'GET' || method === 'LIST' ? {} : await readBody(req),
          token,
          contentType: (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase(),
        };
        const out = await engine.handle(r);
        send(res, out.status, out.body);
      } catch (err) {
        if (err instanceof VaultError) send(res, err.status, { ...err.extra, errors: err.errors });
        else send(res, 500, { errors: [`internal error: ${(err as Error).message}`] });
      }
    })();
  };
  const cert = opts.tls ? loadOrCreateCertificate(opts.stateDir, 'vault-tls') : undefined;
  // The HTTP server sits behind a front end that accepts Vault's LIST method (and TLS).
  const inner: Server = createHttp(handler);
  await new Promise<void>((resolve, reject) => {
    inner.once('error', reject);
    inner.listen(0, host, () => resolve());
  });
  const front = listFrontEnd(
    (inner.address() as { port: number }).port,
    host,
    cert && { cert: cert.certPem, key: cert.keyPem },
  );
  await new Promise<void>((resolve, reject) => {
    front.once('error', reject);
    front.listen(opts.port ?? 0, host, () => resolve());
  });
  const port = (front.address() as { port: number }).port;
  const hostPart = host.includes(':') ? `[${host}]` : host;
  return {
    addr: `${cert ? 'https' : 'http'}://${hostPart}:${port}`,
    rootToken,
    caPem: cert?.certPem,
    engine,
    requests,
    writePolicy(name, hcl) {
      parsePolicy(hcl);
      state.policies[name] = hcl;
      save();
    },
    createToken(policies, ttlSeconds) {
      const t = `hvs.${randomBytes(18).toString('base64url')}`;
      state.tokens[t] = {
        id: t,
        accessor: randomBytes(12).toString('base64url'),
        policies: ['default', ...policies],
        display_name: 'token',
        path: 'auth/token/create',
        meta: null,
        creation_time: Math.floor(Date.now() / 1000),
        ttl: ttlSeconds ?? 0,
      };
      save();
      return t;
    },
    configureJwt(setup) {
      const name = `${(setup.path ?? 'jwt').replace(/\/$/, '')}/`;
      const am = (state.auth[name] ??= {
        type: 'jwt',
        accessor: `auth_jwt_${randomBytes(4).toString('hex')}`,
        roles: {},
      });
      am.config = {
        bound_issuer: setup.boundIssuer ?? '',
        jwt_validation_pubkeys: setup.pubkeys ?? [],
        jwks_url: setup.jwksUrl ?? '',
        jwks_ca_pem: '',
      };
      for (const [r, v] of Object.entries(setup.roles)) {
        am.roles[r] = {
          role_type: 'jwt',
          bound_audiences: v.bound_audiences ?? [],
          bound_subject: v.bound_subject ?? '',
          bound_claims: v.bound_claims ?? null,
          bound_claims_type: v.bound_claims_type ?? 'string',
          user_claim: v.user_claim,
          token_policies: v.token_policies,
          token_ttl: v.token_ttl ?? 3600,
        };
      }
      save();
    },
    mount(path, version) {
      state.mounts[`${path.replace(/\/$/, '')}/`] ??= newMount(version);
      save();
    },
    async stop() {
      inner.closeAllConnections();
      await Promise.all([
        new Promise<void>((r) => front.close(() => r())),
        new Promise<void>((r) => inner.close(() => r())),
      ]);
    },
  };
}
