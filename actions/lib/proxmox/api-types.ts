/**
 * Shapes of the answers the client reads, as PVE 8 and 9 send them (only the fields the
 * project uses are typed; the rest stay reachable through the index signatures).
 */

export interface VersionInfo {
  version: string;
  release: string;
  repoid: string;
  [key: string]: unknown;
}

export type ResourceType = 'vm' | 'storage' | 'node' | 'sdn';

export interface ClusterResource {
  /** "qemu/100", "node/pve1", "storage/pve1/local-lvm". */
  id: string;
  /** qemu, lxc, node, storage, pool, sdn, … */
  type: string;
  node?: string;
  vmid?: number;
  name?: string;
  /** QMP status for guests (running, stopped, paused, unknown while stats refresh). */
  status?: string;
  template?: 0 | 1;
  maxcpu?: number;
  maxmem?: number;
  maxdisk?: number;
  lock?: string;
  tags?: string;
  pool?: string;
  hastate?: string;
  storage?: string;
  shared?: 0 | 1;
  [key: string]: unknown;
}

export interface NodeInfo {
  node: string;
  status: 'online' | 'offline' | 'unknown';
  cpu?: number;
  maxcpu?: number;
  mem?: number;
  maxmem?: number;
  ssl_fingerprint?: string;
  [key: string]: unknown;
}

export interface NodeStatus {
  memory: { total: number; used: number; free: number };
  cpuinfo: { cpus: number; [key: string]: unknown };
  pveversion?: string;
  [key: string]: unknown;
}

export interface NetworkInterface {
  iface: string;
  type: string;
  /** 1 when up; absent when down. */
  active?: 0 | 1;
  [key: string]: unknown;
}

export interface StorageStatus {
  storage: string;
  type: string;
  /** Comma list, unordered: "images,rootdir". */
  content: string;
  shared?: 0 | 1;
  active?: 0 | 1;
  enabled?: 0 | 1;
  total?: number;
  used?: number;
  avail?: number;
  [key: string]: unknown;
}

export interface QemuListEntry {
  vmid: number;
  status: string;
  name?: string;
  template?: 0 | 1;
  lock?: string;
  tags?: string;
  [key: string]: unknown;
}

/** A VM config as GET .../config returns it: every key, plus `digest`. */
export interface VmConfig {
  digest?: string;
  name?: string;
  /** `;`-joined, lower-cased, sorted. */
  tags?: string;
  lock?: string;
  template?: 0 | 1;
  memory?: string | number;
  cores?: number;
  sockets?: number;
  [key: string]: string | number | undefined;
}

export interface VmCurrentStatus {
  status: 'running' | 'stopped';
  /** running, paused, prelaunch, … */
  qmpstatus?: string;
  vmid?: number;
  name?: string;
  lock?: string;
  /** 1 = configured, not necessarily running in the guest. */
  agent?: 0 | 1;
  uptime?: number;
  ha?: { managed: 0 | 1; [key: string]: unknown };
  [key: string]: unknown;
}

export interface PendingEntry {
  key: string;
  value?: string | number;
  pending?: string | number;
  delete?: 0 | 1 | 2;
}

export interface GuestIpAddress {
  'ip-address': string;
  'ip-address-type': 'ipv4' | 'ipv6';
  prefix: number;
}

export interface GuestInterface {
  name: string;
  'hardware-address'?: string;
  'ip-addresses'?: GuestIpAddress[];
  [key: string]: unknown;
}

export interface AgentExecStatus {
  exited: 0 | 1 | boolean;
  exitcode?: number;
  'out-data'?: string;
  'err-data'?: string;
  signal?: number;
  [key: string]: unknown;
}

/** Parameters of a clone (POST /nodes/{node}/qemu/{vmid}/clone). */
export interface CloneParams {
  newid: number;
  name?: string;
  full?: boolean;
  storage?: string;
  target?: string;
  pool?: string;
  description?: string;
  format?: 'raw' | 'qcow2' | 'vmdk';
}

/** Parses the `;`-joined tag list of a config or resource. */
export function parseTags(tags: string | undefined): string[] {
  return (tags ?? '')
    .split(/[;, ]+/)
    .map((t) => t.trim().toLowerCase())
    .filter(Boolean);
}
