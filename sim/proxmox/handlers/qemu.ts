import { fail } from '../api-error.js';
import { hasPriv } from '../auth.js';
import type { Cluster } from '../cluster.js';
import { num, str, taskUser, type HandlerContext, type Routes } from '../context.js';
import { lockTimeouts } from '../locks.js';
import type { ConfigValue, VmState } from '../state.js';
import { startTask } from '../tasks.js';
import { digestOf, disks, memoryMiB, needsReboot, publicConfig } from '../vm-config.js';
import { nodeOf } from './cluster.js';
import {
  allocate,
  checkDriveStorages,
  keepDetachedVolume,
  normalise,
  type Allocation,
} from './drives.js';
import { checkRootOnlyKeys, skiplock } from './root-only.js';

const control = new Set([
  'node',
  'vmid',
  'digest',
  'delete',
  'revert',
  'skiplock',
  'force',
  'background_delay',
  'start',
  'pool',
  'unique',
  'archive',
  'storage',
  'live-restore',
  'bwlimit',
]);

const vmOf = (ctx: HandlerContext) =>
  ctx.cluster.vmOn(String(ctx.params.node), Number(ctx.params.vmid));

/**
 * qemu-server's destroy_vm for a template: a base volume a linked clone still builds on
 * (`local-lvm:base-9000-disk-0/vm-410-disk-0`) fails the task and the template stays.
 */
function checkBaseUnused(c: Cluster, tpl: VmState): void {
  for (const d of disks(tpl.config)) {
    const [st, name] = d.volume.split(':');
    const user = c
      .vms()
      .find(
        (v) =>
          v.vmid !== tpl.vmid &&
          Object.values(v.config).some((x) => String(x).startsWith(`${st}:${name}/`)),
      );
    if (user) fail(`base volume '${d.volume}' is still in use by linked cloned`);
  }
}

/**
 * update_vm_api's checks before it takes the lock (and, for POST, before it forks): root-only
 * keys and the storages new drives name. Returns the keys to delete.
 */
function checkBeforeLock(ctx: HandlerContext): string[] {
  const deleting = (str(ctx, 'delete') ?? '').split(/[,;\s]+/).filter(Boolean);
  const keys = Object.keys(ctx.params).filter((k) => !control.has(k));
  checkRootOnlyKeys(ctx.who, deleting);
  checkRootOnlyKeys(ctx.who, keys);
  checkDriveStorages(
    ctx.cluster,
    vmOf(ctx).node,
    keys.map((k) => [k, ctx.params[k]]),
  );
  return deleting;
}

/** Applies a config update as `PUT/POST .../config` does (under the VM's config lock). */
async function updateConfig(ctx: HandlerContext, prefix = ''): Promise<void> {
  const c = ctx.cluster;
  const vm = vmOf(ctx);
  const skip = skiplock(ctx);
  const deleting = checkBeforeLock(ctx);
  const release = await c.lock(`vm:${vm.vmid}`, lockTimeouts.config, { prefix });
  try {
    if (!skip) c.checkConfigLock(vm);
    const digest = str(ctx, 'digest');
    if (digest && digest !== digestOf(vm)) fail('checksum mismatch (file change by other user?)');
    const running = vm.status === 'running';
    const allocs: Allocation[] = [];
    const values: [string, ConfigValue][] = [];
    for (const [k, v] of Object.entries(ctx.params))
      if (!control.has(k)) values.push([k, normalise(c, vm, k, v, allocs)]);
    allocate(c, vm.node, allocs);
    for (const k of deleting) {
      keepDetachedVolume(vm, k, !!num(ctx, 'force'));
      if (k === 'protection' || !(running && needsReboot(k, vm))) delete vm.config[k];
      else if (!vm.pendingDelete.includes(k)) vm.pendingDelete.push(k);
      delete vm.pending[k];
    }
    for (const [k, val] of values) {
      if (running && needsReboot(k, vm) && String(vm.config[k]) !== String(val))
        vm.pending[k] = val;
      else {
        vm.config[k] = val;
        delete vm.pending[k];
      }
    }
    c.save();
  } finally {
    release();
  }
}

