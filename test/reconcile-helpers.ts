// Shared setup for the reconcile suites: a simulator on loopback, a client trusting it by
// fingerprint, and VM definitions turned into specs with the repository defaults.
import { afterEach, expect } from 'vitest';
import { mergeConfig, type PartialConfig } from '../actions/lib/config/load.js';
import type { RepoConfig } from '../actions/lib/config/types.js';
import { memoryLogger } from '../actions/lib/log.js';
import type { ProxmoxClient } from '../actions/lib/proxmox/client.js';
import { KeyedLimiter } from '../actions/lib/proxmox/limiter.js';
import {
  applyRepository,
  readAndPlan,
  type ReconcileOptions,
} from '../actions/lib/reconcile/apply.js';
import { toVmSpec } from '../actions/lib/vm/normalize.js';
import type { VmDefinition, VmSpec } from '../actions/lib/vm/types.js';
import { startProxmoxSim, type ProxmoxSim, type ProxmoxSimOptions } from '../sim/proxmox/index.js';
import { proxmoxClientFor } from '../sim/proxmox/client-for.js';

export const PASSWORD = 'cloud-init-pw-7f3a';

/** Asymmetric matchers typed as the strings they stand for. */
export const like = {
  stringMatching: (re: RegExp) => expect.stringMatching(re) as string,
  stringContaining: (text: string) => expect.stringContaining(text) as string,
};

/** A client of `sim` over HTTPS that trusts its certificate by fingerprint. */
/** The project's client for this simulator (see sim/proxmox/client-for.ts). */
export const simClient = proxmoxClientFor;

const open = new Set<Harness>();

/** In a suite: after each test, closes every harness it started. */
export function closeHarnessesAfterEach(): void {
  afterEach(async () => {
    const started = [...open];
    open.clear();
    await Promise.all(started.map((h) => h.close()));
  });
}

export interface Harness {
  sim: ProxmoxSim;
  client: ProxmoxClient;
  log: ReturnType<typeof memoryLogger>;
  config: RepoConfig;
  specs(defs: VmDefinition[]): VmSpec[];
  apply(defs: VmDefinition[], o?: ReconcileOptions): ReturnType<typeof applyRepository>;
  plan(defs: VmDefinition[], o?: ReconcileOptions): ReturnType<typeof readAndPlan>;
  mutations(): number;
  close(): Promise<void>;
}

export async function harness(
  opts: ProxmoxSimOptions = {},
  partial: PartialConfig = {},
): Promise<Harness> {
  const sim = await startProxmoxSim({ timeScale: 0.02, ...opts });
  const log = memoryLogger();
  const client = simClient(sim, {
    log,
    retry: { attempts: 4, baseMs: 20, maxMs: 100 },
    storageLimiter: new KeyedLimiter(1),
  });
  const config = mergeConfig({
    health: { boot_grace_seconds: 1, agent_timeout_seconds: 2 },
    ...partial,
  });
  const specs = (defs: VmDefinition[]) =>
    defs.map((d) => toVmSpec(d, `vms/${d.name}.yaml`, config));
  const h: Harness = {
    sim,
    client,
    log,
    config,
    specs,
    apply: (defs, o = {}) =>
      applyRepository(
        { config, vms: specs(defs) },
        { client, log, env: { CI_CLOUDINIT_PASSWORD: PASSWORD } },
        { agentWaitMs: 1_500, ...o },
      ),
    plan: (defs, o = {}) => readAndPlan({ config, vms: specs(defs) }, client, log, o),
    mutations: () => sim.stats().mutations ?? 0,
    async close() {
      open.delete(h);
      await client.close();
      await sim.stop();
    },
  };
  open.add(h);
  return h;
}

/** A small VM definition on `node`. */
export function def(name: string, node = 'pve1', over: Partial<VmDefinition> = {}): VmDefinition {
  return {
    name,
    target_node: node,
    cores: 1,
    memory: 1024,
    disks: { scsi0: { size: '8G' } },
    ...over,
  };
}

/**
 * Moves a VM's boot and the boot apply recorded in its notes `seconds` into the past, as if
 * apply had run that long ago (the recorded boot start is epoch seconds).
 */
export function ageVm(h: Harness, vmid: number, seconds: number): void {
  const vm = h.sim.cluster.vm(vmid)!;
  vm.startedAt = (vm.startedAt ?? Date.now()) - seconds * 1000;
  vm.config.description = String(vm.config.description ?? '').replace(
    /agent-ok=(\d+)/,
    (_, n: string) => `agent-ok=${Number(n) - seconds}`,
  );
}

/** A new boot of a running VM `uptimeSeconds` ago (its QEMU process restarted). */
export function rebootVm(h: Harness, vmid: number, uptimeSeconds: number): void {
  h.sim.cluster.vm(vmid)!.startedAt = Date.now() - uptimeSeconds * 1000;
}

/** Guest-agent probes the simulator answered (or refused) so far. */
export const agentProbes = (h: Harness): number =>
  h.sim.stats()['GET /nodes/{node}/qemu/{vmid}/agent/network-get-interfaces'] ?? 0;
