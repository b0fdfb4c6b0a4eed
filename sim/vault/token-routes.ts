import { envelope, id, str, strList, ttlSeconds } from './fields.js';
import type { RouteContext, VaultRequest, VaultResponse } from './route-context.js';
import type { Token } from './state.js';
import { VaultError } from './vault-error.js';

/** `auth/token/…` below `p`; undefined when `p` is not a token endpoint. */
export function tokenRoute(
  ctx: RouteContext,
  req: VaultRequest,
  p: string,
): VaultResponse | undefined {
  if (p === 'token/lookup-self' || (p === 'token/lookup' && !req.body.token)) {
    const t = ctx.tokenOf(req);
    return { status: 200, body: envelope(describeToken(t)) };
  }
  if (p === 'token/revoke-self') {
    const t = ctx.tokenOf(req);
    delete ctx.state.tokens[t.id];
    return ctx.changed({ status: 204 });
  }
  if (p === 'token/create' || p === 'token/create-orphan') {
    const parent = ctx.require(req, 'auth/token/create', 'update');
    const wanted = strList(req.body.policies);
    const policies = wanted.length ? wanted : parent.policies;
    if (
      !parent.policies.includes('root') &&
      policies.some((x) => !parent.policies.includes(x) && x !== 'default')
    )
      throw new VaultError(400, ['child policies must be subset of parent']);
    const t = issueToken(
      ctx,
      policies.includes('root') ? ['root'] : policies,
      ttlSeconds(req.body.ttl),
      'token',
      str(req.body.display_name, 'token'),
    );
    return ctx.changed({ status: 200, body: envelope(null, { auth: authBlock(t) }) });
  }
  return undefined;
}

/** Stores a new token (with `default` unless root); `ttl` 0 = 32 days, or no expiry for root. */
export function issueToken(
  ctx: RouteContext,
  policies: string[],
  ttl: number,
  method: string,
  display: string,
  role?: string,
): Token {
  const t: Token = {
    id: id('hvs.'),
    accessor: id(''),
    policies: policies.includes('root')
      ? ['root']
      : ['default', ...policies.filter((x) => x !== 'default')],
    display_name: display,
    path: method === 'jwt' ? 'auth/jwt/login' : 'auth/token/create',
    meta: role ? { role } : null,
    creation_time: Math.floor(Date.now() / 1000),
    ttl: ttl || (policies.includes('root') ? 0 : 2764800),
    role,
  };
  ctx.state.tokens[t.id] = t;
  return t;
}

/** The `auth` block of a login or token/create answer. */
export function authBlock(t: Token) {
  return {
    client_token: t.id,
    accessor: t.accessor,
    policies: t.policies,
    token_policies: t.policies,
    metadata: t.meta,
    lease_duration: t.ttl,
    renewable: t.ttl > 0,
    entity_id: '',
    token_type: 'service',
    orphan: true,
    num_uses: 0,
  };
}

function describeToken(t: Token) {
  const left = t.ttl ? Math.max(0, t.creation_time + t.ttl - Math.floor(Date.now() / 1000)) : 0;
  return {
    accessor: t.accessor,
    creation_time: t.creation_time,
    creation_ttl: t.ttl,
    display_name: t.display_name,
    entity_id: '',
    expire_time: t.ttl ? new Date((t.creation_time + t.ttl) * 1000).toISOString() : null,
    explicit_max_ttl: 0,
    id: t.id,
    issue_time: new Date(t.creation_time * 1000).toISOString(),
    meta: t.meta,
    num_uses: 0,
    orphan: true,
    path: t.path,
    policies: t.policies,
    renewable: t.ttl > 0,
    ttl: left,
    type: 'service',
  };
}
