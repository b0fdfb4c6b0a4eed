// Read endpoints third-party tools call (Ansible's inventory plugin and modules, proxmoxer
// scripts): shapes from pve-manager PVE/API2/Cluster.pm, Tasks.pm, Pool.pm, Storage/*.pm and
// pve-ha-manager's API2/HA/*.pm.
import { hasPriv } from '../auth.js';
import type { Cluster } from '../cluster.js';
import { num, str, type HandlerContext, type Routes } from '../context.js';
import type { StorageState, TaskState } from '../state.js';
import { disks } from '../vm-config.js';
import { isOnline, nodeIp, nodeOf, storageUsed } from './cluster.js';
import { taskIdentity } from './tasks.js';
import { checkedStorage } from './volumes.js';

const canSeeStorage = (ctx: HandlerContext, id: string) =>
  hasPriv(ctx.who, `/storage/${id}`, 'Datastore.Audit') ||
  hasPriv(ctx.who, `/storage/${id}`, 'Datastore.AllocateSpace');

/** A task as the task index lists it: finished ones carry `endtime` and `status`. */
function taskEntry(t: TaskState, running: string | undefined) {
  return {
    ...taskIdentity(t),
    ...(t.status === 'stopped'
      ? { endtime: Math.floor(t.start / 1000) + 1, status: t.exitstatus ?? 'unknown' }
      : running
        ? { status: running }
        : {}),
  };
}

/** upid_normalize_status_type: OK → ok, `WARNINGS: n` → warning, anything else → error. */
const statusType = (s: string | undefined) =>
  s === undefined ? 'running' : s === 'OK' ? 'ok' : s.startsWith('WARNINGS') ? 'warning' : 'error';

/** pve-storage's per-storage status as `/nodes/{node}/storage/{storage}/status` reports it. */
function storageStatus(c: Cluster, s: StorageState, node: string) {
  const active = s.active && s.enabled;
  const used = active ? storageUsed(c, s, node) : 0;
  const total = active ? s.total : 0;
  return {
    type: s.type,
    content: [...s.content].sort().join(','),
    shared: s.shared ? 1 : 0,
    active: active ? 1 : 0,
    enabled: s.enabled ? 1 : 0,
    total,
    used,
    avail: total - used,
  };
}

