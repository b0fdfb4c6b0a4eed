import { createPublicKey, createVerify, type JsonWebKey, type KeyObject } from 'node:crypto';
import { isLoopbackUrl } from '../../actions/lib/net/loopback.js';
import { matchesGlob } from '../../actions/lib/text/glob.js';
import type { JwtConfig, JwtRole } from './state.js';

/** cap's jwt.DefaultLeeway: the clock skew allowed on exp, nbf and iat when a role sets none. */
export const clockSkewLeeway = 60;

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
  // Wording and order of hashicorp/cap jwt.Validator.Validate, wrapped by the plugin's
  // path_login.go as `error validating token: …`.
  const bad = (why: string) => new LoginError(`error validating token: ${why}`);
  const parts = jwt.split('.');
  if (parts.length !== 3)
    throw bad('error parsing token: go-jose/go-jose: compact JWS format must have three parts');
  let header: Header;
  let claims: Claims;
  try {
    header = b64json<Header>(parts[0]);
    claims = b64json<Claims>(parts[1]);
  } catch {
    throw bad('error parsing token: go-jose/go-jose: invalid character in JWS payload');
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
    throw bad(
      'error verifying token signature: no known key successfully validated the token signature',
    );
  if (config.bound_issuer && claims.iss !== config.bound_issuer)
    throw bad('invalid issuer (iss) claim');
  if (role.bound_subject && claims.sub !== role.bound_subject)
    throw bad('invalid subject (sub) claim');
  const aud = list(claims.aud) ?? [];
  if (role.bound_audiences.length && !role.bound_audiences.some((a) => aud.includes(a)))
    throw bad('invalid audience (aud) claim: audience claim does not match any expected audience');
  // Time claims get the role's clock_skew_leeway, 60 s by default (cap jwt.DefaultLeeway);
  // expiration_leeway (150 s) only derives a missing exp.
  const t = now / 1000;
  const skew = clockSkewLeeway;
  if (typeof claims.nbf === 'number' && t + skew < claims.nbf)
    throw bad('invalid not before (nbf) claim: token not yet valid');
  if (typeof claims.exp === 'number' && t - skew > claims.exp)
    throw bad('invalid expiration time (exp) claim: token is expired');
  if (typeof claims.iat === 'number' && t + skew < claims.iat)
    throw bad('invalid issued at (iat) claim: token issued in the future');
  if (aud.length && !role.bound_audiences.length)
    throw new LoginError('audience claim found in JWT but no audiences bound to the role');
  if (claims[role.user_claim] === undefined)
    throw new LoginError(`claim "${role.user_claim}" not found in token`);
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
  return claims;
}
