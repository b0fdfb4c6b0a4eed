/**
 * The plan: what apply will do, as data. `schemas/plan.schema.json` mirrors these types;
 * `pve-gitops plan --json` prints exactly this object.
 */

export type ActionKind =
  'create' | 'update' | 'resize' | 'migrate' | 'remediate' | 'replace' | 'delete' | 'noop';

/** Order in which apply runs one VM's actions. */
export const ACTION_ORDER: ActionKind[] = [
  'delete',
  'replace',
  'create',
  'migrate',
  'update',
  'resize',
  'remediate',
  'noop',
];

export type Scalar = string | number | boolean | null;

/**
 * One changed setting. `hot`: takes effect at once. `reboot`: Proxmox keeps it pending (or
 * the guest only applies it, as with cloud-init) until the VM restarts; pve-gitops never
 * reboots a running VM for a config change, it reports the VM as pending a reboot.
 */
export interface FieldChange {
  field: string;
  from: Scalar;
  to: Scalar;
  mode: 'hot' | 'reboot';
  note?: string;
}

export interface DiskGrowth {
  slot: string;
  storage: string;
  from: string;
  to: string;
}

export type Remedy = 'start' | 'stop' | 'resume' | 'reset' | 'recreate';

export interface PlanAction {
  kind: ActionKind;
  vm: string;
  vmid?: number;
  node: string;
  reason: string;
  /** update, replace: the fields that differ. */
  changes?: FieldChange[];
  /** resize: the disks that grow. */
  disks?: DiskGrowth[];
  /** migrate: source and target node. */
  from?: string;
  to?: string;
  online?: boolean;
  /** remediate: what is done; `escalation` follows when the remedy does not heal the VM. */
  remedy?: Remedy;
  escalation?: 'recreate';
  /** update on a running VM with reboot fields. */
  pendingReboot?: boolean;
  /** create: the VM exists, half-made by an interrupted apply; apply completes it. */
  resume?: boolean;
}

export interface Finding {
  level: 'info' | 'warning';
  vm?: string;
  node?: string;
  message: string;
}

export interface PlanError {
  vm?: string;
  message: string;
}

export interface NodeCapacity {
  node: string;
  status: string;
  /** MiB. */
  memoryTotal: number;
  memoryOvercommit: number;
  /** MiB of memory assigned to VMs that run (or will run) on the node. */
  memoryBefore: number;
  memoryAfter: number;
  vmsBefore: number;
  vmsAfter: number;
}

export interface NewHost {
  name: string;
  vmid?: number;
  node: string;
  ip?: string;
  reason: 'create' | 'replace' | 'recreate';
}

/**
 * The health of one existing VM of the repository. `unhealthy`: off its definition (stopped,
 * paused) or verified hung; `unknown`: nothing could be verified (token rights, node, lock,
 * state, config, agent call), so nothing is remediated.
 */
export interface VmHealth {
  vm: string;
  vmid: number;
  node: string;
  status: 'healthy' | 'unhealthy' | 'unknown';
  /** Why, for unhealthy and unknown. */
  reason?: string;
  /** Unhealthy but not acted on this run, and why (protected, remediation none, the cap). */
  held?: string;
  /** Verified hung (agent silent past the grace, stuck in prelaunch): counts against the cap. */
  hung?: boolean;
}

export interface Plan {
  schemaVersion: 1;
  summary: Record<ActionKind, number>;
  hasChanges: boolean;
  actions: PlanAction[];
  findings: Finding[];
  errors: PlanError[];
  capacity: NodeCapacity[];
  newHosts: NewHost[];
  /** Each existing VM of the repository that was planned, with its health. */
  health: VmHealth[];
  /**
   * Set when more VMs are hung than health.max_unhealthy_percent allows: why none of them is
   * reset or recreated this run.
   */
  remediationHeld?: string;
}
