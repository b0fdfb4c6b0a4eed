import { fail, paramError } from '../api-error.js';
import { hasPriv } from '../auth.js';
import type { Cluster } from '../cluster.js';
import { num, str, type Routes } from '../context.js';
import type { NodeState, StorageState, VmState } from '../state.js';
import { disks, memoryMiB } from '../vm-config.js';

const GiB = 1024 ** 3;

/** The kernel each major ships with (PVE 8: 6.8, PVE 9: 6.14). */
const kernelOf = (version: string) => (version.startsWith('8.') ? '6.8.12-15-pve' : '6.14.8-2-pve');

/** The node or PVE's error for an unknown one. */
export function nodeOf(cluster: Cluster, name: string): NodeState {
  const n = cluster.state.nodes.find((x) => x.name === name);
  if (!n) fail(`no such cluster node '${name}'`);
  return n;
}

/** The node's cluster address: loopback, so nothing ever leaves the machine. */
export const nodeIp = (c: Cluster, n: NodeState): string =>
  `127.0.1.${c.state.nodes.indexOf(n) + 1}`;

export const isOnline = (c: Cluster, n: NodeState) =>
  n.status === 'online' && !(c.faults.offlineNodes ?? []).includes(n.name);

/** Storages present on `node`. */
export function storagesOn(cluster: Cluster, node: string): StorageState[] {
  return cluster.state.storages.filter((s) => !s.nodes || s.nodes.includes(node));
}

/** Bytes used on a storage (on `node` for local storages). */
export function storageUsed(cluster: Cluster, s: StorageState, node: string): number {
  let used = s.used;
  for (const vm of cluster.vms())
    if (s.shared || vm.node === node)
      for (const d of disks(vm.config)) if (d.storage === s.id) used += d.size;
  return used;
}

function vmResource(c: Cluster, vm: VmState) {
  const young = Date.now() - vm.createdAt < c.state.timings.statsWindow * c.scale;
  const running = vm.status === 'running';
  return {
    id: `qemu/${vm.vmid}`,
    type: 'qemu',
    vmid: vm.vmid,
    node: vm.node,
    status: young ? 'unknown' : vm.qmpstatus,
    ...(young ? {} : { name: vm.config.name }),
    template: vm.config.template ? 1 : 0,
    maxcpu: Number(vm.config.cores ?? 1) * Number(vm.config.sockets ?? 1),
    maxmem: memoryMiB(vm.config) * 1024 * 1024,
    maxdisk: disks(vm.config)[0]?.size ?? 0,
    mem: running ? Math.round(memoryMiB(vm.config) * 1024 * 1024 * 0.4) : 0,
    cpu: running ? 0.02 : 0,
    disk: 0,
    uptime: running && vm.startedAt ? Math.floor((Date.now() - vm.startedAt) / 1000) : 0,
    netin: 0,
    netout: 0,
    diskread: 0,
    diskwrite: 0,
    ...(vm.config.lock ? { lock: vm.config.lock } : {}),
    ...(vm.config.tags ? { tags: vm.config.tags } : {}),
    ...(vm.ha ? { hastate: vm.status === 'running' ? 'started' : 'stopped' } : {}),
  };
}

/**
 * A node's entry; without Sys.Audit on /nodes/<n> PVE keeps it listed with its status but
 * strips its figures (pve-manager PVE/API2Tools.pm extract_node_stats, `$exclude_stats`).
 */
function nodeStats(c: Cluster, n: NodeState, audit = true) {
  const online = isOnline(c, n);
  const used = c
    .vms()
    .filter((v) => v.node === n.name && v.status === 'running')
    .reduce((a, v) => a + memoryMiB(v.config) * 1024 * 1024, 4 * GiB);
  return {
    node: n.name,
    status: online ? 'online' : 'offline',
    ...(online && audit
      ? { cpu: 0.03, maxcpu: n.cpus, mem: used, maxmem: n.memory, uptime: 864000 }
      : {}),
  };
}

function storageEntry(c: Cluster, s: StorageState, node: string) {
  const active = s.active && s.enabled;
  const used = active ? storageUsed(c, s, node) : 0;
  const total = active ? s.total : 0;
  return { s, used, total, active };
}

