import { randomUUID } from 'node:crypto';
import { ApiError, fail } from '../api-error.js';
import type { Cluster } from '../cluster.js';
import { num, str, taskUser, type Routes } from '../context.js';
import { macFor } from '../fixture.js';
import { lockTimeouts } from '../locks.js';
import type { ConfigValue, VmState } from '../state.js';
import { startTask } from '../tasks.js';
import { diskKey, disks, parseProps } from '../vm-config.js';
import { isOnline, nodeOf } from './cluster.js';
import { checkSpace, checkedStorage, imageStorage } from './volumes.js';

/** The config of the clone: new disks, MACs and identity, the source's other settings. */
function cloneConfig(
  src: VmState,
  newid: number,
  full: boolean,
  storage: string | undefined,
  name: string | undefined,
  description: string | undefined,
) {
  const cfg: Record<string, ConfigValue> = {};
  for (const [k, v] of Object.entries(src.config)) {
    if (k === 'template' || k === 'lock') continue;
    if (/^net\d+$/.test(k)) {
      const p = String(v).split(',');
      p[0] = p[0].replace(/=.*/, `=${macFor(newid, Number(k.slice(3)))}`);
      cfg[k] = p.join(',');
    } else if (diskKey.test(k) && typeof v === 'string') {
      const p = parseProps(v);
      const vol = p._ ?? '';
      const [st, volname = ''] = vol.split(':');
      const target = full ? (storage ?? st) : st;
      const renamed = volname.replace(/^(base|vm)-\d+-/, `vm-${newid}-`);
      const newvol =
        full || vol.includes('cloudinit') ? `${target}:${renamed}` : `${st}:${volname}/${renamed}`;
      cfg[k] = v.replace(vol, newvol);
    } else cfg[k] = v;
  }
  if (name) cfg.name = name;
  else cfg.name = `Copy-of-VM-${String(src.config.name ?? src.vmid)}`;
  if (description !== undefined) cfg.description = description;
  cfg.smbios1 = `uuid=${randomUUID()}`;
  cfg.vmgenid = randomUUID();
  return cfg;
}

/** qemu-server's checks of a target storage: it exists, is enabled there and holds images. */
function checkStorage(c: Cluster, id: string, node: string): void {
  const s = imageStorage(c, id, node);
  if (!s.active) fail(`storage '${id}' is not online`);
}

/** Full clones allocate every disk at its full size: a storage without room ends the task. */
function checkCloneSpace(c: Cluster, cfg: Record<string, ConfigValue>, node: string): void {
  const need = new Map<string, { bytes: number; volume: string }>();
  for (const d of disks(cfg)) {
    const e = need.get(d.storage) ?? { bytes: 0, volume: d.volume };
    e.bytes += d.size;
    need.set(d.storage, e);
  }
  for (const [id, e] of need) checkSpace(c, checkedStorage(c, id, node), node, e.bytes, e.volume);
}

