import type { Logger } from '../log.js';
import type { ClusterResource, GuestInterface, VmConfig } from '../proxmox/api-types.js';
import type { ProxmoxClient } from '../proxmox/client.js';
import { errorKind } from '../proxmox/errors.js';
import { mapLimit } from '../proxmox/limiter.js';
import { OWNER_TAG, type VmSpec } from '../vm/types.js';
import { classifyAgentFailure } from './agent-answer.js';
import { BOOT_MATCH_SECONDS, bootStart, splitDescription } from './description.js';
import {
  DISK_SLOT_RE,
  decodeSshKeys,
  parseCpu,
  parseDisk,
  parseFlag,
  parseMemory,
  parseNet,
  parseTags,
} from './parse.js';
import type {
  ClusterSnapshot,
  DiskState,
  NodeState,
  StorageState,
  VmConfigState,
  VmState,
} from './snapshot-types.js';

/** The client calls the reader makes; ProxmoxClient has them all. */
export type SnapshotClient = Pick<
  ProxmoxClient,
  'clusterResources' | 'network' | 'storage' | 'getConfig' | 'agentNetworkInterfaces'
>;

export interface ReadOptions {
  /** Also read configs of owned VMs not in the repository (prune needs their protection flag). */
  prune?: boolean;
  /** Probe the guest agent of running VMs up longer than this. Default 300. */
  bootGraceSeconds?: number;
  /** Give up on one agent probe after this long. Default 5 s. */
  agentTimeoutMs?: number;
  /** This repository's owner tag: owned VMs without a file are read for prune. Default pve-gitops. */
  ownerTag?: string;
  /** Requests in flight during the read. Default 16. */
  concurrency?: number;
  /** Wall clock in ms, to tell the current boot from the uptime. Default Date.now. */
  now?: () => number;
  log?: Logger;
}

/**
 * Reads what plan needs with few requests: `cluster/resources` once (nodes, storages, VMs,
 * templates), bridges per node in use, exact storage details only on nodes something may
 * land on, configs only for VMs the repository names, and a guest-agent probe only for
 * running VMs past their boot grace whose config does not record that apply saw the agent
 * answer during the current boot. For 100 VMs on 5 nodes in that steady state it is 106.
 */
