import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Privileges, Timings } from './types.js';

export type ConfigValue = string | number;

export interface VmState {
  vmid: number;
  node: string;
  config: Record<string, ConfigValue>;
  /** Changes waiting for the next boot (running VM, not hot-pluggable). */
  pending: Record<string, ConfigValue>;
  pendingDelete: string[];
  status: 'running' | 'stopped';
  /** QMP status: running, paused, prelaunch, stopped. */
  qmpstatus: string;
  /** Wall-clock ms when the VM was started / created. */
  startedAt?: number;
  createdAt: number;
  ha?: boolean;
  /** Snapshots by name: the config when taken; `parent` names the one before. */
  snapshots?: Record<string, SnapshotState>;
  /** The snapshot the current state builds on. */
  parent?: string;
  /** Sizes (bytes) of the VM's volumes that no drive carries now (`unusedN`). */
  volumeSizes?: Record<string, number>;
  /** Files written into the guest through the agent (path → content). */
  guestFiles?: Record<string, string>;
  /** The guest's SSH host key, made at first boot (or first read); lost with the VM. */
  hostKey?: { privateKey: string; publicKey: string };
}

export interface SnapshotState {
  config: Record<string, ConfigValue>;
  snaptime: number;
  description: string;
  vmstate: number;
  parent?: string;
}

export interface NodeState {
  name: string;
  memory: number;
  cpus: number;
  status: 'online' | 'offline';
  bridges: { iface: string; active: boolean }[];
}

export interface StorageState {
  id: string;
  type: string;
  content: string[];
  shared: boolean;
  nodes?: string[];
  total: number;
  used: number;
  enabled: boolean;
  active: boolean;
}

/** What a finished task does to the cluster; data, so a reload can finish it instantly. */
export type FinishOp =
  | { op: 'unlock'; vmid: number }
  | { op: 'power'; vmid: number; status: 'running' | 'stopped'; qmpstatus: string }
  | { op: 'delete'; vmid: number }
  | { op: 'applyPending'; vmid: number }
  | { op: 'move'; vmid: number; node: string }
  | { op: 'config'; vmid: number; values: Record<string, ConfigValue> };

export interface TaskState {
  upid: string;
  node: string;
  type: string;
  id: string;
  user: string;
  /** Start, epoch ms. */
  start: number;
  status: 'running' | 'stopped';
  exitstatus?: string;
  log: string[];
  finish: FinishOp[];
}

export interface TokenState {
  id: string;
  secret: string;
  /**
   * Legacy shortcut (addToken): the token's effective privileges per path, whatever its
   * user has. Absent = the ACL model below decides.
   */
  privs?: Privileges;
  /** Privilege separation: effective rights = the token's ACLs ∩ its user's. Absent = off. */
  privsep?: boolean;
}

/** One ACL entry as `pveum acl modify PATH --users|--tokens|--groups X --roles R` makes it. */
export interface AclEntry {
  path: string;
  kind: 'user' | 'token' | 'group';
  id: string;
  role: string;
  propagate: boolean;
}

/** users, groups, roles and ACLs as /etc/pve/user.cfg holds them (root@pam is implicit). */
export interface AccessState {
  users: string[];
  groups: Record<string, string[]>;
  /** Custom roles; the built-in ones (Administrator, NoAccess, PVEAuditor) are implied. */
  roles: Record<string, string[]>;
  acl: AclEntry[];
}

export interface ExecState {
  pid: number;
  vmid: number;
  command: string[];
  start: number;
  exitcode: number;
  outData: string;
  errData?: string;
  /** Still running in a real guest (its host); exec-status answers `exited: 0` meanwhile. */
  running?: boolean;
}

/** The whole simulated cluster, JSON-serialisable. */
export interface ClusterState {
  version: string;
  nodes: NodeState[];
  storages: StorageState[];
  vms: Record<string, VmState>;
  tasks: Record<string, TaskState>;
  timings: Timings;
  tokens: TokenState[];
  users: { id: string; password: string }[];
  /** Users, roles and ACLs; absent = only root@pam and its full-rights token. */
  access?: AccessState;
  tickets: Record<string, string>;
  pid: number;
  mutations: number;
  execs: Record<string, ExecState>;
}

const stateFile = (dir: string) => path.join(dir, 'cluster.json');

/** Reads the state kept in `dir`, if any. */
export function readState(dir: string): ClusterState | undefined {
  const f = stateFile(dir);
  if (!existsSync(f)) return undefined;
  try {
    return JSON.parse(readFileSync(f, 'utf8')) as ClusterState;
  } catch (err) {
    throw new Error(`The simulator state file ${f} is not valid JSON; remove it to start afresh.`, {
      cause: err,
    });
  }
}

/** Writes the state atomically (temporary file + rename), mode 0600: it holds token secrets. */
export function writeState(dir: string, state: ClusterState): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const f = stateFile(dir);
  const tmp = `${f}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(state), { mode: 0o600 });
  renameSync(tmp, f);
}