export const cloneRoutes: Routes = {
  'POST /nodes/{node}/qemu/{vmid}/clone': async (ctx) => {
    const c = ctx.cluster;
    const src = c.vmOn(String(ctx.params.node), Number(ctx.params.vmid));
    const newid = Number(ctx.params.newid);
    const isTemplate = !!src.config.template;
    const full = isTemplate ? !!num(ctx, 'full') : true;
    const storage = str(ctx, 'storage');
    const target = str(ctx, 'target') ?? src.node;
    if (!full && storage) fail(`parameter 'storage' not allowed for linked clones`);
    if (target !== src.node) {
      if (!isOnline(c, nodeOf(c, target))) fail(`target node '${target}' is not online`);
      for (const d of disks(src.config))
        if (!c.state.storages.find((s) => s.id === d.storage)?.shared)
          fail(`can't clone VM to node '${target}' (VM uses local storage)`);
    }
    if (storage) checkStorage(c, storage, target);
    const shared = isTemplate && src.status !== 'running';
    const releaseSrc = await c.lock(`vm:${src.vmid}`, lockTimeouts.clone, { shared });
    let releaseNew: (() => void) | undefined;
    try {
      releaseNew = await c.lock(`vm:${newid}`, lockTimeouts.clone);
      c.checkConfigLock(src);
      if (c.vm(newid)) fail(`unable to create VM ${newid}: config file already exists`);
      c.state.vms[newid] = {
        vmid: newid,
        node: target,
        config: { lock: 'clone' },
        pending: {},
        pendingDelete: [],
        status: 'stopped',
        qmpstatus: 'stopped',
        createdAt: Date.now(),
      };
      const cfg = cloneConfig(src, newid, full, storage, str(ctx, 'name'), str(ctx, 'description'));
      const failure = (c.faults.cloneFailures ?? []).find(
        (f) =>
          (f.newid === undefined || f.newid === newid) &&
          (f.name === undefined || f.name === cfg.name) &&
          (f.count === undefined || f.count > 0),
      );
      if (failure?.count !== undefined) failure.count--;
      const t = c.state.timings;
      const storages = [...new Set(disks(cfg).map((d) => d.storage))];
      return startTask(
        c,
        {
          node: src.node,
          type: 'qmclone',
          id: String(src.vmid),
          user: taskUser(ctx),
          finish: [
            { op: 'config', vmid: newid, values: cfg },
            { op: 'unlock', vmid: newid },
          ],
        },
        async (task) => {
          task.onError.push({ op: 'delete', vmid: newid });
          const total = full ? (t.tasks['qmclone-full'] ?? 6000) : (t.tasks.qmclone ?? 1000);
          if (full) {
            const held = Math.min(t.fullCloneStorageLock, total);
            const releases: (() => void)[] = [];
            try {
              for (const s of storages)
                releases.push(
                  await c.lock(c.storageKey(s, target), lockTimeouts.storage, {
                    prefix: 'clone failed: ',
                  }),
                );
              for (const d of disks(src.config))
                task.log(`create full clone of drive ${d.key} (${d.volume})`);
              try {
                checkCloneSpace(c, cfg, target);
              } catch (err) {
                throw new ApiError(500, `clone failed: ${(err as Error).message}`);
              }
              await task.sleep(held);
            } finally {
              for (const r of releases) r();
            }
            await task.sleep(total - held);
          } else {
            for (const d of disks(src.config))
              task.log(`create linked clone of drive ${d.key} (${d.volume})`);
            await task.sleep(total);
          }
          if (failure) {
            // qemu-server's error path destroys the partial VM (onError above); only a worker
            // killed mid-copy leaves it behind, locked.
            if (failure.leaveLocked) {
              task.onError.length = 0;
              task.onError.push({
                op: 'config',
                vmid: newid,
                values: { name: String(cfg.name), lock: 'clone' },
              });
            }
            const why =
              failure.message ??
              'copy failed: command /usr/bin/qemu-img convert ... failed: exit code 1';
            throw new ApiError(500, `clone failed: ${why}`);
          }
        },
      );
    } finally {
      releaseNew?.();
      releaseSrc();
    }
  },

  'POST /nodes/{node}/qemu/{vmid}/migrate': async (ctx) => {
    const c = ctx.cluster;
    const vm = c.vmOn(String(ctx.params.node), Number(ctx.params.vmid));
    const target = String(ctx.params.target);
    if (target === vm.node) fail(`target is local node.`);
    if (!isOnline(c, nodeOf(c, target))) fail(`target node '${target}' is not online`);
    c.checkConfigLock(vm);
    const online = !!num(ctx, 'online');
    if (vm.status === 'running' && !online) fail(`can't migrate running VM without --online`);
    const local = disks(vm.config).filter(
      (d) => !c.state.storages.find((s) => s.id === d.storage)?.shared,
    );
    if (vm.status === 'running' && local.length && !num(ctx, 'with-local-disks'))
      fail(`can't live migrate attached local disks without with-local-disks option`);
    for (const d of local) checkStorage(c, str(ctx, 'targetstorage') ?? d.storage, target);
    const type = vm.ha ? 'hamigrate' : 'qmigrate';
    const release = await c.lock(`vm:${vm.vmid}`, lockTimeouts.config);
    try {
      vm.config.lock = 'migrate';
      c.save();
    } finally {
      release();
    }
    return startTask(
      c,
      {
        node: vm.node,
        type,
        id: String(vm.vmid),
        user: taskUser(ctx),
        finish: [
          { op: 'move', vmid: vm.vmid, node: target },
          { op: 'unlock', vmid: vm.vmid },
        ],
      },
      async (t) => {
        t.onError.push({ op: 'unlock', vmid: vm.vmid });
        t.log(`starting migration of VM ${vm.vmid} to node '${target}'`);
        await t.sleep(c.state.timings.tasks.qmigrate ?? 5000);
        t.log(`migration finished successfully`);
      },
    );
  },
};