export const qemuRoutes: Routes = {
  'GET /nodes/{node}/qemu': (ctx) => {
    const node = nodeOf(ctx.cluster, String(ctx.params.node)).name;
    return ctx.cluster
      .vms()
      .filter((v) => v.node === node && hasPriv(ctx.who, `/vms/${v.vmid}`, 'VM.Audit'))
      .map((v) => ({
        vmid: v.vmid,
        name: v.config.name,
        status: v.status,
        ...(num(ctx, 'full') ? { qmpstatus: v.qmpstatus } : {}),
        cpus: Number(v.config.cores ?? 1) * Number(v.config.sockets ?? 1),
        maxmem: memoryMiB(v.config) * 1024 * 1024,
        maxdisk: disks(v.config)[0]?.size ?? 0,
        uptime:
          v.status === 'running' && v.startedAt ? Math.floor((Date.now() - v.startedAt) / 1000) : 0,
        ...(v.config.template ? { template: 1 } : {}),
        ...(v.config.lock ? { lock: v.config.lock } : {}),
        ...(v.config.tags ? { tags: v.config.tags } : {}),
      }));
  },

  'POST /nodes/{node}/qemu': async (ctx) => {
    const c = ctx.cluster;
    const node = nodeOf(c, String(ctx.params.node)).name;
    const vmid = Number(ctx.params.vmid);
    const release = await c.lock(`vm:${vmid}`, lockTimeouts.create);
    try {
      const other = c.vm(vmid);
      if (other)
        fail(`unable to create VM ${vmid} - VM ${vmid} already exists on node '${other.node}'`);
      const vm: VmState = {
        vmid,
        node,
        config: { lock: 'create' },
        pending: {},
        pendingDelete: [],
        status: 'stopped',
        qmpstatus: 'stopped',
        createdAt: Date.now(),
      };
      const values: Record<string, ConfigValue> = {
        memory: '512',
        smbios1: `uuid=00000000-0000-4000-8000-${String(vmid).padStart(12, '0')}`,
      };
      const keys = Object.keys(ctx.params).filter((k) => !control.has(k));
      checkRootOnlyKeys(ctx.who, keys);
      const allocs: Allocation[] = [];
      for (const k of keys)
        values[k] = normalise(c, { ...vm, config: values }, k, ctx.params[k], allocs);
      c.state.vms[vmid] = vm;
      const start = !!num(ctx, 'start');
      return startTask(
        c,
        {
          node,
          type: 'qmcreate',
          id: String(vmid),
          user: taskUser(ctx),
          finish: [
            { op: 'config', vmid, values },
            { op: 'unlock', vmid },
          ],
        },
        async (t) => {
          t.onError.push({ op: 'delete', vmid });
          allocate(c, node, allocs);
          for (const d of disks(values))
            t.log(`  Logical volume "${d.volume.split(':')[1]}" created.`);
          await t.sleep(c.state.timings.tasks.qmcreate ?? 1000);
          if (start) t.finish.push({ op: 'power', vmid, status: 'running', qmpstatus: 'running' });
        },
      );
    } finally {
      release();
    }
  },

  'GET /nodes/{node}/qemu/{vmid}/config': (ctx) => publicConfig(vmOf(ctx), !!num(ctx, 'current')),

  'PUT /nodes/{node}/qemu/{vmid}/config': async (ctx) => {
    await updateConfig(ctx);
    return null;
  },

  // qemu-server's unlink is update_vm_api with delete=idlist: a detached disk stays as
  // unusedN, `force` frees it.
  'PUT /nodes/{node}/qemu/{vmid}/unlink': async (ctx) => {
    const { idlist, force, ...rest } = ctx.params;
    await updateConfig({
      ...ctx,
      params: { ...rest, delete: idlist, ...(force !== undefined ? { force } : {}) },
    });
    return null;
  },

  'POST /nodes/{node}/qemu/{vmid}/config': (ctx) => {
    const vm = vmOf(ctx);
    skiplock(ctx);
    checkBeforeLock(ctx);
    return startTask(
      ctx.cluster,
      { node: vm.node, type: 'qmconfig', id: String(vm.vmid), user: taskUser(ctx) },
      async (t) => {
        await t.sleep(ctx.cluster.state.timings.tasks.qmconfig ?? 300);
        await updateConfig(ctx);
        t.log(
          `update VM ${vm.vmid}: ${Object.keys(ctx.params)
            .filter((k) => !control.has(k))
            .map((k) => `-${k}`)
            .join(' ')}`,
        );
      },
    );
  },

  'GET /nodes/{node}/qemu/{vmid}/pending': (ctx) => {
    const vm = vmOf(ctx);
    const keys = new Set([
      ...Object.keys(vm.config),
      ...Object.keys(vm.pending),
      ...vm.pendingDelete,
    ]);
    return [...keys].sort().map((key) => ({
      key,
      ...(key in vm.config ? { value: key === 'cipassword' ? '**********' : vm.config[key] } : {}),
      ...(key in vm.pending ? { pending: vm.pending[key] } : {}),
      ...(vm.pendingDelete.includes(key) ? { delete: 1 } : {}),
    }));
  },

  'DELETE /nodes/{node}/qemu/{vmid}': (ctx) => {
    const c = ctx.cluster;
    const vm = vmOf(ctx);
    const skip = skiplock(ctx);
    if (vm.config.protection) fail(`can't remove VM ${vm.vmid} - protection mode enabled`);
    if (!skip) c.checkConfigLock(vm);
    if (vm.status === 'running') fail(`VM ${vm.vmid} is running - destroy failed`);
    if (vm.ha && !num(ctx, 'purge'))
      fail(`unable to remove VM ${vm.vmid} - used in HA resources and purge parameter not set.`);
    return startTask(
      c,
      {
        node: vm.node,
        type: 'qmdestroy',
        id: String(vm.vmid),
        user: taskUser(ctx),
        finish: [{ op: 'delete', vmid: vm.vmid }],
      },
      async (t) => {
        const release = await c.lock(`vm:${vm.vmid}`, lockTimeouts.config);
        try {
          if (vm.config.template) checkBaseUnused(c, vm);
          for (const d of disks(vm.config))
            t.log(`  Logical volume "${d.volume.split(':')[1]}" successfully removed.`);
          await t.sleep(c.state.timings.tasks.qmdestroy ?? 1000);
          if (vm.ha) t.log(`purging VM ${vm.vmid} from related configurations..`);
        } finally {
          release();
        }
      },
    );
  },
};
