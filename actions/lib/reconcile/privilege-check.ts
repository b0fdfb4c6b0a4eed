import { ConfigurationError } from '../errors.js';
import type { ProxmoxClient } from '../proxmox/client.js';
import { rolePrivileges, type Requirement } from '../proxmox/needs.js';
import type { PveMajor } from '../proxmox/privileges.js';

/** `GET /access/permissions` without a path: path → privilege → 1 when it propagates. */
export type PermissionTree = Record<string, Record<string, number>>;

/** The role name docs/proxmox.md creates. */
export const ROLE = 'PVEGitops';

/**
 * The privileges held on `path`, from the tree of every ACL path: PVE lists each path that
 * carries an ACL, so an unlisted path inherits what its deepest listed ancestor propagates.
 * (A path whose ACL leaves nothing — NoAccess — is not listed; a call there still gets 403.)
 */
export function privilegesAt(tree: PermissionTree, path: string): Set<string> {
  if (tree[path]) return new Set(Object.keys(tree[path]));
  const parts = path.split('/').filter(Boolean);
  for (let i = parts.length - 1; i >= 0; i--) {
    const up = i === 0 ? '/' : `/${parts.slice(0, i).join('/')}`;
    const at = tree[up];
    if (at) return new Set(Object.keys(at).filter((p) => at[p] === 1));
  }
  return new Set();
}

/** The requirements `tree` does not meet. */
export function unmet(tree: PermissionTree, reqs: Requirement[]): Requirement[] {
  return reqs.filter((r) => {
    const held = privilegesAt(tree, r.path);
    return r.any ? !r.privs.some((p) => held.has(p)) : !r.privs.every((p) => held.has(p));
  });
}

/** What is missing of one requirement, as a privilege name (`A` or `A or B`). */
export function missingName(r: Requirement, tree: PermissionTree): string {
  const held = privilegesAt(tree, r.path);
  return r.any ? r.privs.join(' or ') : r.privs.filter((p) => !held.has(p)).join(', ');
}

/** One missing privilege (or choice of privileges), with every path it is missing on. */
export interface MissingPrivilege {
  /** `A`, or `A or B` when either will do. */
  privilege: string;
  /** The one to add: of a choice, the one the documented role has. */
  grant: string;
  paths: string[];
  vms: string[];
  /** The first reason, without the VM. */
  why: string;
}

/** The unmet requirements grouped by privilege, in the order they were first needed. */
export function missingPrivileges(
  major: PveMajor,
  tree: PermissionTree,
  reqs: Requirement[],
): MissingPrivilege[] {
  const role = rolePrivileges(major);
  const out = new Map<string, MissingPrivilege>();
  for (const r of unmet(tree, reqs)) {
    const privilege = missingName(r, tree);
    const [, why = r.why, vm] = /^(.*) \(VM ([^)]+)\)$/.exec(r.why) ?? [];
    const m = out.get(privilege) ?? {
      privilege,
      grant: r.any
        ? (r.privs.find((p) => role.includes(p)) ?? r.privs[0])
        : privilege.split(', ')[0],
      paths: [],
      vms: [],
      why,
    };
    if (!m.paths.includes(r.path)) m.paths.push(r.path);
    if (vm && !m.vms.includes(vm)) m.vms.push(vm);
    out.set(privilege, m);
  }
  return [...out.values()];
}

/** The pveum command that adds a missing privilege to the documented role. */
export const grantCommand = (m: MissingPrivilege): string =>
  `pveum role modify ${ROLE} --append 1 --privs "${m.grant}"`;

/** One sentence for a missing privilege: where, for which VMs, and the command. */
export function missingSentence(m: MissingPrivilege, tokenId: string): string {
  const shown = m.paths.slice(0, 3);
  const more = m.paths.length - shown.length;
  const where =
    more > 0
      ? `${shown.join(', ')} and ${more} more path${more > 1 ? 's' : ''}`
      : shown.length > 1
        ? `${shown.slice(0, -1).join(', ')} and ${shown.at(-1)}`
        : shown[0];
  const vms = m.vms.length ? ` (VM${m.vms.length > 1 ? 's' : ''} ${m.vms.join(', ')})` : '';
  const it =
    m.paths.length > 1 ? 'those paths or a path above them' : `${m.paths[0]} or a path above it`;
  return (
    `The token ${tokenId} lacks privilege ${m.privilege} on ${where}${vms}, needed ${m.why}; ` +
    `add it to the role with \`${grantCommand(m)}\` and keep both ACLs (user and token) on ${it}.`
  );
}

/** The sentence when a token holds nothing at all: almost always a privsep token whose user has no ACL. */
export function noRightsSentence(tokenId: string): string {
  const user = tokenId.split('!')[0];
  return (
    `The token ${tokenId} has no effective rights: a token with privilege separation gets only ` +
    `what its user ${user} also has, and ${user} has none; grant the role to the user too: ` +
    `\`pveum acl modify / --users ${user} --roles ${ROLE}\`.`
  );
}

/** Reads the caller's permission tree and refuses to go on when it is empty. */
export async function readPermissions(
  client: ProxmoxClient,
  tokenId: string,
): Promise<PermissionTree> {
  const tree = await client.permissions();
  if (Object.keys(tree).length === 0) throw new ConfigurationError(noRightsSentence(tokenId));
  return tree;
}

/** The major release from `GET /version`'s version string. */
export const majorOf = (version: string): PveMajor => (version.startsWith('8.') ? 8 : 9);
