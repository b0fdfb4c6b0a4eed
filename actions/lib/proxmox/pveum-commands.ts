import { rolePrivileges } from './needs.js';
import type { PveMajor } from './privileges.js';

/** The names the documented setup uses. */
export const SETUP = { user: 'gitops@pve', token: 'ci', role: 'PVEGitops' } as const;

/**
 * The `pveum` commands docs/proxmox.md tells a user to type on PVE `major`: user, role (from
 * the privilege table), a privilege-separated token, and the role on `/` for the user and for
 * the token — a privsep token only gets what both hold.
 */
export function setupCommands(
  major: PveMajor,
  s: { user: string; token: string; role: string } = SETUP,
): string[] {
  const id = `${s.user}!${s.token}`;
  return [
    `pveum user add ${s.user}`,
    `pveum role add ${s.role} -privs "${rolePrivileges(major).join(' ')}"`,
    `pveum user token add ${s.user} ${s.token} --privsep 1`,
    `pveum acl modify / --users ${s.user} --roles ${s.role}`,
    `pveum acl modify / --tokens '${id}' --roles ${s.role}`,
  ];
}