export const clusterRoutes: Routes = {
  'GET /version': (ctx) => ({
    version: ctx.cluster.state.version,
    release: ctx.cluster.state.version.split('.').slice(0, 2).join('.'),
    repoid: 'c1d2e3f4',
  }),

  'GET /cluster/resources': (ctx) => {
    const { cluster: c, who } = ctx;
    const type = str(ctx, 'type');
    const out: unknown[] = [];
    if (!type || type === 'node')
      for (const n of c.state.nodes)
        out.push({
          id: `node/${n.name}`,
          type: 'node',
          level: '',
          'cgroup-mode': 2,
          ...nodeStats(c, n, hasPriv(who, `/nodes/${n.name}`, 'Sys.Audit')),
        });
    if (!type || type === 'vm')
      for (const vm of c.vms())
        if (hasPriv(who, `/vms/${vm.vmid}`, 'VM.Audit')) out.push(vmResource(c, vm));
    if (!type || type === 'storage')
      for (const n of c.state.nodes)
        for (const s of storagesOn(c, n.name)) {
          // pve-manager PVE/API2/Cluster.pm: Datastore.Audit only (not AllocateSpace).
          if (!hasPriv(who, `/storage/${s.id}`, 'Datastore.Audit')) continue;
          const e = storageEntry(c, s, n.name);
          out.push({
            id: `storage/${n.name}/${s.id}`,
            type: 'storage',
            node: n.name,
            storage: s.id,
            status: e.active && isOnline(c, n) ? 'available' : 'unknown',
            plugintype: s.type,
            content: s.content.join(','),
            shared: s.shared ? 1 : 0,
            maxdisk: e.total,
            disk: e.used,
          });
        }
    // Each node's local network zone: PVE 9 lists it as a `network` entry, PVE 8 as `sdn`
    // (pve-manager PVE/API2/Cluster.pm resources; PVE 9 has no `network` type filter).
    const pve8 = c.state.version.startsWith('8.');
    if (pve8 ? !type || type === 'sdn' : !type)
      for (const n of c.state.nodes)
        out.push(
          pve8
            ? {
                id: `sdn/${n.name}/localnetwork`,
                sdn: 'localnetwork',
                node: n.name,
                type: 'sdn',
                status: 'ok',
              }
            : {
                id: `network/${n.name}/zone/localnetwork`,
                type: 'network',
                'network-type': 'zone',
                network: 'localnetwork',
                node: n.name,
                status: 'ok',
              },
        );
    return out;
  },

  'GET /cluster/nextid': (ctx) => {
    const want = num(ctx, 'vmid');
    if (want !== undefined) {
      if (ctx.cluster.vm(want)) paramError({ vmid: `VM ${want} already exists` });
      return String(want);
    }
    let id = 100;
    while (ctx.cluster.vm(id)) id++;
    return String(id);
  },

  'GET /nodes': (ctx) =>
    ctx.cluster.state.nodes.map((n) => ({
      ...nodeStats(ctx.cluster, n, hasPriv(ctx.who, `/nodes/${n.name}`, 'Sys.Audit')),
      id: `node/${n.name}`,
      type: 'node',
      level: '',
      ssl_fingerprint: ctx.tls().fingerprint,
    })),

  'GET /nodes/{node}/status': (ctx) => {
    const n = nodeOf(ctx.cluster, String(ctx.params.node));
    const s = nodeStats(ctx.cluster, n);
    const v = ctx.cluster.state.version;
    return {
      memory: {
        total: n.memory,
        used: s.mem,
        free: n.memory - (s.mem ?? 0),
        available: n.memory - (s.mem ?? 0),
      },
      swap: { total: 8 * GiB, used: 0, free: 8 * GiB },
      cpuinfo: {
        cpus: n.cpus,
        sockets: 1,
        cores: n.cpus,
        model: 'Simulated CPU',
        mhz: '3000.000',
        hvm: '1',
        flags: 'sse4_2 avx2',
        user_hz: 100,
      },
      cpu: 0.03,
      loadavg: ['0.10', '0.08', '0.05'],
      uptime: 864000,
      pveversion: `pve-manager/${v}/c1d2e3f4`,
      kversion: `Linux ${kernelOf(v)} #1 SMP PREEMPT_DYNAMIC`,
      rootfs: { total: 100 * GiB, used: 12 * GiB, free: 88 * GiB, avail: 88 * GiB },
      'boot-info': { mode: 'efi', secureboot: 0 },
      'current-kernel': {
        sysname: 'Linux',
        release: kernelOf(v),
        machine: 'x86_64',
        version: '#1 SMP',
      },
      ksm: { shared: 0 },
      wait: 0,
      idle: 0,
    };
  },

  'GET /nodes/{node}/storage': (ctx) => {
    const node = nodeOf(ctx.cluster, String(ctx.params.node)).name;
    const content = str(ctx, 'content');
    const storage = str(ctx, 'storage');
    return storagesOn(ctx.cluster, node)
      .filter((s) => (num(ctx, 'enabled') ? s.enabled : true))
      .filter((s) => !content || content.split(',').some((c) => s.content.includes(c)))
      .filter((s) => !storage || s.id === storage)
      .filter(
        (s) =>
          hasPriv(ctx.who, `/storage/${s.id}`, 'Datastore.Audit') ||
          hasPriv(ctx.who, `/storage/${s.id}`, 'Datastore.AllocateSpace'),
      )
      .map((s) => {
        const e = storageEntry(ctx.cluster, s, node);
        return {
          storage: s.id,
          type: s.type,
          content: [...s.content].reverse().join(','),
          shared: s.shared ? 1 : 0,
          active: e.active ? 1 : 0,
          enabled: s.enabled ? 1 : 0,
          total: e.total,
          used: e.used,
          avail: e.total - e.used,
          used_fraction: e.total ? e.used / e.total : 0,
        };
      });
  },
};