export async function readSnapshot(
  client: SnapshotClient,
  desired: VmSpec[],
  options: ReadOptions = {},
): Promise<ClusterSnapshot> {
  let requests = 0;
  const count = <T>(p: Promise<T>) => {
    requests++;
    return p;
  };
  const limit = options.concurrency ?? 16;
  const grace = options.bootGraceSeconds ?? 300;
  const resources = await count(client.clusterResources());
  // Uptimes are as of this answer: boot starts are reckoned from now, not after the read.
  const now = (options.now ?? Date.now)();

  const nodes: Record<string, NodeState> = {};
  for (const r of resources) if (r.type === 'node' && r.node) nodes[r.node] = nodeFrom(r);
  for (const r of resources) {
    if (r.type !== 'storage' || !r.node || !r.storage || !nodes[r.node]) continue;
    nodes[r.node].storages[r.storage] = storageFrom(r);
  }
  const all = resources.filter((r) => r.type === 'qemu' && r.vmid !== undefined && r.node);
  const templates = all
    .filter((r) => r.template === 1)
    .map((r) => ({ vmid: r.vmid!, name: r.name ?? '', node: r.node! }));
  const vms: VmState[] = all.filter((r) => r.template !== 1).map(vmFrom);

  // A VM a few seconds old shows no name (status unknown) until stats refresh: read its
  // config, or plan would not recognise it and create a second one.
  const nameless = vms.filter((v) => !v.name && nodes[v.node]?.status === 'online');
  await mapLimit(nameless, limit, async (vm) => {
    try {
      const cfg = await count(client.getConfig(vm.node, vm.vmid));
      vm.name = cfg.name ?? '';
      vm.tags = parseTags(cfg.tags);
      if (cfg.lock) vm.lock = cfg.lock;
      if (cfg.template === 1) vm.status = 'template';
    } catch (err) {
      options.log?.warn(
        `Could not read the config of VM ${vm.vmid} on ${vm.node}: ${(err as Error).message}`,
      );
    }
  });
  for (const vm of vms.filter((v) => v.status === 'template')) {
    templates.push({ vmid: vm.vmid, name: vm.name, node: vm.node });
    vms.splice(vms.indexOf(vm), 1);
  }

  const specs = new Map(desired.map((s) => [s.name, s]));
  const byName = new Map(vms.map((v) => [v.name, v]));
  const used = new Set<string>([
    ...desired.map((s) => s.node),
    ...vms.filter((v) => specs.has(v.name)).map((v) => v.node),
  ]);
  // Nodes where something may be created or migrated to need exact storage figures.
  const landing = new Set(
    desired.filter((s) => byName.get(s.name)?.node !== s.node).map((s) => s.node),
  );
  const online = (n: string) => nodes[n]?.status === 'online';
  // A node answering 5xx (or not at all) is not trusted this run: its VMs' health is unknown.
  const nodeRead = async <T>(n: string, read: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await read();
    } catch (err) {
      const kind = errorKind(err);
      if (kind !== 'server' && kind !== 'proxy' && kind !== 'connection') throw err;
      nodes[n].status = 'unknown';
      nodes[n].problem ??= (err as Error).message;
      options.log?.warn(`Node ${n} did not answer as it should: ${(err as Error).message}`);
      return undefined;
    }
  };

  const wantConfig = vms.filter(
    (v) => specs.has(v.name) || (options.prune && v.tags.includes(options.ownerTag ?? OWNER_TAG)),
  );
  const wantTemplates = templates.filter((t) => {
    const needers = desired.filter((s) => s.template === t.name);
    return needers.some((s) => !templates.some((x) => x.name === t.name && x.node === s.node));
  });

  const jobs: Array<() => Promise<void>> = [];
  for (const n of [...used].filter(online)) {
    jobs.push(async () => {
      const list = await nodeRead(n, () => count(client.network(n, 'bridge')));
      for (const b of list ?? []) nodes[n].bridges[b.iface] = { active: b.active === 1 };
    });
  }
  for (const n of [...landing].filter(online)) {
    jobs.push(async () => {
      const list = (await nodeRead(n, () => count(client.storage(n)))) ?? [];
      for (const s of list) {
        nodes[n].storages[s.storage] = {
          id: s.storage,
          content: (s.content ?? '').split(',').filter(Boolean).sort(),
          shared: s.shared === 1,
          active: s.active === 1,
          enabled: s.enabled !== 0,
          total: s.total ?? 0,
          used: s.used ?? 0,
          avail: s.avail ?? 0,
        };
      }
    });
  }
  for (const vm of wantConfig) {
    if (!online(vm.node)) continue;
    jobs.push(async () => {
      try {
        vm.config = configFrom(await count(client.getConfig(vm.node, vm.vmid)));
      } catch (err) {
        vm.configError = (err as Error).message;
        options.log?.warn(
          `Could not read the config of VM ${vm.name} (${vm.vmid}) on ${vm.node}: ` +
            `${(err as Error).message}`,
        );
      }
    });
  }
  for (const t of wantTemplates) {
    if (!online(t.node)) continue;
    jobs.push(async () => {
      const cfg = await count(client.getConfig(t.node, t.vmid));
      (t as { storages?: string[] }).storages = disksOf(cfg).map((d) => d.storage);
    });
  }
  await mapLimit(jobs, limit, (job) => job());

  // Health needs a live answer from the guest agent; only where it can be judged, and not
  // again in a boot during which apply already saw it answer (recorded in the config).
  const probe = wantConfig.filter((v) => {
    if (!specs.has(v.name) || v.status !== 'running' || !v.config?.agent) return false;
    if (v.uptime < grace || v.lock || !online(v.node)) return false;
    const ok = v.config.agentOk;
    if (ok !== undefined && Math.abs(bootStart(now, v.uptime) - ok) <= BOOT_MATCH_SECONDS) {
      v.agent = 'recorded';
      return false;
    }
    return true;
  });
  await mapLimit(probe, limit, async (vm) => {
    try {
      const ifaces = await count(
        withTimeout(
          client.agentNetworkInterfaces(vm.node, vm.vmid),
          options.agentTimeoutMs ?? 5_000,
        ),
      );
      vm.agent = 'ok';
      vm.addresses = ipv4Of(ifaces);
    } catch (err) {
      // Probed only where the config enables the agent; see agent-answer.ts for the rest.
      const failure = classifyAgentFailure(err, true);
      vm.agent = failure.silent ? 'silent' : 'unknown';
      vm.agentDetail = failure.reason;
    }
  });

  return { nodes, templates, vms, requests };
}

