import { fail, paramError } from '../api-error.js';
import { hasPriv } from '../auth.js';
import type { Cluster } from '../cluster.js';
import { num, str, taskUser, type HandlerContext, type Routes } from '../context.js';
import { macFor } from '../fixture.js';
import { lockTimeouts } from '../locks.js';
import type { ConfigValue, StorageState, VmState } from '../state.js';
import { startTask } from '../tasks.js';
import {
  diskKey,
  disks,
  formatSize,
  memoryMiB,
  needsReboot,
  parseProps,
  parseSize,
  publicConfig,
  typed,
  digestOf,
} from '../vm-config.js';
import { nodeOf } from './cluster.js';
import { unusedKey } from './disks.js';
import { checkRootOnlyKeys } from './root-only.js';
import { checkSpace, checkedStorage, imageStorage, newVolume } from './volumes.js';

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

/** skiplock is root@pam's alone (not its tokens), as in PVE. */
export function skiplock(ctx: HandlerContext): boolean {
  if (!num(ctx, 'skiplock')) return false;
  if (ctx.who.user !== 'root@pam' || ctx.who.tokenId)
    paramError({ skiplock: 'Only root may use this option.' });
  return true;
}

/** A volume a config change allocates: checked for room when the allocation happens. */
export interface Allocation {
  storage: StorageState;
  bytes: number;
  volume: string;
}

/**
 * Normalises one new config value as qemu-server prints it: MACs for NICs, `storage:SIZE`
 * disks become `storage:vm-<id>-disk-<n>,size=…`, `storage:cloudinit` becomes
 * `storage:vm-<id>-cloudinit,media=cdrom` (API2/Qemu.pm create_disks). New volumes are pushed
 * to `allocs` for the caller to check for room.
 */
function normalise(
  c: Cluster,
  vm: VmState,
  key: string,
  value: string | number,
  allocs: Allocation[],
): ConfigValue {
  if (/^net\d+$/.test(key)) {
    const p = parseProps(String(value));
    const bridge = p.bridge;
    if (bridge && !nodeOf(c, vm.node).bridges.some((b) => b.iface === bridge))
      fail(`bridge '${bridge}' does not exist`);
    const models = ['virtio', 'e1000', 'e1000e', 'rtl8139', 'vmxnet3'];
    const model = p.model ?? models.find((m) => m in p) ?? 'virtio';
    const mac = p.macaddr ?? p[model] ?? macFor(vm.vmid, Number(key.slice(3)) + 1);
    const rest = Object.entries(p).filter(
      ([k]) => k !== 'model' && k !== 'macaddr' && k !== model && k !== '_',
    );
    return [`${model}=${mac}`, ...rest.map(([k, v]) => `${k}=${v}`)].join(',');
  }
  if (diskKey.test(key) && typeof value === 'string') {
    const p = parseProps(value);
    const vol = p._ ?? p.file ?? '';
    const rest = Object.entries(p).filter(
      ([k]) => k !== '_' && k !== 'file' && k !== 'size' && k !== 'format',
    );
    const ci = /^([a-z][\w.-]*):cloudinit$/i.exec(vol);
    if (ci) {
      const st = checkedStorage(c, ci[1], vm.node);
      const other = Object.entries({ ...vm.config, ...vm.pending }).find(
        ([k, v]) => k !== key && diskKey.test(k) && /cloudinit/.test(String(v)),
      );
      if (other) fail(`${key} - cloud-init drive is already attached at '${other[0]}'`);
      const volume = newVolume(st, vm, [], 'ci');
      allocs.push({ storage: st, bytes: 4 * 1024 ** 2, volume });
      const media = rest.filter(([k]) => k !== 'media').map(([k, v]) => `${k}=${v}`);
      return [volume, 'media=cdrom', ...media].join(',');
    }
    const m = /^([a-z][\w.-]*):(\d+(?:\.\d+)?)$/i.exec(vol);
    if (!m && vol.includes(':') && p.media !== 'cdrom') {
      // An existing volume: create_disks reads its size from the storage.
      const size = volumeSize(c, vm, vol);
      if (!size) fail(`volume ${vol} does not exist`);
      return [vol, ...rest.map(([k, v]) => `${k}=${v}`), `size=${formatSize(size)}`].join(',');
    }
    if (m) {
      const st = imageStorage(c, m[1], vm.node);
      const volume = newVolume(
        st,
        vm,
        allocs.map((a) => a.volume),
        'disk',
      );
      const bytes = Math.round(Number(m[2]) * 1024 ** 3);
      allocs.push({ storage: st, bytes, volume });
      return [volume, ...rest.map(([k, v]) => `${k}=${v}`), `size=${formatSize(bytes)}`].join(',');
    }
  }
  return typed(key, value);
}

