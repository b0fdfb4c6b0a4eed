// `pveum` commands against the simulator's access state, so a test (or a fixture's `pveum:`
// list) sets users, roles, tokens and ACLs up exactly as docs/proxmox.md tells a user to.
// Option handling follows PVE's CLI (Getopt::Long): `-opt` and `--opt` both work, and a
// unique prefix abbreviates a name (`-user` → `--users`, `-role` → `--roles`).
import { randomUUID } from 'node:crypto';
import { VALID_PRIVILEGES } from '../../actions/lib/proxmox/privileges.js';
import { builtinRoles, emptyAccess } from './permissions.js';
import type { ClusterState } from './state.js';

/** A pveum command PVE would refuse; the message is PVE's. */
export class PveumError extends Error {}

/** Splits a command line as a POSIX shell would for plain words and quotes. */
function words(line: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  let cur = '';
  let last = -1;
  for (const m of line.matchAll(re)) {
    const piece = m[1]?.replace(/\\(.)/g, '$1') ?? m[2] ?? m[3];
    if (m.index === last) cur += piece;
    else {
      if (last >= 0) out.push(cur);
      cur = piece;
    }
    last = m.index + m[0].length;
  }
  if (last >= 0) out.push(cur);
  return out;
}

function options(args: string[], names: string[]): { pos: string[]; opt: Record<string, string> } {
  const pos: string[] = [];
  const opt: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const m = /^--?([\w-]+)(?:=(.*))?$/.exec(args[i]);
    if (!m) {
      pos.push(args[i]);
      continue;
    }
    const match = names.filter((n) => n.startsWith(m[1]));
    const name = names.includes(m[1]) ? m[1] : match.length === 1 ? match[0] : undefined;
    if (!name) throw new PveumError(`Unknown option: ${m[1]}`);
    opt[name] = m[2] ?? args[++i] ?? '';
  }
  return { pos, opt };
}

const list = (v: string | undefined) => (v ?? '').split(/[\s,;]+/).filter(Boolean);

/** What a command printed that matters: the secret of a new token. */
export interface PveumResult {
  'full-tokenid'?: string;
  value?: string;
}

/** Runs one `pveum …` line against `state` (mutating it); throws PveumError as PVE refuses. */
export function runPveum(state: ClusterState, line: string): PveumResult {
  const argv = words(line.trim());
  if (argv[0] !== 'pveum') throw new PveumError(`not a pveum command: ${argv[0] ?? ''}`);
  const alias: Record<string, string[]> = {
    useradd: ['user', 'add'],
    roleadd: ['role', 'add'],
    aclmod: ['acl', 'modify'],
    groupadd: ['group', 'add'],
  };
  const [a, ...rest] = argv.slice(1);
  const cmd = alias[a] ? [...alias[a], ...rest] : [a, ...rest];
  const acc = (state.access ??= emptyAccess());
  const major = state.version.startsWith('8.') ? 8 : 9;
  const roles = () => ({ ...builtinRoles(major), ...acc.roles });
  const userExists = (u: string) => u === 'root@pam' || acc.users.includes(u);
  const checkPrivs = (privs: string[]) => {
    for (const p of privs)
      if (!VALID_PRIVILEGES[major].includes(p)) throw new PveumError(`invalid privilege '${p}'`);
    return privs;
  };
  const key = cmd.slice(0, cmd[0] === 'user' && cmd[1] === 'token' ? 3 : 2).join(' ');
  const args = cmd.slice(key.split(' ').length);
  switch (key) {
    case 'user add': {
      const { pos } = options(args, [
        'password',
        'comment',
        'email',
        'groups',
        'enable',
        'expire',
        'firstname',
        'lastname',
      ]);
      if (userExists(pos[0]))
        throw new PveumError(`create user failed: user '${pos[0]}' already exists`);
      acc.users.push(pos[0]);
      return {};
    }
    case 'group add':
      acc.groups[options(args, ['comment']).pos[0]] = [];
      return {};
    case 'user modify': {
      const { pos, opt } = options(args, ['groups', 'append', 'comment', 'enable']);
      for (const g of list(opt.groups)) (acc.groups[g] ??= []).push(pos[0]);
      return {};
    }
    case 'role add':
    case 'role modify': {
      const { pos, opt } = options(args, ['privs', 'append']);
      if (key === 'role add' && roles()[pos[0]])
        throw new PveumError(`role '${pos[0]}' already exists`);
      if (key === 'role modify' && !acc.roles[pos[0]])
        throw new PveumError(`role '${pos[0]}' does not exist`);
      const privs = checkPrivs(list(opt.privs));
      const keep = key === 'role modify' && opt.append === '1' ? acc.roles[pos[0]] : [];
      acc.roles[pos[0]] = [...new Set([...keep, ...privs])];
      return {};
    }
    case 'user token add': {
      const { pos, opt } = options(args, ['privsep', 'comment', 'expire']);
      const [user, name] = pos;
      if (!userExists(user)) throw new PveumError(`no such user ('${user}')`);
      const id = `${user}!${name}`;
      if (state.tokens.some((t) => t.id === id)) throw new PveumError(`Token already exists.`);
      const value = randomUUID();
      // PVE's default is privilege separation on.
      state.tokens.push({ id, secret: value, privsep: opt.privsep !== '0' });
      return { 'full-tokenid': id, value };
    }
    case 'acl modify':
    case 'acl delete': {
      const { pos, opt } = options(args, ['users', 'tokens', 'groups', 'roles', 'propagate']);
      const path = pos[0];
      if (!path?.startsWith('/')) throw new PveumError(`invalid ACL path '${path ?? ''}'`);
      for (const r of list(opt.roles))
        if (!roles()[r]) throw new PveumError(`role '${r}' does not exist`);
      const who = [
        ...list(opt.users).map((id) => ({ kind: 'user' as const, id })),
        ...list(opt.tokens).map((id) => ({ kind: 'token' as const, id })),
        ...list(opt.groups).map((id) => ({ kind: 'group' as const, id })),
      ];
      for (const w of who) {
        if (w.kind === 'user' && !userExists(w.id))
          throw new PveumError(`user '${w.id}' does not exist`);
        if (w.kind === 'token' && !state.tokens.some((t) => t.id === w.id))
          throw new PveumError(
            `no such token '${w.id.split('!')[1]}' for user '${w.id.split('!')[0]}'`,
          );
        for (const role of list(opt.roles)) {
          acc.acl = acc.acl.filter(
            (e) => !(e.path === path && e.kind === w.kind && e.id === w.id && e.role === role),
          );
          if (key === 'acl modify')
            acc.acl.push({ path, ...w, role, propagate: opt.propagate !== '0' });
        }
      }
      return {};
    }
    default:
      throw new PveumError(`unknown command 'pveum ${cmd.slice(0, 3).join(' ')}'`);
  }
}
