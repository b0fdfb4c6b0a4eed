// The reliability cases under vitest, so scripts/test covers them. `npm run reliability` runs
// them all (20 race trials, every fault at every point); here 5 race trials, every point for
// SIGKILL and one point for each other fault kind, to keep the suite's time reasonable.
// Fault cases run the CLI bundle (actions/cli/dist/index.cjs): build it first.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startProxmoxSim } from '../../sim/proxmox/index.js';
import { runCli, scratchRepo, simEnv } from './cli-run.js';
import { FAULTS, matrixCase, POINTS } from './faults.cases.js';
import { raceTrial } from './races.cases.js';
import type { ReliabilityOutcome } from './types.js';

/** The outcome, with its one-sentence detail shown when it did not pass. */
const expectPassed = (o: ReliabilityOutcome) =>
  expect({
    passed: o.passed,
    duplicates: o.duplicates,
    orphans: o.orphans,
    detail: o.detail,
  }).toEqual({ passed: true, duplicates: 0, orphans: 0, detail: o.detail });

describe('two applies at once', () => {
  for (const seed of [1, 2, 3, 4, 5])
    it(`never makes a VM twice (seed ${seed})`, async () => expectPassed(await raceTrial(seed)));
});

describe('an apply cut short converges on the next run', () => {
  // Every point for SIGKILL; one point for each other fault, a different one each.
  FAULTS.forEach((fault, i) => {
    for (const point of fault === 'SIGKILL' ? POINTS : [POINTS[(i * 2) % POINTS.length]]) {
      const c = matrixCase(fault, point);
      it(c.name, async () => expectPassed(await c.run()));
    }
  });
});

describe('prune through the CLI', () => {
  it('keeps the VM of a file that exclude now skips', async () => {
    const sim = await startProxmoxSim({ timeScale: 0.05 });
    try {
      const defs = ['keep-a', 'keep-b'].map((name) => ({ name, target_node: 'pve1', memory: 512 }));
      const repo = await scratchRepo(defs);
      const env = simEnv(sim);
      expect((await runCli(['apply'], repo, env)).code).toBe(0);
      await writeFile(
        path.join(repo, 'pve-gitops.yaml'),
        "health:\n  boot_grace_seconds: 2\nprune:\n  enabled: true\nexclude: ['keep-b.yaml']\n",
      );
      const plan = await runCli(['plan'], repo, env);
      expect(plan.code).toBe(0);
      expect(plan.out).toMatch(
        /VM keep-b \(\d+\): its file is excluded .* never deleted\.\nNo changes/,
      );
      expect((await runCli(['apply'], repo, env)).code).toBe(0);
      expect(sim.cluster.vms().map((v) => v.config.name)).toContain('keep-b');
    } finally {
      await sim.stop();
    }
  });
});
