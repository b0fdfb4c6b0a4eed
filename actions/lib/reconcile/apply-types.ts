// The inputs and results of apply, shared by the library, the CLI and the actions.
import type { RepoConfig } from '../config/types.js';
import type { Logger } from '../log.js';
import type { ProxmoxClient } from '../proxmox/client.js';
import type { VmSpec } from '../vm/types.js';
import type { Progress } from '../progress.js';
import type { Plan } from './plan-types.js';

export interface ReconcileOptions {
  dryRun?: boolean;
  only?: string[];
  recreate?: string[];
  reprovisionNode?: string;
  /** Overrides config prune.enabled when true. */
  prune?: boolean;
  /** Longest wait for a guest agent after a start or reset; default health.boot_grace_seconds. */
  agentWaitMs?: number;
  /** Deletes confirmed for this run beyond prune.max_deletes (--allow-deletes N). */
  allowDeletes?: number;
  /** Aborted on SIGINT/SIGTERM: no new VM and no new step starts; running tasks finish. */
  signal?: AbortSignal;
}

/** What apply reads from a repository: its config, its VMs and the names `exclude` skipped. */
export interface RepoInput {
  config: RepoConfig;
  vms: VmSpec[];
  /** VMs whose files are excluded: not managed, never pruned. */
  excluded?: string[];
}

export interface ApplyDeps {
  client: ProxmoxClient;
  log: Logger;
  env: NodeJS.ProcessEnv;
  /** Shows each VM's steps as they start and end (a live view on a terminal). */
  progress?: Progress;
}

/** A VM that is new (created or recreated): inventory and provisioning take these. */
export interface NewHostResult {
  name: string;
  vmid: number;
  node: string;
  ip?: string;
  new: true;
}

export interface ApplyResult {
  plan: Plan;
  dryRun: boolean;
  /** One line per VM acted on, with its steps and time. */
  done: Array<{ vm: string; actions: string[]; seconds: number; byAnotherRun?: true }>;
  failed: Array<{
    vm: string;
    error: string;
    rolledBack: boolean;
    /** The VM was being built but never came to exist (its clone was refused): nothing to undo. */
    nothingCreated?: true;
    /** A partial VM a killed task left locked, and what the user must run on its node. */
    leftover?: { vmid: number; node: string; run: string };
  }>;
  newHosts: NewHostResult[];
  /** Running VMs whose changed settings wait for a reboot. */
  pendingReboot: string[];
  /**
   * Unhealthy VMs left as they are this run, and why: still hung after a reset once
   * health.max_recreate VMs were recreated, or all hung VMs when the plan's
   * `remediationHeld` says too many are hung at once.
   */
  held: Array<{ vm: string; reason: string }>;
  /** Set when apply was interrupted: VMs stopped between two steps and VMs never started. */
  interrupted?: { stopped: string[]; notStarted: string[] };
  /** The last line printed: what happened, in one sentence. */
  message: string;
}
