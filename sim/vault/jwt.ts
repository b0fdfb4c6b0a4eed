import { createPublicKey, createVerify, type JsonWebKey, type KeyObject } from 'node:crypto';
import { isLoopbackUrl } from '../../actions/lib/net/loopback.js';
import { matchesGlob } from '../../actions/lib/text/glob.js';
import type { JwtConfig, JwtRole } from './state.js';

/** A login refused: the sentence Vault answers with (HTTP 400). */
export class LoginError extends Error {}

interface Header {
  alg?: string;
  kid?: string;
}
export type Claims = Record<string, unknown>;

function b64json<T>(part: string): T {
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as T;
}

async function keysOf(config: JwtConfig): Promise<Array<{ kid?: string; key: KeyObject }>> {
  const keys: Array<{ kid?: string; key: KeyObject }> = config.jwt_validation_pubkeys.map(
    (pem) => ({
      key: createPublicKey(pem),
    }),
  );
  let jwksUrl = config.jwks_url;
  if (config.oidc_discovery_url) {
    // The simulator never reaches off this machine, whatever a test configures.
    if (!isLoopbackUrl(config.oidc_discovery_url))
      throw new LoginError(
        'error validating token: the simulator fetches OIDC discovery from loopback only; configure jwks_url',
      );
    const base = config.oidc_discovery_url.replace(/\/+$/, '');
    const res = await fetch(`${base}/.well-known/openid-configuration`);
    if (!res.ok) throw new LoginError(`error checking oidc discovery URL: status ${res.status}`);
    const { jwks_uri } = (await res.json()) as { jwks_uri?: unknown };
    jwksUrl = typeof jwks_uri === 'string' ? jwks_uri : '';
  }
  if (jwksUrl) {
    if (!isLoopbackUrl(jwksUrl))
      throw new LoginError('error validating token: jwks_url must be a loopback address here');
    const res = await fetch(jwksUrl);
    if (!res.ok) throw new LoginError(`error fetching jwks: status ${res.status}`);
    const jwks = (await res.json()) as { keys?: Array<JsonWebKey & { kid?: string }> };
    for (const k of jwks.keys ?? [])
      keys.push({ kid: k.kid, key: createPublicKey({ key: k, format: 'jwk' }) });
  }
  return keys;
}

function verifySignature(alg: string, key: KeyObject, signed: string, sig: Buffer): boolean {
  const hash = { RS256: 'RSA-SHA256', ES256: 'SHA256', RS384: 'RSA-SHA384', RS512: 'RSA-SHA512' }[
    alg
  ];
  if (!hash) return false;
  const v = createVerify(hash);
  v.update(signed);
  try {
    return alg === 'ES256'
      ? v.verify({ key, dsaEncoding: 'ieee-p1363' }, sig)
      : key.asymmetricKeyType === 'rsa' && v.verify(key, sig);
  } catch {
    return false;
  }
}

const list = (v: unknown): unknown[] | undefined =>
  Array.isArray(v) ? v : typeof v === 'string' || typeof v === 'boolean' ? [v] : undefined;

/**
 * Validates a JWT for a role as vault-plugin-auth-jwt does (signature, time, audience,
 * issuer, subject, bound claims) and returns its claims. Throws LoginError with Vault's words.
 */
export async function validateJwt(
  jwt: string,
  config: JwtConfig,
  role: JwtRole,
  now = Date.now(),
): Promise<Claims> {
  const parts = jwt.split('.');
  if (parts.length !== 3) throw new LoginError('error validating token: malformed JWT');
  let header: Header;
  let claims: Claims;
  try {
    header = b64json<Header>(parts[0]);
    claims = b64json<Claims>(parts[1]);
  } catch {
    throw new LoginError('error validating token: malformed JWT');
  }
  const alg = header.alg ?? '';
  const keys = await keysOf(config);
  const signed = `${parts[0]}.${parts[1]}`;
  const sig = Buffer.from(parts[2], 'base64url');
  const ok = keys.some(
    (k) =>
      (!header.kid || !k.kid || k.kid === header.kid) && verifySignature(alg, k.key, signed, sig),
  );
  if (!ok)
    throw new LoginError(
      'error validating token: no known key successfully validated the token signature',
    );
  const t = now / 1000;
  const leeway = 150;
  if (typeof claims.exp === 'number' && t > claims.exp + leeway)
    throw new LoginError('error validating claims: validation failed, token is expired (exp)');
  if (typeof claims.nbf === 'number' && t + leeway < claims.nbf)
    throw new LoginError('error validating claims: validation failed, token not valid yet (nbf)');
  const aud = list(claims.aud) ?? [];
  if (aud.length && !role.bound_audiences.length)
    throw new LoginError('audience claim found in JWT but no audiences bound to the role');
  if (config.bound_issuer && claims.iss !== config.bound_issuer)
    throw new LoginError('error validating claims: validation failed, invalid issuer claim (iss)');
  if (role.bound_subject && claims.sub !== role.bound_subject)
    throw new LoginError('sub claim does not match bound subject');
  if (role.bound_audiences.length && !role.bound_audiences.some((a) => aud.includes(a)))
    throw new LoginError(
      'error validating token: invalid audience (aud) claim: audience claim does not match any expected audience',
    );
  for (const [name, expected] of Object.entries(role.bound_claims ?? {})) {
    const actual = list(claims[name]);
    if (claims[name] === undefined)
      throw new LoginError(`error validating claims: claim "${name}" is missing`);
    if (!actual)
      throw new LoginError('error validating claims: received claim is not a string or list');
    const want = list(expected) ?? [];
    const found = want.some((w) =>
      actual.some((a) =>
        role.bound_claims_type === 'glob'
          ? typeof a === 'string' && matchesGlob(a, String(w), 'name')
          : a === w,
      ),
    );
    if (!found)
      throw new LoginError(
        `error validating claims: claim "${name}" does not match any associated bound claim values`,
      );
  }
  if (claims[role.user_claim] === undefined)
    throw new LoginError(`claim "${role.user_claim}" not found in token`);
  return claims;
}
