// Resizing a disk and moving it to another storage, as qemu-server's resize_vm and move_vm_disk do (src/PVE/API2/Qemu.pm):
// the checks run once before the fork (answering at once) and again in the `qmmove` worker;
// the source volume stays as `unusedN` unless `delete` is set.
import { ApiError, fail, paramError } from '../api-error.js';
import type { Cluster } from '../cluster.js';
import { num, str, taskUser, type HandlerContext, type Routes } from '../context.js';
import { lockTimeouts } from '../locks.js';
import type { VmState } from '../state.js';
import { startTask } from '../tasks.js';
import { digestOf, formatSize, parseProps, parseSize } from '../vm-config.js';
import { skiplock } from './root-only.js';
import { checkSpace, checkedStorage, imageStorage, newVolume } from './volumes.js';

/** The first free `unusedN` key. */
export function unusedKey(vm: VmState): string {
  for (let i = 0; ; i++) if (!(`unused${i}` in vm.config)) return `unused${i}`;
}

function checkMove(c: Cluster, vm: VmState, disk: string, storage: string, digest?: string) {
  c.checkConfigLock(vm);
  if (digest && digest !== digestOf(vm)) fail('checksum mismatch (file change by other user?)');
  const cur = vm.config[disk];
  if (cur === undefined) fail(`disk '${disk}' does not exist`);
  const p = parseProps(String(cur));
  const vol = p._ ?? p.file ?? '';
  if (!vol) fail(`disk '${disk}' has no associated volume`);
  if (p.media === 'cdrom' || vol.includes('cloudinit')) fail(`you can't move a cdrom`);
  if (vol.split(':')[0] === storage) fail(`you can't move to the same storage with same format`);
  const st = imageStorage(c, storage, vm.node);
  return { p, vol, st, size: parseSize(p.size ?? '0') ?? 0 };
}

export const diskRoutes: Routes = {
  // qemu-server resize_vm: only skiplock is checked before the fork; the lock, the disk, the
  // size and the storage's room are checked in the `resize` worker, so they end the task.
  'PUT /nodes/{node}/qemu/{vmid}/resize': (ctx) => {
    const c = ctx.cluster;
    const vm = c.vmOn(String(ctx.params.node), Number(ctx.params.vmid));
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

  'POST /nodes/{node}/qemu/{vmid}/move_disk': (ctx: HandlerContext) => {
    const c = ctx.cluster;
    const vm = c.vmOn(String(ctx.params.node), Number(ctx.params.vmid));
    const disk = String(ctx.params.disk);
    const storage = str(ctx, 'storage');
    const target = str(ctx, 'target-vmid');
    if (storage && target) {
      const msg = `either set 'storage' or 'target-vmid', but not both`;
      paramError({ 'target-vmid': msg, storage: msg });
    }
    if (target)
      throw new ApiError(501, 'reassigning a disk to another VM is not served by the simulator');
    if (!storage) {
      const msg = `either set 'storage' or 'target-vmid'`;
      paramError({ 'target-vmid': msg, storage: msg });
    }
    const digest = str(ctx, 'digest');
    checkMove(c, vm, disk, storage, digest);
    return startTask(
      c,
      { node: vm.node, type: 'qmmove', id: String(vm.vmid), user: taskUser(ctx) },
      async (t) => {
        const release = await c.lock(`vm:${vm.vmid}`, lockTimeouts.config);
        try {
          const { p, vol, st, size } = checkMove(c, vm, disk, storage, digest);
          const volume = newVolume(st, vm, [], 'disk');
          checkSpace(c, st, vm.node, size, volume);
          t.log(
            `copying volume '${vol}' from current storage '${vol.split(':')[0]}' to target storage '${storage}'`,
          );
          await t.sleep(c.state.timings.tasks.qmmove ?? 2000);
          const rest = Object.entries(p).filter(([k]) => k !== '_' && k !== 'file');
          vm.config[disk] = [volume, ...rest.map(([k, v]) => `${k}=${v}`)].join(',');
          if (!num(ctx, 'delete')) {
            const key = unusedKey(vm);
            vm.config[key] = vol;
            vm.volumeSizes = { ...vm.volumeSizes, [vol]: size };
            t.log(`adding source volume '${vol}' as '${key}' to config`);
          }
          c.save();
        } finally {
          release();
        }
      },
    );
  },
};
