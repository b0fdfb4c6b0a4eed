import {
  createSign,
  generateKeyPairSync,
  randomBytes,
  randomUUID,
  type KeyObject,
} from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { ConfigurationError } from '../../actions/lib/errors.js';
import { isLoopbackHost as isLoopback } from '../../actions/lib/net/loopback.js';

/**
 * A stand-in for GitHub's OIDC token service: what a runner reaches through
 * ACTIONS_ID_TOKEN_REQUEST_URL/TOKEN (`core.getIDToken`), signing RS256 JWTs with a test key
 * and publishing the key as JWKS, so Vault's JWT auth can verify them.
 */
export interface GithubOidc {
  /** For ACTIONS_ID_TOKEN_REQUEST_URL (already carries a query, as GitHub's does). */
  requestUrl: string;
  /** For ACTIONS_ID_TOKEN_REQUEST_TOKEN. */
  requestToken: string;
  /** The `iss` claim; default GitHub's issuer. */
  issuer: string;
  jwksUrl: string;
  publicKeyPem: string;
  /** Signs any claims with the test key (for tests of bad tokens). */
  sign(claims: Record<string, unknown>, kid?: string): string;
  /** Claims every issued token carries (mutable, e.g. to change `ref`). */
  claims: Record<string, unknown>;
  /** Tokens issued, with the audience asked for. */
  issued: Array<{ audience?: string }>;
  stop(): Promise<void>;
}

export interface GithubOidcOptions {
  repository?: string;
  ref?: string;
  issuer?: string;
  claims?: Record<string, unknown>;
  host?: string;
}

function signWith(key: KeyObject, kid: string, claims: Record<string, unknown>): string {
  const head = Buffer.from(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid })).toString('base64url');
  const body = Buffer.from(JSON.stringify(claims)).toString('base64url');
  const s = createSign('RSA-SHA256');
  s.update(`${head}.${body}`);
  return `${head}.${body}.${s.sign(key).toString('base64url')}`;
}

/** Starts the OIDC stand-in on loopback. */
export async function startGithubOidc(opts: GithubOidcOptions = {}): Promise<GithubOidc> {
  const host = opts.host ?? '127.0.0.1';
  if (!isLoopback(host))
    throw new ConfigurationError(`The OIDC stand-in listens on loopback only, not '${host}'.`);
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = randomBytes(8).toString('hex');
  const requestToken = randomBytes(24).toString('base64url');
  const repository = opts.repository ?? 'octo-org/infra';
  const ref = opts.ref ?? 'refs/heads/main';
  const issuer = opts.issuer ?? 'https://token.actions.githubusercontent.com';
  const claims: Record<string, unknown> = {
    sub: `repo:${repository}:ref:${ref}`,
    repository,
    repository_owner: repository.split('/')[0],
    ref,
    ref_type: 'branch',
    sha: 'a'.repeat(40),
    actor: 'octocat',
    event_name: 'push',
    workflow_ref: `${repository}/.github/workflows/deploy.yml@${ref}`,
    job_workflow_ref: `${repository}/.github/workflows/deploy.yml@${ref}`,
    run_id: '1',
    ...opts.claims,
  };
  const issued: Array<{ audience?: string }> = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://oidc');
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (url.pathname === '/.well-known/jwks') {
      return json(200, {
        keys: [{ ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' }],
      });
    }
    if (url.pathname === '/.well-known/openid-configuration') {
      return json(200, {
        issuer,
        jwks_uri: `http://${host}:${port}/.well-known/jwks`,
        id_token_signing_alg_values_supported: ['RS256'],
      });
    }
    if (url.pathname === '/token') {
      if (req.headers.authorization !== `Bearer ${requestToken}`)
        return json(401, { message: 'Unauthorized' });
      const audience = url.searchParams.get('audience') ?? undefined;
      issued.push({ audience });
      const now = Math.floor(Date.now() / 1000);
      const jwt = signWith(privateKey, kid, {
        jti: randomUUID(),
        aud: audience ?? `https://github.com/${String(claims.repository_owner)}`,
        ...claims,
        iss: issuer,
        nbf: now - 5,
        iat: now,
        exp: now + 300,
      });
      return json(200, { count: 1, value: jwt });
    }
    json(404, { message: 'Not Found' });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return {
    requestUrl: `http://${host}:${port}/token?api-version=2.0`,
    requestToken,
    issuer,
    jwksUrl: `http://${host}:${port}/.well-known/jwks`,
    publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    sign: (c, k) => signWith(privateKey, k ?? kid, c),
    claims,
    issued,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
