/**
 * What plan knows about the cluster: one read, taken before planning. Plain data so plan
 * stays pure and tests build snapshots by hand.
 */

export interface StorageState {
  id: string;
  /** Content types, e.g. ['images', 'rootdir']. */
  content: string[];
  shared: boolean;
  active: boolean;
  enabled: boolean;
  /** Bytes. Inactive storages report 0. */
  total: number;
  used: number;
  avail: number;
}

export interface NodeState {
  name: string;
  status: 'online' | 'offline' | 'unknown';
  cpus: number;
  /** Bytes of physical memory and bytes in use by the host. */
  memoryTotal: number;
  memoryUsed: number;
  /** Bridges by name; `active` false when the interface is down. */
  bridges: Record<string, { active: boolean }>;
  storages: Record<string, StorageState>;
  /** Why the node's answers cannot be trusted this run (it answered 5xx); status is then unknown. */
  problem?: string;
}

export interface TemplateState {
  vmid: number;
  name: string;
  node: string;
  /** Storages its disks live on, when read (to tell whether other nodes can clone it). */
  storages?: string[];
}

export interface DiskState {
  slot: string;
  storage: string;
  volume: string;
  sizeBytes?: number;
  linked: boolean;
}

/** The parts of `GET .../config` that plan compares. */
export interface VmConfigState {
  cores: number;
  sockets: number;
  /** MiB. */
  memory: number;
  cpu?: string;
  net0?: { model: string; mac?: string; bridge?: string; firewall: boolean; vlan?: number };
  disks: DiskState[];
  ipconfig0?: string;
  nameserver?: string;
  ciuser?: string;
  /** Decoded authorized_keys text. */
  sshkeys?: string;
  tags: string[];
  /** The user part of the description, without pve-gitops' metadata line. */
  description?: string;
  /** From pve-gitops' metadata line: the template the VM was cloned from. */
  template?: string;
  fullClone?: boolean;
  /** From the metadata line: start (epoch s) of the boot in which apply saw the agent answer. */
  agentOk?: number;
  /** From the metadata line: the owner mark the clone call wrote (see description.ts). */
  owner?: string;
  /** From the metadata line: an apply started building this VM and has not finished. */
  building?: boolean;
  onboot: boolean;
  agent: boolean;
  protection: boolean;
  /** Memory hotplug enabled (`hotplug` includes `memory`). */
  memoryHotplug: boolean;
  digest?: string;
}

/**
 * Result of the guest-agent probe: answered; silent (Proxmox says the agent is not running);
 * unknown (the call failed for another reason: 401/403/501, the node, a timeout — nothing is
 * known about the guest); not asked; or `recorded`: not asked because apply saw the agent
 * answer during the VM's current boot.
 */
export type AgentState = 'ok' | 'silent' | 'unknown' | 'not-probed' | 'recorded';

export interface VmState {
  vmid: number;
  name: string;
  node: string;
  /** Status from cluster/resources (running, stopped, paused, unknown…). */
  status: string;
  qmpstatus?: string;
  /** Seconds since start. */
  uptime: number;
  lock?: string;
  tags: string[];
  /** HA state when the VM is HA-managed (started, stopped, …). */
  hastate?: string;
  /** Configured memory in bytes, from cluster/resources. */
  maxmem: number;
  config?: VmConfigState;
  /** Why the config could not be read, when it could not. */
  configError?: string;
  agent: AgentState;
  /** Why the agent is silent or its state unknown, with Proxmox's words. */
  agentDetail?: string;
  /** IPv4 addresses the guest agent reported (loopback excluded). */
  addresses?: string[];
}

export interface ClusterSnapshot {
  nodes: Record<string, NodeState>;
  templates: TemplateState[];
  vms: VmState[];
  /** API requests the read took. */
  requests?: number;
}
