// The Proxmox client against the simulator with 25 ms latency per answer:
// - state read: cluster resources plus the configs of 100 VMs (target: median <= 0.5 s);
// - twenty full clones of one template onto one local storage, all requested at once
//   (targets: zero failures, total <= 1.2 x clone duration x 20).
import { memoryLogger, type Logger } from '../actions/lib/log.js';
import { ProxmoxClient, cloneVm, mapLimit } from '../actions/lib/proxmox/index.js';
import { startProxmoxSim, type ClusterFixture } from '../sim/proxmox/index.js';
import { proxmoxClientFor, type SimEndpoint } from '../sim/proxmox/client-for.js';
import { defaultFixture, defaultTimings } from '../sim/proxmox/fixture.js';
import { median } from './util.js';

const LATENCY_MS = 25;
const TIME_SCALE = 0.1;

const client = (sim: SimEndpoint, log: Logger = memoryLogger()): ProxmoxClient =>
  proxmoxClientFor(sim, { log });

async function readState(): Promise<Record<string, unknown>> {
  const nodes = ['pve1', 'pve2', 'still-fawn'];
  const fixture: ClusterFixture = {
    ...defaultFixture,
    vms: [
      ...(defaultFixture.vms ?? []),
      ...Array.from({ length: 100 }, (_, i) => ({
        vmid: 100 + i,
        node: nodes[i % 3],
        name: `bench-${i}`,
        diskGiB: 8,
        storage: 'local-lvm',
      })),
    ],
  };
  const sim = await startProxmoxSim({ fixture, latencyMs: LATENCY_MS });
  const c = client(sim);
  const times: number[] = [];
  try {
    for (let run = 0; run < 7; run++) {
      const t0 = performance.now();
      const vms = (await c.clusterResources('vm')).filter((v) => !v.template);
      const configs = await mapLimit(vms, 16, (v) => c.getConfig(v.node!, v.vmid!));
      times.push((performance.now() - t0) / 1000);
      if (configs.length !== 100 || configs.some((x) => !x.name?.startsWith('bench-')))
        throw new Error(`read ${configs.length} configs, expected 100`);
    }
  } finally {
    await c.close();
    await sim.stop();
  }
  const m = median(times);
  return {
    vms: 100,
    latency_ms: LATENCY_MS,
    runs: times.length,
    median_s: round(m),
    target_s: 0.5,
    ok: m <= 0.5,
  };
}

async function twentyClones(): Promise<Record<string, unknown>> {
  const cloneMs = (defaultTimings.tasks['qmclone-full'] ?? 6000) * TIME_SCALE;
  const lockMs = defaultTimings.fullCloneStorageLock * TIME_SCALE;
  const totals: number[] = [];
  let failures = 0;
  let retries = 0;
  for (let run = 0; run < 3; run++) {
    const sim = await startProxmoxSim({ latencyMs: LATENCY_MS, timeScale: TIME_SCALE });
    const log = memoryLogger();
    const c = client(sim, log);
    try {
      const t0 = performance.now();
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) =>
          cloneVm(c, {
            node: 'pve1',
            template: 9000,
            name: `clone-${i}`,
            full: true,
            storage: 'local-lvm',
          }),
        ),
      );
      totals.push((performance.now() - t0) / 1000);
      failures += results.filter((r) => r.status === 'rejected').length;
      retries += log.lines.filter((l) => l.includes('retrying')).length;
      const ids = new Set(results.flatMap((r) => (r.status === 'fulfilled' ? [r.value.vmid] : [])));
      if (ids.size !== results.length - results.filter((r) => r.status === 'rejected').length)
        throw new Error('duplicate VMIDs');
    } finally {
      await c.close();
      await sim.stop();
    }
  }
  const m = median(totals);
  const serialClone = (20 * cloneMs) / 1000;
  const serialLock = (20 * lockMs) / 1000;
  return {
    clones: 20,
    runs: totals.length,
    failures,
    retries,
    latency_ms: LATENCY_MS,
    clone_duration_s: cloneMs / 1000,
    storage_lock_s: lockMs / 1000,
    median_total_s: round(m),
    ratio_to_serial_clone_time: round(m / serialClone),
    ratio_to_serial_lock_time: round(m / serialLock),
    target_ratio: 1.2,
    ok: failures === 0 && m / serialClone <= 1.2,
  };
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

export default async function (): Promise<Record<string, unknown>> {
  return { read_100_vms: await readState(), twenty_clones_one_storage: await twentyClones() };
}