function nodeFrom(r: ClusterResource): NodeState {
  const status = r.status === 'online' || r.status === 'offline' ? r.status : 'unknown';
  return {
    name: r.node!,
    status,
    cpus: r.maxcpu ?? 0,
    memoryTotal: r.maxmem ?? 0,
    memoryUsed: typeof r.mem === 'number' ? r.mem : 0,
    bridges: {},
    storages: {},
  };
}

function storageFrom(r: ClusterResource): StorageState {
  const content = typeof r.content === 'string' ? r.content : '';
  const total = typeof r.maxdisk === 'number' ? r.maxdisk : 0;
  const used = typeof r.disk === 'number' ? r.disk : 0;
  const available = r.status === 'available';
  return {
    id: r.storage!,
    content: content.split(',').filter(Boolean).sort(),
    shared: r.shared === 1,
    active: available,
    enabled: true,
    total,
    used,
    avail: available ? Math.max(0, total - used) : 0,
  };
}

function vmFrom(r: ClusterResource): VmState {
  return {
    vmid: r.vmid!,
    name: r.name ?? '',
    node: r.node!,
    status: r.status ?? 'unknown',
    uptime: typeof r.uptime === 'number' ? r.uptime : 0,
    ...(r.lock ? { lock: r.lock } : {}),
    tags: parseTags(r.tags),
    ...(r.hastate ? { hastate: r.hastate } : {}),
    maxmem: r.maxmem ?? 0,
    agent: 'not-probed',
  };
}

function disksOf(cfg: VmConfig): DiskState[] {
  const out: DiskState[] = [];
  for (const [slot, value] of Object.entries(cfg)) {
    if (!DISK_SLOT_RE.test(slot) || typeof value !== 'string') continue;
    const d = parseDisk(value);
    if (d) out.push({ slot, ...d });
  }
  return out.sort((a, b) => a.slot.localeCompare(b.slot, 'en', { numeric: true }));
}

/** Parses the keys of `GET .../config` that plan compares. */
export function configFrom(cfg: VmConfig): VmConfigState {
  const str = (k: string) => (cfg[k] === undefined ? undefined : String(cfg[k]));
  const desc = splitDescription(str('description'));
  return {
    cores: Number(cfg.cores ?? 1),
    sockets: Number(cfg.sockets ?? 1),
    memory: parseMemory(cfg.memory) ?? 512,
    cpu: parseCpu(str('cpu')),
    net0: parseNet(str('net0')),
    disks: disksOf(cfg),
    ipconfig0: str('ipconfig0'),
    nameserver: str('nameserver'),
    ciuser: str('ciuser'),
    sshkeys: decodeSshKeys(str('sshkeys')),
    tags: parseTags(str('tags')),
    description: desc.user,
    template: desc.template,
    fullClone: desc.fullClone,
    agentOk: desc.agentOk,
    ...(desc.owner ? { owner: desc.owner } : {}),
    ...(desc.building ? { building: true } : {}),
    onboot: parseFlag(cfg.onboot),
    agent: parseFlag(cfg.agent),
    protection: parseFlag(cfg.protection),
    memoryHotplug: (str('hotplug') ?? '').split(',').includes('memory'),
    digest: cfg.digest,
  };
}

/** IPv4 addresses a guest reports, loopback excluded. */
export function ipv4Of(ifaces: GuestInterface[]): string[] {
  const out: string[] = [];
  for (const i of ifaces) {
    if (i.name === 'lo') continue;
    for (const a of i['ip-addresses'] ?? []) {
      if (a['ip-address-type'] === 'ipv4' && !a['ip-address'].startsWith('127.0.0.1'))
        out.push(a['ip-address']);
    }
  }
  return out;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer from Proxmox within ${ms} ms`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}
