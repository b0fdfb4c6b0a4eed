// Two applies of one repository state at the same time (two CI jobs, a laptop and a CI job):
// each trial runs them on two clients whose requests are delayed by a seeded random amount,
// so every seed interleaves them differently. Proxmox's clone refuses an id that exists
// ("unable to create VM <id>: config file already exists", qemu-server's clone_vm, see
// docs/reference/proxmox-behaviour.md), and both runs aim at the id derived from the name.
import { mergeConfig } from '../../actions/lib/config/load.js';
import { describeError } from '../../actions/lib/errors.js';
import { memoryLogger } from '../../actions/lib/log.js';
import { ProxmoxClient } from '../../actions/lib/proxmox/client.js';
import { HttpsTransport } from '../../actions/lib/proxmox/https-transport.js';
import { KeyedLimiter } from '../../actions/lib/proxmox/limiter.js';
import { applyRepository, readAndPlan } from '../../actions/lib/reconcile/apply.js';
import { toVmSpec } from '../../actions/lib/vm/normalize.js';
import type { VmDefinition } from '../../actions/lib/vm/types.js';
import { startProxmoxSim, type ProxmoxSim } from '../../sim/proxmox/index.js';
import { duplicatesIn, JitterTransport, orphansIn, seeded } from './cluster-checks.js';
import type { ReliabilityCase, ReliabilityOutcome } from './types.js';

/** Trials `npm run reliability` runs; the vitest suite runs fewer (see reliability.test.ts). */
export const RACE_TRIALS = 20;

const DEFS: VmDefinition[] = [
  { name: 'race-a', target_node: 'pve1', cores: 1, memory: 1024, disks: { scsi0: { size: '8G' } } },
  { name: 'race-b', target_node: 'pve2', cores: 1, memory: 1024 },
  { name: 'race-c', target_node: 'pve1', cores: 1, memory: 512, state: 'stopped' },
];

function jitteredClient(
  sim: ProxmoxSim,
  random: () => number,
  log: ReturnType<typeof memoryLogger>,
) {
  const https = new HttpsTransport({
    url: sim.url,
    tokenId: sim.tokenId,
    tokenSecret: sim.tokenSecret,
    tls: { mode: 'fingerprint', fingerprint: sim.fingerprint },
  });
  return new ProxmoxClient({
    transport: new JitterTransport(https, random, 25),
    log,
    retry: { attempts: 4, baseMs: 20, maxMs: 100 },
    storageLimiter: new KeyedLimiter(1),
  });
}

/**
 * One trial: two applies started up to 400 ms apart. Passes when both end without a failure
 * (exit 0), every VM exists once, owned and complete, and a plan afterwards has no changes.
 */
export async function raceTrial(seed: number): Promise<ReliabilityOutcome> {
  const random = seeded(seed);
  const sim = await startProxmoxSim({ timeScale: 0.02 });
  const config = mergeConfig({ health: { boot_grace_seconds: 1, agent_timeout_seconds: 2 } });
  const repo = { config, vms: DEFS.map((d) => toVmSpec(d, `vms/${d.name}.yaml`, config)) };
  const logs = [memoryLogger(), memoryLogger()];
  const clients = logs.map((log) => jitteredClient(sim, random, log));
  try {
    const offset = Math.floor(random() * 400);
    const runs = await Promise.allSettled(
      clients.map(async (client, i) => {
        if (i === 1) await new Promise((r) => setTimeout(r, offset));
        return applyRepository(repo, { client, log: logs[i], env: {} }, { agentWaitMs: 2_000 });
      }),
    );
    const problems: string[] = [];
    runs.forEach((r, i) => {
      if (r.status === 'rejected') problems.push(`run ${i + 1} threw: ${describeError(r.reason)}`);
      else if (r.value.failed.length)
        problems.push(
          `run ${i + 1}: ${r.value.message} (${r.value.failed.map((f) => f.error).join('; ')})`,
        );
    });
    const duplicates = duplicatesIn(sim);
    const orphans = orphansIn(
      sim,
      DEFS.map((d) => d.name),
    );
    const after = await readAndPlan(repo, clients[0], logs[0]);
    if (after.plan.hasChanges || after.plan.errors.length)
      problems.push(`the plan afterwards is not empty (${JSON.stringify(after.plan.summary)})`);
    const elsewhere = runs.flatMap((r) =>
      r.status === 'fulfilled' ? r.value.done.filter((d) => d.byAnotherRun) : [],
    ).length;
    return {
      passed: problems.length === 0 && duplicates === 0 && orphans.length === 0,
      duplicates,
      orphans: orphans.length,
      detail:
        `seed ${seed}, second run ${offset} ms later: ${duplicates} duplicates, ` +
        `${orphans.length} orphans${orphans.length ? ` (${orphans.join(', ')})` : ''}, ` +
        `${elsewhere} VMs left to the other run` +
        (problems.length ? `; ${problems.join('; ')}` : ''),
    };
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await sim.stop();
  }
}

export const cases: ReliabilityCase[] = Array.from({ length: RACE_TRIALS }, (_, i) => ({
  class: 'race' as const,
  name: `two applies at once, seed ${i + 1}`,
  run: () => raceTrial(i + 1),
}));
