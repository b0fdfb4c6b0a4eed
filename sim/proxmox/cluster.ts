import { ApiError, fail } from './api-error.js';
import { LockTable, lockTimeoutMessage } from './locks.js';
import { writeState, type ClusterState, type FinishOp, type VmState } from './state.js';
import { generateHostKey, type HostKeyPair } from './host-key.js';
import type { FaultSpec } from './types.js';

const maxTasks = 1000;

/** What a program run in a VM's stand-in guest ended with. */
export interface GuestRun {
  exitcode: number;
  out: string;
  err: string;
}

/** Runs argv in a VM's stand-in guest (its simulated host, where one runs). */
export type GuestRunner = (argv: string[], input?: string) => Promise<GuestRun>;

/**
 * The simulated cluster: its state, locks and faults, plus helpers the handlers share. Tests
 * reach it as `sim.cluster` to set up or assert (`cluster.vm(100)`, `cluster.setQmpStatus`).
 */
export class Cluster {
  readonly locks: LockTable;
  faults: FaultSpec = {};
  private readonly inflight = new Set<Promise<void>>();
  /**
   * Guests that really run programs, by VMID: the host watcher registers each running VM's
   * sshd host, and the guest agent's exec runs there instead of in the built-in stand-in.
   */
  readonly guests = new Map<number, GuestRunner>();
  /** Set by stop(): later task completions are neither applied nor saved. */
  stopped = false;

  constructor(
    public state: ClusterState,
    readonly scale: number,
    private readonly stateDir?: string,
  ) {
    this.locks = new LockTable(scale);
  }

  /** Persists the state (when a state dir is set) and counts the mutation. */
  save(): void {
    if (this.stopped) return;
    this.state.mutations++;
    if (this.stateDir) writeState(this.stateDir, this.state);
  }

  /** Keeps a task body's promise so `settle()` can wait for it. */
  track(p: Promise<void>): void {
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
  }

  /** Saves a last time and freezes the state. */
  stop(): void {
    this.save();
    this.stopped = true;
  }

  /** Waits for running task bodies. */
  async settle(): Promise<void> {
    await Promise.allSettled([...this.inflight]);
  }

  /** Drops the oldest finished tasks beyond a bound, as PVE rotates its task index. */
  pruneTasks(): void {
    const ids = Object.keys(this.state.tasks);
    if (ids.length <= maxTasks) return;
    for (const id of ids.slice(0, ids.length - maxTasks))
      if (this.state.tasks[id].status === 'stopped') delete this.state.tasks[id];
  }

  vm(vmid: number | string): VmState | undefined {
    return this.state.vms[String(vmid)];
  }

  vms(): VmState[] {
    return Object.values(this.state.vms).sort((a, b) => a.vmid - b.vmid);
  }

  /** The VM on `node`, or PVE's 500 for a missing config file. */
  vmOn(node: string, vmid: number): VmState {
    const vm = this.vm(vmid);
    if (!vm || vm.node !== node)
      fail(`Configuration file 'nodes/${node}/qemu-server/${vmid}.conf' does not exist`);
    return vm;
  }

  /** Throws `VM is locked (clone)` when the config carries a lock. */
  checkConfigLock(vm: VmState): void {
    if (vm.config.lock) fail(`VM is locked (${vm.config.lock})`);
  }

  /** Takes a lock or throws PVE's timeout message (prefixed for task errors). */
  async lock(
    key: string,
    timeoutSec: number,
    opts: { shared?: boolean; prefix?: string } = {},
  ): Promise<() => void> {
    try {
      return await this.locks.acquire(key, timeoutSec, opts.shared);
    } catch {
      throw new ApiError(500, `${opts.prefix ?? ''}${lockTimeoutMessage(key)}`);
    }
  }

  /** Lock key of a storage as seen from `node`: local storages lock per node. */
  storageKey(id: string, node: string): string {
    const s = this.state.storages.find((x) => x.id === id);
    return s?.shared ? `storage:${id}` : `storage:${id}:${node}`;
  }

  /** Whether a fault list (names or vmids) names this VM. */
  named(list: (string | number)[] | undefined, vm: VmState): boolean {
    return !!list?.some((x) => String(x) === String(vm.vmid) || x === vm.config.name);
  }

  /** Applies a task's finish operations. */
  applyOps(ops: FinishOp[]): void {
    for (const o of ops) {
      const vm = this.vm(o.vmid);
      if (o.op === 'delete') {
        delete this.state.vms[String(o.vmid)];
        continue;
      }
      if (!vm) continue;
      if (o.op === 'unlock') delete vm.config.lock;
      else if (o.op === 'move') vm.node = o.node;
      else if (o.op === 'config') Object.assign(vm.config, o.values);
      else if (o.op === 'applyPending') {
        Object.assign(vm.config, vm.pending);
        for (const k of vm.pendingDelete) delete vm.config[k];
        vm.pending = {};
        vm.pendingDelete = [];
      } else if (o.op === 'power') {
        if (o.status === 'running' && vm.status !== 'running') vm.startedAt = Date.now();
        vm.status = o.status;
        vm.qmpstatus = o.qmpstatus;
        if (o.status === 'stopped') {
          vm.startedAt = undefined;
          this.applyOps([{ op: 'applyPending', vmid: vm.vmid }]);
        }
      }
    }
  }

  /** Finishes tasks that were running when the previous simulator stopped. */
  finishInterrupted(): void {
    for (const t of Object.values(this.state.tasks)) {
      if (t.status !== 'running') continue;
      this.applyOps(t.finish);
      t.log.push('TASK OK');
      t.exitstatus = 'OK';
      t.status = 'stopped';
    }
  }

  /**
   * The VM's SSH host key pair (what its sshd serves and the guest agent's file-read returns),
   * made on first use like cloud-init's first boot. Tests and the demo give the private key
   * to the VM's simulated sshd host.
   */
  hostKeyOf(vmid: number): HostKeyPair {
    const vm = this.vm(vmid);
    if (!vm) throw new Error(`No VM ${vmid} in the simulator`);
    if (!vm.hostKey) {
      vm.hostKey = generateHostKey(`root@${String(vm.config.name ?? `vm${vmid}`)}`);
      // The guest wrote it, not an API call: saved, but not counted as a mutation.
      if (this.stateDir && !this.stopped) writeState(this.stateDir, this.state);
    }
    return vm.hostKey;
  }

  /** Test helper: sets the QMP status (`paused`, `prelaunch`, `running`, `stopped`). */
  setQmpStatus(vmid: number, qmpstatus: string): void {
    const vm = this.vm(vmid);
    if (!vm) throw new Error(`No VM ${vmid} in the simulator`);
    vm.qmpstatus = qmpstatus;
    vm.status = qmpstatus === 'stopped' ? 'stopped' : 'running';
    if (vm.status === 'running') vm.startedAt ??= Date.now();
    this.save();
  }

  /** Test helper: marks a VM HA-managed (power calls become hastart/hastop tasks). */
  setHa(vmid: number, ha: boolean): void {
    const vm = this.vm(vmid);
    if (!vm) throw new Error(`No VM ${vmid} in the simulator`);
    vm.ha = ha;
    this.save();
  }

  /** Test helper: moves a VM to another node as HA would. */
  moveVm(vmid: number, node: string): void {
    this.applyOps([{ op: 'move', vmid, node }]);
    this.save();
  }
}
