import { ApiError } from '../api-error.js';
import type { Cluster } from '../cluster.js';
import { num, taskUser, type HandlerContext, type Handler, type Routes } from '../context.js';
import { lockTimeouts } from '../locks.js';
import type { FinishOp, VmState } from '../state.js';
import { startTask, type TaskContext } from '../tasks.js';
import { disks, memoryMiB } from '../vm-config.js';
import { skiplock } from './root-only.js';

/** Whether the guest agent is enabled in the config (`1` or `enabled=1,...`). */
export function agentEnabled(vm: VmState): boolean {
  const v = String(vm.config.agent ?? '0');
  return /^(1|enabled=1)(,|$)/.test(v);
}

type Action = 'start' | 'stop' | 'shutdown' | 'reboot' | 'reset' | 'suspend' | 'resume';

/** Runs one power action inside a task: checks, duration, and the resulting state. */
async function power(
  c: Cluster,
  vm: VmState,
  action: Action,
  t: TaskContext,
  ctx: HandlerContext,
): Promise<void> {
  const release = await c.lock(`vm:${vm.vmid}`, lockTimeouts.config);
  try {
    if (!num(ctx, 'skiplock')) c.checkConfigLock(vm);
    const running = vm.status === 'running';
    const d = c.state.timings.tasks;
    const set = (status: 'running' | 'stopped', qmpstatus: string): FinishOp => ({
      op: 'power',
      vmid: vm.vmid,
      status,
      qmpstatus,
    });
    if (action === 'start') {
      if (running) throw new ApiError(500, `VM ${vm.vmid} already running`);
      t.log(`generating cloud-init ISO`);
      await t.sleep(d.qmstart ?? 1500);
      t.finish.push(set('running', 'running'));
    } else if (action === 'stop') {
      await t.sleep(running ? (d.qmstop ?? 500) : 0);
      t.finish.push(set('stopped', 'stopped'));
    } else if (action === 'shutdown') {
      if (running && c.named(c.faults.hangAtBoot, vm) && !num(ctx, 'forceStop')) {
        await t.sleep(d.qmshutdown ?? 3000);
        throw new ApiError(500, 'VM quit/powerdown failed - got timeout');
      }
      await t.sleep(running ? (d.qmshutdown ?? 3000) : 0);
      t.finish.push(set('stopped', 'stopped'));
    } else {
      if (!running) throw new ApiError(500, `VM ${vm.vmid} not running`);
      if (action === 'suspend') {
        await t.sleep(d.qmsuspend ?? 300);
        t.finish.push(set('running', 'paused'));
      } else if (action === 'resume') {
        await t.sleep(d.qmresume ?? 300);
        t.finish.push(set('running', 'running'));
      } else {
        // reboot applies pending changes; both restart the guest (and its agent's boot delay)
        await t.sleep(action === 'reboot' ? (d.qmreboot ?? 4000) : (d.qmreset ?? 500));
        if (action === 'reboot') t.finish.push({ op: 'applyPending', vmid: vm.vmid });
        t.finish.push(set('stopped', 'stopped'), set('running', 'running'));
      }
    }
  } finally {
    release();
  }
}

function powerRoute(action: Action): Handler {
  return (ctx) => {
    const c = ctx.cluster;
    const vm = c.vmOn(String(ctx.params.node), Number(ctx.params.vmid));
    skiplock(ctx);
    const ha = vm.ha && (action === 'start' || action === 'stop' || action === 'shutdown');
    const type = ha ? (action === 'start' ? 'hastart' : 'hastop') : `qm${action}`;
    return startTask(
      c,
      { node: vm.node, type, id: String(vm.vmid), user: taskUser(ctx) },
      async (t) => {
        if (ha) t.log(`Requesting HA ${action === 'start' ? 'start' : 'stop'} for VM ${vm.vmid}`);
        await power(c, vm, action, t, ctx);
      },
    );
  };
}

/** The QEMU each major ships: PVE 8.4 pve-qemu-kvm 9.2, PVE 9.1 pve-qemu-kvm 10.1. */
const qemuOf = (version: string) =>
  version.startsWith('8.')
    ? { 'running-machine': 'pc-i440fx-9.2+pve1', 'running-qemu': '9.2.0' }
    : { 'running-machine': 'pc-i440fx-10.1+pve0', 'running-qemu': '10.1.2' };

export const powerRoutes: Routes = {
  'GET /nodes/{node}/qemu/{vmid}/status/current': (ctx) => {
    const c = ctx.cluster;
    const vm = c.vmOn(String(ctx.params.node), Number(ctx.params.vmid));
    const running = vm.status === 'running';
    const mem = memoryMiB(vm.config) * 1024 * 1024;
    return {
      vmid: vm.vmid,
      name: vm.config.name,
      status: vm.status,
      qmpstatus: vm.qmpstatus,
      uptime: running && vm.startedAt ? Math.floor((Date.now() - vm.startedAt) / 1000) : 0,
      cpus: Number(vm.config.cores ?? 1) * Number(vm.config.sockets ?? 1),
      cpu: running ? 0.02 : 0,
      maxmem: mem,
      mem: running ? Math.round(mem * 0.4) : 0,
      maxdisk: disks(vm.config)[0]?.size ?? 0,
      disk: 0,
      netin: 0,
      netout: 0,
      diskread: 0,
      diskwrite: 0,
      ...(running ? { pid: 10000 + vm.vmid, ...qemuOf(c.state.version) } : {}),
      ...(agentEnabled(vm) ? { agent: 1 } : {}),
      ...(vm.config.template ? { template: 1 } : {}),
      ...(vm.config.lock ? { lock: vm.config.lock } : {}),
      ...(vm.config.tags ? { tags: vm.config.tags } : {}),
      ha: vm.ha
        ? { managed: 1, state: running ? 'started' : 'stopped', group: null }
        : { managed: 0 },
    };
  },
  ...Object.fromEntries(
    (['start', 'stop', 'shutdown', 'reboot', 'reset', 'suspend', 'resume'] as const).map((a) => [
      `POST /nodes/{node}/qemu/{vmid}/status/${a}`,
      powerRoute(a),
    ]),
  ),
};
