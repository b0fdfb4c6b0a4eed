// The permission model of PVE's pve-access-control, as the simulator applies it:
// src/PVE/AccessControl.pm `roles()` walks the ACL tree from `/` to the path; at each level an
// entry for the token (or user, or else its groups) that propagates — or sits on the path
// itself — replaces what was inherited; NoAccess wins. src/PVE/RPCEnvironment.pm
// `permissions()`: root@pam has everything; a token without privilege separation has its
// user's privileges; a privilege-separated token has the intersection of its own and its
// user's (privileges and propagate flags both intersected).
import { VALID_PRIVILEGES, type PveMajor } from '../../actions/lib/proxmox/privileges.js';
import type { AccessState, ClusterState, TokenState } from './state.js';

/** A privilege → propagate map, as `GET /access/permissions` answers per path. */
export type PrivMap = Map<string, boolean>;

const majorOf = (s: ClusterState): PveMajor => (s.version.startsWith('8.') ? 8 : 9);

/** The built-in roles that the checks here need (pve-access-control `$special_roles` and PVEAuditor). */
export function builtinRoles(major: PveMajor): Record<string, string[]> {
  const all = VALID_PRIVILEGES[major];
  return {
    Administrator: all,
    NoAccess: [],
    PVEAuditor: all.filter((p) =>
      /^(Datastore|Mapping|Pool|SDN|Sys|VM)\.Audit$|^VM\.GuestAgent\.Audit$/.test(p),
    ),
  };
}

export const emptyAccess = (): AccessState => ({ users: [], groups: {}, roles: {}, acl: [] });

/** Path prefixes from `/` down to `path`: `/`, `/vms`, `/vms/100`. */
export function prefixes(path: string): string[] {
  const parts = path.split('/').filter(Boolean);
  return ['/', ...parts.map((_, i) => '/' + parts.slice(0, i + 1).join('/'))];
}

/** Roles (→ propagate) of one user or token on `path`, as AccessControl::roles computes them. */
function rolesAt(a: AccessState, kind: 'user' | 'token', id: string, path: string) {
  let roles = new Map<string, boolean>();
  const chain = prefixes(path);
  chain.forEach((p, i) => {
    const final = i === chain.length - 1;
    const pick = (entries: typeof a.acl) => {
      const m = new Map<string, boolean>();
      for (const e of entries) if (final || e.propagate) m.set(e.role, e.propagate);
      return m.size ? m : undefined;
    };
    const at = a.acl.filter((e) => e.path === p);
    const own = pick(at.filter((e) => e.kind === kind && e.id === id));
    const groups =
      kind === 'user'
        ? pick(at.filter((e) => e.kind === 'group' && (a.groups[e.id] ?? []).includes(id)))
        : undefined;
    roles = own ?? groups ?? roles;
  });
  return roles.has('NoAccess') ? new Map([['NoAccess', roles.get('NoAccess')!]]) : roles;
}

function privsOf(s: ClusterState, roles: Map<string, boolean>): PrivMap {
  const defs = { ...builtinRoles(majorOf(s)), ...s.access?.roles };
  const out: PrivMap = new Map();
  for (const [role, prop] of roles)
    for (const p of defs[role] ?? []) out.set(p, (out.get(p) ?? false) || prop);
  return out;
}

/** Everything, propagating: root@pam's answer. */
const everything = (s: ClusterState): PrivMap =>
  new Map(VALID_PRIVILEGES[majorOf(s)].map((p) => [p, true]));

/** The effective privileges of a user or token id (`user@realm!name`) on `path`. */
export function effectivePrivs(s: ClusterState, authid: string, path: string): PrivMap {
  const [user, tokenName] = authid.split('!');
  if (tokenName === undefined) {
    if (user === 'root@pam') return everything(s);
    if (!(s.access?.users ?? []).includes(user)) return new Map();
    return privsOf(s, rolesAt(s.access!, 'user', user, path));
  }
  const token: TokenState | undefined = s.tokens.find((t) => t.id === authid);
  if (!token) return new Map();
  if (token.privs) return legacyPrivs(s, token.privs, path);
  const userPrivs = effectivePrivs(s, user, path);
  if (!token.privsep) return userPrivs;
  const own = privsOf(s, rolesAt(s.access ?? emptyAccess(), 'token', authid, path));
  const out: PrivMap = new Map();
  for (const [p, prop] of own) if (userPrivs.has(p)) out.set(p, prop && userPrivs.get(p)!);
  return out;
}

/** addToken's direct grants: privilege names (or `X.*`, `Administrator`) per path, propagating. */
function legacyPrivs(s: ClusterState, privs: Record<string, string[]>, path: string): PrivMap {
  const out: PrivMap = new Map();
  const all = VALID_PRIVILEGES[majorOf(s)];
  for (const pre of prefixes(path))
    for (const g of privs[pre] ?? []) {
      if (g === 'Administrator') all.forEach((p) => out.set(p, true));
      else if (g.endsWith('.*'))
        all.filter((p) => p.startsWith(g.slice(0, -1))).forEach((p) => out.set(p, true));
      else out.set(g, true);
    }
  return out;
}

/**
 * `GET /access/permissions` without `path`: RPCEnvironment::get_effective_permissions — the
 * top-level paths and every ACL path, each with the privileges held there (empty ones left out).
 */
export function permissionTree(
  s: ClusterState,
  authid: string,
): Record<string, Record<string, number>> {
  const paths = new Set([
    '/',
    '/access',
    '/access/groups',
    '/nodes',
    '/pool',
    '/sdn',
    '/storage',
    '/vms',
  ]);
  for (const e of s.access?.acl ?? []) paths.add(e.path);
  for (const t of s.tokens) for (const p of Object.keys(t.privs ?? {})) paths.add(p);
  const out: Record<string, Record<string, number>> = {};
  for (const p of paths) {
    const m = effectivePrivs(s, authid, p);
    if (m.size) out[p] = asObject(m);
  }
  return out;
}

/** A PrivMap as PVE's JSON: privilege → 1 (propagates) or 0. */
export const asObject = (m: PrivMap): Record<string, number> =>
  Object.fromEntries([...m].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, v ? 1 : 0]));
