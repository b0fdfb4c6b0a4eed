import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { ConfigurationError } from '../../actions/lib/errors.js';
import { pveMajorOf, type PveMajor } from './schema.js';
import type { ClusterState, StorageState, VmState } from './state.js';
import type { ClusterFixture, Timings, VmFixture } from './types.js';

const GiB = 1024 ** 3;

/** Default durations (ms, before timeScale) and windows. */
export const defaultTimings: Timings = {
  tasks: {
    qmclone: 1000,
    'qmclone-full': 7000,
    qmcreate: 1000,
    qmstart: 1500,
    qmstop: 500,
    qmshutdown: 3000,
    qmreboot: 4000,
    qmreset: 500,
    qmsuspend: 300,
    qmresume: 300,
    qmdestroy: 1000,
    resize: 500,
    qmconfig: 300,
    qmigrate: 5000,
    hastart: 1000,
    hastop: 1000,
  },
  fullCloneStorageLock: 5500,
  agentBoot: 8000,
  statsWindow: 10000,
  taskStatusRace: 0,
  authFailDelay: 3000,
};

const templateNodes: [number, string][] = [
  [9000, 'pve1'],
  [9001, 'pve2'],
  [9002, 'still-fawn'],
];

/** Three nodes, local-lvm on each, and the cloud-init template on each node. */
export const defaultFixture: ClusterFixture = {
  nodes: ['pve1', 'pve2', 'still-fawn'].map((name) => ({
    name,
    memoryGiB: 64,
    cpus: 16,
    bridges: ['vmbr0', 'vmbr1'],
  })),
  storages: [
    {
      id: 'local-lvm',
      type: 'lvmthin',
      content: ['images', 'rootdir'],
      totalGiB: 800,
      usedGiB: 40,
    },
    {
      id: 'local',
      type: 'dir',
      content: ['iso', 'vztmpl', 'snippets', 'backup'],
      totalGiB: 100,
      usedGiB: 12,
    },
  ],
  vms: templateNodes.map(([vmid, node]) => ({
    vmid,
    node,
    name: 'ubuntu-24.04-cloudinit',
    template: true,
    diskGiB: 4,
    storage: 'local-lvm',
  })),
};

/** What `GET /version` reports when the fixture names no release. */
export const defaultVersions: Record<PveMajor, string> = { 8: '8.4.14', 9: '9.1.1' };

/**
 * The release to report: `pveVersion` (the option, else the fixture's key) picks the major, the
 * fixture's `version` the exact release; a `version` of another major is refused.
 */
export function releaseFor(f: ClusterFixture, pveVersion?: PveMajor): string {
  const raw: unknown = pveVersion ?? f.pveVersion;
  const major = raw === undefined ? undefined : Number(raw);
  if (major !== undefined && major !== 8 && major !== 9)
    throw new ConfigurationError(`pveVersion must be 8 or 9, not ${String(raw)}.`);
  if (f.version === undefined) return defaultVersions[major ?? 9];
  let of: PveMajor;
  try {
    of = pveMajorOf(String(f.version));
  } catch (err) {
    throw new ConfigurationError((err as Error).message);
  }
  if (major !== undefined && of !== major)
    throw new ConfigurationError(
      `The fixture's version ${f.version} is not a Proxmox VE ${major} release (pveVersion ${major}).`,
    );
  return String(f.version);
}

/** Reads a fixture from a YAML/JSON file or takes the object as is. */
export function loadFixture(src: string | ClusterFixture | undefined): ClusterFixture {
  if (src === undefined) return defaultFixture;
  if (typeof src !== 'string') return src;
  let text: string;
  try {
    text = readFileSync(src, 'utf8');
  } catch {
    throw new ConfigurationError(`Cannot read the simulator fixture file ${src}.`);
  }
  const data = parse(text) as ClusterFixture | null;
  if (
    !data ||
    !Array.isArray(data.nodes) ||
    data.nodes.length === 0 ||
    !Array.isArray(data.storages)
  )
    throw new ConfigurationError(
      `Fixture ${src} must have a non-empty 'nodes' list and a 'storages' list.`,
    );
  for (const n of data.nodes)
    if (typeof n?.name !== 'string')
      throw new ConfigurationError(`Fixture ${src}: every node needs a 'name'.`);
  return data;
}

