// VM snapshots as qemu-server serves them (src/PVE/API2/Qemu.pm snapshot_list, snapshot,
// delsnapshot, rollback; the checks of pve-guest-common's AbstractConfig snapshot_*): every
// change is a worker task, and a disk on a storage without snapshots ends it.
import { fail } from '../api-error.js';
import type { Cluster } from '../cluster.js';
import { num, str, taskUser, type HandlerContext, type Routes } from '../context.js';
import { lockTimeouts } from '../locks.js';
import type { VmState } from '../state.js';
import { startTask } from '../tasks.js';
import { digestOf, disks } from '../vm-config.js';

/** Storage types whose volumes PVE can snapshot (thick LVM and plain iSCSI cannot). */
const snapshotCapable = new Set(['lvmthin', 'zfspool', 'rbd', 'dir', 'nfs', 'cifs', 'btrfs']);

const vmOf = (ctx: HandlerContext) =>
  ctx.cluster.vmOn(String(ctx.params.node), Number(ctx.params.vmid));

function snapshotOf(vm: VmState, name: string) {
  const s = vm.snapshots?.[name];
  if (!s) fail(`snapshot '${name}' does not exist`);
  return s;
}

/** Runs `body` as a task of `type` under the VM's config lock. */
function snapTask(ctx: HandlerContext, type: string, body: (c: Cluster, vm: VmState) => void) {
  const c = ctx.cluster;
  const vm = vmOf(ctx);
  return startTask(
    c,
    { node: vm.node, type, id: String(vm.vmid), user: taskUser(ctx) },
    async (t) => {
      const release = await c.lock(`vm:${vm.vmid}`, lockTimeouts.config);
      try {
        await t.sleep(c.state.timings.tasks[type] ?? 300);
        body(c, vm);
        c.save();
      } finally {
        release();
      }
    },
  );
}

export const snapshotRoutes: Routes = {
  'GET /nodes/{node}/qemu/{vmid}/snapshot': (ctx) => {
    const vm = vmOf(ctx);
    return [
      ...Object.entries(vm.snapshots ?? {}).map(([name, s]) => ({
        name,
        snaptime: s.snaptime,
        vmstate: s.vmstate,
        description: s.description,
        ...(s.parent ? { parent: s.parent } : {}),
      })),
      {
        name: 'current',
        digest: digestOf(vm),
        running: vm.status === 'running' ? 1 : 0,
        description: 'You are here!',
        ...(vm.parent ? { parent: vm.parent } : {}),
      },
    ];
  },

  'POST /nodes/{node}/qemu/{vmid}/snapshot': (ctx) => {
    const name = String(ctx.params.snapname);
    if (name === 'current') fail(`unable to use snapshot name 'current' (reserved name)`);
    if (name.toLowerCase() === 'pending')
      fail(`unable to use snapshot name 'pending' (reserved name)`);
    vmOf(ctx);
    return snapTask(ctx, 'qmsnapshot', (c, vm) => {
      c.checkConfigLock(vm);
      if (vm.snapshots?.[name]) fail(`snapshot name '${name}' already used`);
      for (const d of disks(vm.config)) {
        const type = c.state.storages.find((s) => s.id === d.storage)?.type ?? '';
        if (!snapshotCapable.has(type)) fail('snapshot feature is not available');
      }
      vm.snapshots = {
        ...vm.snapshots,
        [name]: {
          config: { ...vm.config },
          snaptime: Math.floor(Date.now() / 1000),
          description: str(ctx, 'description') ?? '',
          vmstate: num(ctx, 'vmstate') && vm.status === 'running' ? 1 : 0,
          ...(vm.parent ? { parent: vm.parent } : {}),
        },
      };
      vm.parent = name;
    });
  },

  'GET /nodes/{node}/qemu/{vmid}/snapshot/{snapname}': (ctx) => {
    snapshotOf(vmOf(ctx), String(ctx.params.snapname));
    return [{ rel: 'config' }, { rel: 'rollback' }];
  },

  'DELETE /nodes/{node}/qemu/{vmid}/snapshot/{snapname}': (ctx) => {
    const name = String(ctx.params.snapname);
    vmOf(ctx);
    return snapTask(ctx, 'qmdelsnapshot', (_c, vm) => {
      const gone = snapshotOf(vm, name);
      const snaps = { ...vm.snapshots };
      delete snaps[name];
      // Children of the deleted snapshot (and the current state) now build on its parent.
      for (const s of Object.values(snaps)) if (s.parent === name) s.parent = gone.parent;
      if (vm.parent === name) vm.parent = gone.parent;
      vm.snapshots = snaps;
    });
  },

  'POST /nodes/{node}/qemu/{vmid}/snapshot/{snapname}/rollback': (ctx) => {
    const name = String(ctx.params.snapname);
    vmOf(ctx);
    return snapTask(ctx, 'qmrollback', (c, vm) => {
      c.checkConfigLock(vm);
      const snap = snapshotOf(vm, name);
      // Without a saved RAM state the VM is stopped, as snapshot_rollback does.
      if (!snap.vmstate && vm.status === 'running')
        c.applyOps([{ op: 'power', vmid: vm.vmid, status: 'stopped', qmpstatus: 'stopped' }]);
      vm.config = { ...snap.config };
      vm.pending = {};
      vm.pendingDelete = [];
      vm.parent = name;
      if (num(ctx, 'start') && vm.status !== 'running')
        c.applyOps([{ op: 'power', vmid: vm.vmid, status: 'running', qmpstatus: 'running' }]);
    });
  },
};