/** The size of an existing volume, as the VMs' drives (or a detached volume's record) know it. */
function volumeSize(c: Cluster, vm: VmState, vol: string): number | undefined {
  const known = vm.volumeSizes?.[vol];
  if (known) return known;
  for (const other of c.vms())
    for (const v of Object.values(other.config)) {
      const p = parseProps(String(v));
      if ((p._ ?? p.file) === vol && p.size) return parseSize(p.size);
    }
  return undefined;
}

/** Checks every allocation for room on its storage, one after the other as PVE allocates. */
function allocate(c: Cluster, node: string, allocs: Allocation[]): void {
  const pending = new Map<string, number>();
  for (const a of allocs) {
    const before = pending.get(a.storage.id) ?? 0;
    checkSpace(c, a.storage, node, a.bytes + before, a.volume);
    pending.set(a.storage.id, before + a.bytes);
  }
}

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
 * vmconfig_delete_or_detach_drive: a detached disk the VM owns stays as `unusedN` (only
 * `force` frees it); CD-ROM and cloud-init drives just go.
 */
function keepDetachedVolume(vm: VmState, key: string, force: boolean): void {
  const v = vm.config[key];
  if (!diskKey.test(key) || v === undefined || force) return;
  const p = parseProps(String(v));
  const vol = p._ ?? p.file ?? '';
  if (p.media === 'cdrom' || vol.includes('cloudinit') || !vol.includes(`-${vm.vmid}-disk-`))
    return;
  vm.config[unusedKey(vm)] = vol;
  vm.volumeSizes = { ...vm.volumeSizes, [vol]: parseSize(p.size ?? '0') ?? 0 };
}

/** Applies a config update as `PUT/POST .../config` does (under the VM's config lock). */
async function updateConfig(ctx: HandlerContext, prefix = ''): Promise<void> {
  const c = ctx.cluster;
  const vm = vmOf(ctx);
  const skip = skiplock(ctx);
  const deleting = (str(ctx, 'delete') ?? '').split(/[,;\s]+/).filter(Boolean);
  checkRootOnlyKeys(ctx.who, deleting);
  checkRootOnlyKeys(
    ctx.who,
    Object.keys(ctx.params).filter((k) => !control.has(k)),
  );
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

  // qemu-server resize_vm: only skiplock is checked before the fork; the lock, the disk, the
  // size and the storage's room are checked in the `resize` worker, so they end the task.
  'PUT /nodes/{node}/qemu/{vmid}/resize': (ctx) => {
    const c = ctx.cluster;
    const vm = vmOf(ctx);
    const key = String(ctx.params.disk);
    const sizeArg = String(ctx.params.size);
    const skip = skiplock(ctx);
    const digest = str(ctx, 'digest');
    return startTask(
      c,
      { node: vm.node, type: 'resize', id: String(vm.vmid), user: taskUser(ctx) },
      async (t) => {
        const release = await c.lock(`vm:${vm.vmid}`, lockTimeouts.config);
        try {
          if (digest && digest !== digestOf(vm))
            fail('checksum mismatch (file change by other user?)');
          if (!skip) c.checkConfigLock(vm);
          const cur = vm.config[key];
          if (cur === undefined) fail(`disk '${key}' does not exist`);
          const p = parseProps(String(cur));
          if (p.media === 'cdrom') fail(`you can't resize a cdrom`);
          const m = /^(\+)?(\d+(?:\.\d+)?[KMGT]?)$/.exec(sizeArg);
          if (!m) fail('internal error');
          const old = parseSize(p.size ?? '0') ?? 0;
          const delta = parseSize(m[2])!;
          const next = m[1] ? old + delta : delta;
          if (next < old) fail(`shrinking disks is not supported`);
          if (next === old) return;
          const vol = p._ ?? p.file ?? '';
          const st = checkedStorage(c, vol.split(':')[0], vm.node);
          checkSpace(c, st, vm.node, next - old, vol);
          t.log(`  Size of logical volume changed from ${formatSize(old)} to ${formatSize(next)}.`);
          await t.sleep(c.state.timings.tasks.resize ?? 500);
          const value = /size=/.test(String(cur))
            ? String(cur).replace(/size=[^,]+/, `size=${formatSize(next)}`)
            : `${String(cur)},size=${formatSize(next)}`;
          vm.config[key] = value;
          c.save();
        } finally {
          release();
        }
      },
    );
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
