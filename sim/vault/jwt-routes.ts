import { envelope, str, strList, ttlSeconds } from './fields.js';
import { LoginError, validateJwt } from './jwt.js';
import type { RouteContext, VaultRequest, VaultResponse } from './route-context.js';
import type { AuthMount, JwtRole } from './state.js';
import { authBlock, issueToken } from './token-routes.js';
import { VaultError } from './vault-error.js';

/** `auth/<mount>/…` below `p` for a JWT auth mount: login, config and roles. */
export function jwtRoute(
  ctx: RouteContext,
  req: VaultRequest,
  p: string,
  m: string,
): Promise<VaultResponse> | VaultResponse {
  const [mountName, ...rest] = p.split('/');
  const am = ctx.state.auth[`${mountName}/`];
  if (!am || am.type !== 'jwt') {
    throw new VaultError(404, [`no handler for route "auth/${p}". route entry not found.`]);
  }
  const sub = rest.join('/');
  if (sub === 'login' && (m === 'POST' || m === 'PUT')) return jwtLogin(ctx, am, req);
  ctx.root(req);
  if (sub === 'config') {
    if (m === 'GET') return { status: 200, body: envelope(am.config ?? {}) };
    am.config = {
      bound_issuer: str(req.body.bound_issuer, ''),
      jwt_validation_pubkeys: strList(req.body.jwt_validation_pubkeys),
      jwks_url: str(req.body.jwks_url, ''),
      jwks_ca_pem: str(req.body.jwks_ca_pem, ''),
      oidc_discovery_url: str(req.body.oidc_discovery_url, ''),
    };
    const sources = [
      am.config.jwks_url,
      am.config.jwt_validation_pubkeys.length,
      am.config.oidc_discovery_url,
    ].filter(Boolean).length;
    if (sources !== 1)
      throw new VaultError(400, [
        "exactly one of 'jwt_validation_pubkeys', 'jwks_url' or 'oidc_discovery_url' must be set",
      ]);
    return ctx.changed({ status: 204 });
  }
  if (sub === 'role' && (m === 'LIST' || m === 'GET'))
    return { status: 200, body: envelope({ keys: Object.keys(am.roles) }) };
  if (sub.startsWith('role/')) {
    const name = sub.slice(5);
    if (m === 'GET') {
      const r = am.roles[name];
      if (!r) throw new VaultError(404, []);
      return { status: 200, body: envelope({ ...r, policies: r.token_policies }) };
    }
    if (m === 'DELETE') {
      delete am.roles[name];
      return ctx.changed({ status: 204 });
    }
    const b = req.body;
    const role: JwtRole = {
      role_type: 'jwt',
      bound_audiences: strList(b.bound_audiences),
      bound_subject: str(b.bound_subject, ''),
      bound_claims: (b.bound_claims as JwtRole['bound_claims']) ?? null,
      bound_claims_type: b.bound_claims_type === 'glob' ? 'glob' : 'string',
      user_claim: str(b.user_claim, ''),
      token_policies: strList(b.token_policies ?? b.policies),
      token_ttl: ttlSeconds(b.token_ttl ?? b.ttl),
    };
    if (b.role_type && b.role_type !== 'jwt')
      throw new VaultError(400, ['invalid \'role_type\': only "jwt" is simulated']);
    if (!role.user_claim) throw new VaultError(400, ['a user claim must be defined on the role']);
    am.roles[name] = role;
    return ctx.changed({ status: 204 });
  }
  throw new VaultError(404, [`no handler for route "auth/${p}". route entry not found.`]);
}

async function jwtLogin(
  ctx: RouteContext,
  am: AuthMount,
  req: VaultRequest,
): Promise<VaultResponse> {
  const roleName = str(req.body.role, '');
  const jwt = str(req.body.jwt, '');
  if (!roleName) throw new VaultError(400, ['missing role']);
  if (!jwt) throw new VaultError(400, ['missing token']);
  const role = am.roles[roleName];
  if (!role) throw new VaultError(400, [`role "${roleName}" could not be found`]);
  if (!am.config) throw new VaultError(400, ['could not load configuration']);
  let claims;
  try {
    claims = await validateJwt(jwt, am.config, role);
  } catch (e) {
    if (e instanceof LoginError) throw new VaultError(400, [e.message]);
    throw e;
  }
  const t = issueToken(
    ctx,
    role.token_policies,
    role.token_ttl,
    'jwt',
    `jwt-${String(claims[role.user_claim])}`,
    roleName,
  );
  return ctx.changed({ status: 200, body: envelope(null, { auth: authBlock(t) }) });
}