/** A MAC address in Proxmox's BC:24:11 range, derived from the VMID and index. */
export function macFor(vmid: number, i = 0): string {
  const n = (vmid * 7 + i * 13) & 0xffffff;
  return ['BC', '24', '11', n >> 16, (n >> 8) & 0xff, n & 0xff]
    .map((x) => (typeof x === 'string' ? x : x.toString(16).padStart(2, '0').toUpperCase()))
    .join(':');
}

function vmFromFixture(v: VmFixture, now: number): VmState {
  const storage = v.storage ?? 'local-lvm';
  const prefix = v.template ? 'base' : 'vm';
  const config: Record<string, string | number> = {
    name: v.name,
    memory: '2048',
    cores: 2,
    sockets: 1,
    cpu: 'x86-64-v2-AES',
    ostype: 'l26',
    scsihw: 'virtio-scsi-pci',
    boot: 'order=scsi0',
    agent: '1',
    serial0: 'socket',
    vga: 'serial0',
    net0: `virtio=${macFor(v.vmid)},bridge=vmbr0`,
    scsi0: `${storage}:${prefix}-${v.vmid}-disk-0,size=${v.diskGiB ?? 4}G`,
    ide2: `${storage}:vm-${v.vmid}-cloudinit,media=cdrom`,
    smbios1: `uuid=00000000-0000-4000-8000-${String(v.vmid).padStart(12, '0')}`,
    vmgenid: `00000000-0000-4000-8000-${String(v.vmid).padStart(12, '0')}`,
    ...(v.template ? { template: 1 } : {}),
    ...v.config,
  };
  const running = v.status === 'running' || v.status === 'paused';
  return {
    vmid: v.vmid,
    node: v.node,
    config,
    pending: {},
    pendingDelete: [],
    status: running ? 'running' : 'stopped',
    qmpstatus: v.status ?? 'stopped',
    startedAt: running ? now - 3600_000 : undefined,
    createdAt: now - 86400_000,
    ha: v.ha,
  };
}

/** The initial cluster state for a fixture. */
export function stateFromFixture(
  f: ClusterFixture,
  tokenSecret: string,
  password: string,
  pveVersion?: PveMajor,
): ClusterState {
  const now = Date.now();
  const storages: StorageState[] = f.storages.map((s) => ({
    id: s.id,
    type: s.type,
    content: Array.isArray(s.content) ? s.content : s.content.split(','),
    shared: !!s.shared,
    nodes: s.nodes,
    total: Math.round((s.totalGiB ?? 500) * GiB),
    used: Math.round((s.usedGiB ?? 0) * GiB),
    enabled: s.enabled ?? true,
    active: s.active ?? true,
  }));
  const vms: Record<string, VmState> = {};
  for (const v of f.vms ?? []) vms[v.vmid] = vmFromFixture(v, now);
  return {
    version: releaseFor(f, pveVersion),
    nodes: f.nodes.map((n) => ({
      name: n.name,
      memory: Math.round((n.memoryGiB ?? 64) * GiB),
      cpus: n.cpus ?? 16,
      status: n.status ?? 'online',
      bridges: (n.bridges ?? ['vmbr0']).map((b) =>
        typeof b === 'string'
          ? { iface: b, active: true }
          : { iface: b.iface, active: b.active ?? true },
      ),
    })),
    storages,
    vms,
    tasks: {},
    timings: {
      ...defaultTimings,
      ...f.timings,
      tasks: { ...defaultTimings.tasks, ...f.timings?.tasks },
    },
    tokens: [{ id: 'root@pam!pve-gitops', secret: tokenSecret }],
    users: [{ id: 'root@pam', password }],
    tickets: {},
    pid: 100000 + Math.floor(Math.random() * 100000),
    mutations: 0,
    execs: {},
  };
}
