// What the fault and race cases check in the simulated cluster after a run, and the seeded
// randomness they interleave requests with.
import type { HttpMethod, Params, Transport } from '../../actions/lib/proxmox/transport.js';
import { splitDescription } from '../../actions/lib/reconcile/description.js';
import { OWNER_TAG } from '../../actions/lib/vm/types.js';
import { seededRandom } from '../../sim/proxmox/faults.js';
import type { ProxmoxSim } from '../../sim/proxmox/index.js';

/** Mulberry32, the simulator's own: a failing interleaving can be replayed by its seed. */
export const seeded = seededRandom;

/** Delays each request by a random 0..maxMs: two clients then interleave differently per seed. */
export class JitterTransport implements Transport {
  constructor(
    private readonly inner: Transport,
    private readonly random: () => number,
    private readonly maxMs: number,
  ) {}
  get description(): string {
    return this.inner.description;
  }
  async request(method: HttpMethod, path: string, params?: Params): Promise<unknown> {
    await new Promise((r) => setTimeout(r, Math.floor(this.random() * this.maxMs)));
    return this.inner.request(method, path, params);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

/** The non-template VMs of the simulator, with what the checks need. */
function vmsOf(sim: ProxmoxSim) {
  return sim.cluster
    .vms()
    .filter((v) => !v.config.template)
    .map((v) => ({
      vmid: v.vmid,
      name: String(v.config.name ?? ''),
      tags: String(v.config.tags ?? '').split(/[;, ]+/),
      lock: v.config.lock,
      building: !!splitDescription(
        v.config.description === undefined ? undefined : String(v.config.description),
      ).building,
    }));
}

/** VMs beyond the first of each name: a second VM of one definition. */
export function duplicatesIn(sim: ProxmoxSim): number {
  const counts = new Map<string, number>();
  for (const v of vmsOf(sim)) counts.set(v.name, (counts.get(v.name) ?? 0) + 1);
  return [...counts.values()].reduce((n, c) => n + Math.max(0, c - 1), 0);
}

/** VMs left half-made or not owned: untagged, still `building`, locked, or of no definition. */
export function orphansIn(sim: ProxmoxSim, names: string[]): string[] {
  return vmsOf(sim)
    .filter((v) => !names.includes(v.name) || !v.tags.includes(OWNER_TAG) || v.building || v.lock)
    .map((v) => `${v.name || '(no name)'} (${v.vmid})`);
}

/** Waits until no simulated task runs any more (a killed client's clone still finishes). */
export async function tasksSettled(sim: ProxmoxSim, timeoutMs = 30_000): Promise<void> {
  const started = Date.now();
  while (Object.values(sim.cluster.state.tasks).some((t) => t.status === 'running')) {
    if (Date.now() - started > timeoutMs) throw new Error('simulated tasks still running');
    await new Promise((r) => setTimeout(r, 20));
  }
}
