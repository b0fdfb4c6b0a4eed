/** A cluster described in a fixture file (YAML or JSON); see docs/simulator.md. */
export interface ClusterFixture {
  /**
   * Which major release to answer as: its API schema routes and validates requests and
   * decides the privileges each call needs. Default: the major of `version`, else 9.
   */
  pveVersion?: 8 | 9;
  /** PVE release `GET /version` reports; default 9.1.1 for PVE 9, 8.4.14 for PVE 8. */
  version?: string;
  nodes: NodeFixture[];
  storages: StorageFixture[];
  vms?: VmFixture[];
  /** Simulated durations and windows, in milliseconds before timeScale. */
  timings?: Partial<Timings>;
  /** `pveum` command lines run on a fresh state: users, roles, tokens, ACLs (docs/simulator.md). */
  pveum?: string[];
}

export interface NodeFixture {
  name: string;
  memoryGiB?: number;
  cpus?: number;
  status?: 'online' | 'offline';
  /** Bridge names, or objects with `active: false` for a bridge that is down. */
  bridges?: (string | { iface: string; active?: boolean })[];
}

export interface StorageFixture {
  id: string;
  type: string;
  content: string[] | string;
  shared?: boolean;
  /** Nodes the storage exists on; absent = every node. */
  nodes?: string[];
  totalGiB?: number;
  usedGiB?: number;
  enabled?: boolean;
  active?: boolean;
}

export interface VmFixture {
  vmid: number;
  node: string;
  name: string;
  template?: boolean;
  status?: 'running' | 'stopped' | 'paused';
  /** Extra config keys as PVE stores them (`net0`, `scsi0`, `tags`, ...). */
  config?: Record<string, string | number>;
  /** Disk size in GiB on `storage` (scsi0) when config has no scsi0. */
  diskGiB?: number;
  storage?: string;
  ha?: boolean;
}

/** Durations (ms) per task type and other simulated windows. */
export interface Timings {
  /** Per task type: qmclone (linked), qmclone-full, qmcreate, qmstart, qmstop, qmshutdown, ... */
  tasks: Record<string, number>;
  /** How long a full clone holds the storage lock. */
  fullCloneStorageLock: number;
  /** Time from start until the guest agent answers. */
  agentBoot: number;
  /** A VM younger than this shows status `unknown` and no name in /cluster/resources. */
  statsWindow: number;
  /** A task's status answers 400 for this long after it starts (unscaled). */
  taskStatusRace: number;
  /** Delay before a 401 answer. */
  authFailDelay: number;
}

/** Faults to inject; see docs/simulator.md. */
export interface FaultSpec {
  errors?: ErrorFault[];
  /** Seed of the draws behind `probability` faults: the same seed, the same failures. Default 1. */
  seed?: number;
  /** Nodes whose paths answer 595 and that show offline. */
  offlineNodes?: string[];
  /** Storage locks held by someone else from the moment the faults are set. */
  storageLocks?: { storage: string; node?: string; seconds: number }[];
  /** Serve a different self-signed certificate (as after a node re-install). */
  swapCertificate?: boolean;
  /** VMs (name or vmid) whose guest agent never answers. */
  agentSilent?: (string | number)[];
  /** VMs (name or vmid) that hang at boot: running, agent silent. */
  hangAtBoot?: (string | number)[];
  /**
   * Clones that fail part-way: the task ends `clone failed: …` and the partial VM is removed,
   * as PVE's clone worker does; `leaveLocked` models a killed worker instead, leaving the
   * partial VM with `lock: clone`.
   */
  cloneFailures?: {
    name?: string;
    newid?: number;
    count?: number;
    message?: string;
    leaveLocked?: boolean;
  }[];
}

export interface ErrorFault {
  method?: string;
  /** Glob on the path below /api2/json, `*` = one segment, `**` = any. */
  path: string;
  status?: number;
  message?: string;
  probability?: number;
  count?: number;
}

/** Privileges per ACL path (`/`, `/vms`, `/vms/100`, `/storage/local-lvm`, `/nodes/pve1`). */
export type Privileges = Record<string, string[]>;