export const readRoutes: Routes = {
  'GET /cluster/status': (ctx) => {
    const c = ctx.cluster;
    return [
      {
        type: 'cluster',
        id: 'cluster',
        name: 'pve-sim',
        version: c.state.nodes.length + 1,
        nodes: c.state.nodes.length,
        quorate: 1,
      },
      ...c.state.nodes.map((n, i) => ({
        type: 'node',
        id: `node/${n.name}`,
        name: n.name,
        nodeid: i + 1,
        ip: nodeIp(c, n),
        online: isOnline(c, n) ? 1 : 0,
        local: i === 0 ? 1 : 0,
        level: '',
      })),
    ];
  },

  'GET /cluster/ha/resources': (ctx) =>
    ctx.cluster
      .vms()
      .filter((v) => v.ha)
      .filter(() => !str(ctx, 'type') || str(ctx, 'type') === 'vm')
      .map((v) => ({
        sid: `vm:${v.vmid}`,
        type: 'vm',
        state: 'started',
        max_restart: 1,
        max_relocate: 1,
        failback: 1,
        digest: 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678',
      })),

  'GET /cluster/ha/status/current': (ctx) => {
    const c = ctx.cluster;
    const now = Math.floor(Date.now() / 1000);
    const master = c.state.nodes.find((n) => isOnline(c, n))?.name ?? c.state.nodes[0].name;
    const ha = c.vms().filter((v) => v.ha);
    return [
      { id: 'quorum', type: 'quorum', node: master, status: 'OK', quorate: 1 },
      ...(ha.length
        ? [
            {
              id: 'master',
              type: 'master',
              node: master,
              status: `${master} (active, ${new Date(now * 1000).toUTCString()})`,
              timestamp: now,
            },
          ]
        : []),
      ...c.state.nodes.map((n) => {
        const active = ha.some((v) => v.node === n.name);
        return {
          id: `lrm:${n.name}`,
          type: 'lrm',
          node: n.name,
          status: `${n.name} (${active ? 'active' : 'idle'}, ${new Date(now * 1000).toUTCString()})`,
          timestamp: now,
        };
      }),
      ...ha.map((v) => {
        const state = v.status === 'running' ? 'started' : 'stopped';
        return {
          id: `service:vm:${v.vmid}`,
          type: 'service',
          sid: `vm:${v.vmid}`,
          node: v.node,
          state,
          crm_state: state,
          request_state: 'started',
          status: `vm:${v.vmid} (${v.node}, ${state})`,
          max_restart: 1,
          max_relocate: 1,
        };
      }),
    ];
  },

  // The simulator models no pools: an empty list, as on a cluster that has none.
  'GET /pools': () => [],

  'GET /storage': (ctx) =>
    ctx.cluster.state.storages
      .filter((s) => !str(ctx, 'type') || s.type === str(ctx, 'type'))
      .filter((s) => canSeeStorage(ctx, s.id))
      .map((s) => ({
        storage: s.id,
        type: s.type,
        content: [...s.content].sort().join(','),
        ...(s.shared ? { shared: 1 } : {}),
        ...(s.nodes ? { nodes: s.nodes.join(',') } : {}),
        ...(s.enabled ? {} : { disable: 1 }),
        ...(s.type === 'lvmthin' ? { thinpool: 'data', vgname: 'pve' } : {}),
        ...(s.type === 'lvm' ? { vgname: s.id } : {}),
        ...(s.type === 'dir' ? { path: `/var/lib/vz${s.id === 'local' ? '' : `/${s.id}`}` } : {}),
        ...(s.type === 'zfspool' ? { pool: 'rpool/data' } : {}),
        digest: 'c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00',
      })),

  'GET /nodes/{node}/storage/{storage}/status': (ctx) => {
    const node = nodeOf(ctx.cluster, String(ctx.params.node)).name;
    const s = checkedStorage(ctx.cluster, String(ctx.params.storage), node);
    return storageStatus(ctx.cluster, s, node);
  },

  'GET /nodes/{node}/storage/{storage}/content': (ctx) => {
    const c = ctx.cluster;
    const node = nodeOf(c, String(ctx.params.node)).name;
    const s = checkedStorage(c, String(ctx.params.storage), node);
    const content = str(ctx, 'content');
    const vmid = num(ctx, 'vmid');
    if (content && content !== 'images') return [];
    const out = [];
    for (const vm of c.vms()) {
      if (!s.shared && vm.node !== node) continue;
      if (vmid !== undefined && vm.vmid !== vmid) continue;
      for (const d of disks(vm.config)) {
        if (d.storage !== s.id) continue;
        const name = d.volume.split(':')[1];
        // A linked clone's volume lists under its own name, its base as `parent`.
        const own = name.includes('/') && !/^\d+\//.test(name) ? name.split('/')[1] : name;
        out.push({
          volid: `${s.id}:${own}`,
          content: 'images',
          format: /\.qcow2$/.test(own) ? 'qcow2' : 'raw',
          size: d.size,
          vmid: vm.vmid,
          ctime: Math.floor(vm.createdAt / 1000),
          ...(own !== name ? { parent: `${name.split('/')[0]}@__base__` } : {}),
        });
      }
    }
    return out.sort((a, b) => a.volid.localeCompare(b.volid));
  },

  'GET /nodes/{node}/tasks': (ctx) => {
    const c = ctx.cluster;
    const node = nodeOf(c, String(ctx.params.node)).name;
    const source = str(ctx, 'source') ?? 'archive';
    const start = num(ctx, 'start') ?? 0;
    const limit = num(ctx, 'limit') ?? 50;
    const wanted = str(ctx, 'statusfilter')
      ?.split(/[,;\s]+/)
      .map((x) => x.toLowerCase());
    const all = Object.values(c.state.tasks)
      .filter((t) => t.node === node)
      .filter((t) => (t.status === 'running' ? source !== 'archive' : source !== 'active'))
      .filter((t) => !str(ctx, 'typefilter') || t.type === str(ctx, 'typefilter'))
      .filter((t) => num(ctx, 'vmid') === undefined || t.id === String(num(ctx, 'vmid')))
      .filter((t) => !str(ctx, 'userfilter') || t.user.includes(str(ctx, 'userfilter')!))
      .filter((t) => num(ctx, 'since') === undefined || t.start / 1000 >= num(ctx, 'since')!)
      .filter((t) => num(ctx, 'until') === undefined || t.start / 1000 <= num(ctx, 'until')!)
      .filter((t) => !num(ctx, 'errors') || statusType(t.exitstatus) === 'error')
      .filter((t) => !wanted || t.status === 'running' || wanted.includes(statusType(t.exitstatus)))
      .sort((a, b) => b.start - a.start);
    return all.slice(start, start + limit).map((t) => taskEntry(t, 'RUNNING'));
  },

  'GET /cluster/tasks': (ctx) =>
    Object.values(ctx.cluster.state.tasks)
      .sort((a, b) => b.start - a.start)
      .slice(0, 50)
      .map((t) => ({ ...taskEntry(t, undefined), saved: t.status === 'stopped' ? '1' : '0' })),

  // The simulator runs no containers: every node answers an empty list, as one without any.
  'GET /nodes/{node}/lxc': (ctx) => {
    nodeOf(ctx.cluster, String(ctx.params.node));
    return [];
  },
};
