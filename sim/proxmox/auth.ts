import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { ApiError } from './api-error.js';
import type { Cluster } from './cluster.js';
import { effectivePrivs, type PrivMap } from './permissions.js';

/** Who is calling: a user, maybe through a token, and its effective privileges per path. */
export interface Principal {
  user: string;
  tokenId?: string;
  viaTicket: boolean;
  /** The effective privileges on an ACL path (see permissions.ts). */
  privsAt: (aclPath: string) => PrivMap;
}

const principal = (
  cluster: Cluster,
  user: string,
  tokenId: string | undefined,
  viaTicket: boolean,
): Principal => ({
  user,
  tokenId,
  viaTicket,
  privsAt: (aclPath) => effectivePrivs(cluster.state, tokenId ?? user, aclPath),
});

const sameSecret = (a: string, b: string) =>
  a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

function cookie(headers: IncomingHttpHeaders, name: string): string | undefined {
  for (const part of (headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return undefined;
}

/** Authenticates a request by API token or ticket cookie; throws 401 with PVE's reason. */
export function authenticate(
  cluster: Cluster,
  headers: IncomingHttpHeaders,
  method: string,
): Principal {
  const auth = headers.authorization;
  if (auth?.startsWith('PVEAPIToken=')) {
    const m = /^PVEAPIToken=([^!]+)!([^=\s]+)[=:](\S+)$/.exec(auth.trim());
    if (!m) throw new ApiError(401, 'invalid token value!');
    const id = `${m[1]}!${m[2]}`;
    const token = cluster.state.tokens.find((t) => t.id === id);
    if (!token) throw new ApiError(401, `no such token '${m[2]}' for user '${m[1]}'`);
    if (!sameSecret(token.secret, m[3])) throw new ApiError(401, 'invalid token value!');
    return principal(cluster, m[1], id, false);
  }
  const ticket = cookie(headers, 'PVEAuthCookie');
  if (!ticket) throw new ApiError(401, 'No ticket');
  const entry = cluster.state.tickets[ticket];
  if (!entry) throw new ApiError(401, 'invalid PVE ticket');
  const [user, csrf] = entry.split(' ');
  if (method !== 'GET' && headers.csrfpreventiontoken !== csrf)
    throw new ApiError(401, 'Permission denied - invalid csrf token');
  return principal(cluster, user, undefined, true);
}

/** `POST /access/ticket`: username + password → ticket and CSRF token. */
export function createTicket(cluster: Cluster, username: string, password: string) {
  const user = cluster.state.users.find((u) => u.id === username);
  if (!user || !sameSecret(user.password, password))
    throw new ApiError(401, 'authentication failure');
  const now = Math.floor(Date.now() / 1000)
    .toString(16)
    .toUpperCase();
  const ticket = `PVE:${username}:${now}::${randomBytes(24).toString('base64url')}`;
  const csrf = `${now}:${randomBytes(16).toString('base64url')}`;
  cluster.state.tickets[ticket] = `${username} ${csrf}`;
  cluster.save();
  return { username, ticket, CSRFPreventionToken: csrf, cap: {} };
}

/** Whether the principal holds `priv` on `aclPath` (ACLs propagate down the path). */
export function hasPriv(p: Principal, aclPath: string, priv: string): boolean {
  return p.privsAt(aclPath).has(priv);
}

type Check = unknown[];
const subst = (path: string, params: Record<string, unknown>) =>
  path.replace(/\{(\w+)\}/g, (_, k: string) =>
    String((params[k] as string | number | undefined) ?? ''),
  );

/** Evaluates a schema permission check; returns the failure to report, or undefined. */
function evaluate(p: Principal, c: Check, params: Record<string, unknown>): string | undefined {
  const [kind, ...rest] = c;
  if (kind === 'and') {
    for (const sub of rest) {
      const f = evaluate(p, sub as Check, params);
      if (f) return f;
    }
    return undefined;
  }
  if (kind === 'or') {
    let first: string | undefined;
    for (const sub of rest) {
      const f = evaluate(p, sub as Check, params);
      if (!f) return undefined;
      first ??= f;
    }
    return first;
  }
  if (kind !== 'perm') return undefined;
  const [path, privs, ...opts] = rest as [string, string[], ...unknown[]];
  const req = opts.indexOf('require_param');
  if (req >= 0 && params[opts[req + 1] as string] === undefined) return `(${path}, required)`;
  const any = opts.includes('any');
  const where = subst(path, params);
  const ok = any
    ? privs.some((x) => hasPriv(p, where, x))
    : privs.every((x) => hasPriv(p, where, x));
  return ok
    ? undefined
    : `(${where}, ${any ? privs.join('|') : privs.find((x) => !hasPriv(p, where, x))})`;
}

/** Throws 403 `Permission check failed (/vms/100, VM.Allocate)` when the check fails. */
export function checkPermission(
  p: Principal,
  check: Check | undefined,
  params: Record<string, unknown>,
): void {
  if (!check) return;
  const f = evaluate(p, check, params);
  if (f) throw new ApiError(403, `Permission check failed ${f}`);
}
