// The caps on health remediation, through the CLI on PVE 8 and PVE 9 simulators: more than
// health.max_unhealthy_percent (40, as Cluster API's MachineHealthCheck maxUnhealthy) hung at
// once → none is touched; otherwise each hung VM is reset, and at most health.max_recreate
// (1) of those a reset did not heal is recreated per run. A hung guest answers 500 "QEMU
// guest agent is not running" (qemu-server PVE::QemuServer::Agent::assert_agent_available).
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ApplyResult } from '../actions/lib/reconcile/apply.js';
import type { ProxmoxSim } from '../sim/proxmox/index.js';
import {
  cleanUpAfterEach,
  cli,
  fingerprint,
  rebootAll,
  repoOn,
  vmids,
  type Repo,
} from './health-helpers.js';

cleanUpAfterEach();

const TEN = Array.from({ length: 10 }, (_, i) => `node-${i}`);
const RESETS = 'POST /nodes/{node}/qemu/{vmid}/status/reset';

async function tenVms(major: 8 | 9): Promise<Repo> {
  const repo = await repoOn(major);
  await repo.writeVms(TEN, 'remediation: recreate\n');
  expect((await cli(['apply', '--repo', repo.dir], repo.env)).code).toBe(0);
  return repo;
}

/**
 * The hang lives in a VM's old disk: once that VM is destroyed, its successor (same name and
 * VMID) boots. Returns the stop function.
 */
function healOnDestroy(sim: ProxmoxSim, hung: string[]): () => void {
  const ids = vmids(sim);
  let left = [...hung];
  const timer = setInterval(() => {
    const still = left.filter((n) => sim.cluster.vm(ids[n]));
    if (still.length !== left.length) sim.setFaults({ hangAtBoot: (left = still) });
  }, 5);
  return () => clearInterval(timer);
}

const createdAt = (sim: ProxmoxSim) =>
  Object.fromEntries(
    Object.entries(vmids(sim)).map(([n, id]) => [n, sim.cluster.vm(id)!.createdAt]),
  );

describe.each([8, 9] as const)('PVE %i: caps on health remediation', (major) => {
  it('six of ten hung at boot: remediates none and says why', async () => {
    const repo = await tenVms(major);
    const hung = TEN.slice(0, 6);
    rebootAll(repo.sim, hung);
    const before = fingerprint(repo.sim);
    const mutations = repo.sim.stats().mutations;

    const applied = await cli(['apply', '--repo', repo.dir, '--json'], repo.env);
    expect(applied.code).toBe(0);
    const result = JSON.parse(applied.out) as ApplyResult;
    expect(result.plan.remediationHeld).toMatch(
      /^6 of 10 managed VMs \(60 %\) are hung, more than health\.max_unhealthy_percent \(40 %\)/,
    );
    expect(result.message).toContain(result.plan.remediationHeld);
    expect(result.held.map((h) => h.vm).sort()).toEqual(hung);
    expect(result.plan.actions.filter((a) => a.kind !== 'noop')).toEqual([]);
    expect(repo.sim.stats().mutations).toBe(mutations);
    expect(fingerprint(repo.sim)).toBe(before);
    expect(applied.err).toMatch(/warning: .*6 of 10 managed VMs \(60 %\) are hung/);
  });

  it('two of ten: resets both, recreates one (max_recreate) and leaves one for the next run', async () => {
    const repo = await tenVms(major);
    const hung = ['node-3', 'node-7'];
    rebootAll(repo.sim, hung);
    const born = createdAt(repo.sim);
    const ids = vmids(repo.sim);

    const planned = await cli(['plan', '--repo', repo.dir], repo.env);
    expect(planned.code).toBe(2);
    expect(planned.out.split('\n').slice(0, 3)).toEqual([
      'DESTRUCTIVE (2):',
      expect.stringMatching(
        /^ {2}node-3 \(\d+\) on pve1: reset, then recreate .* if still hung/,
      ) as string,
      expect.stringMatching(/^ {2}node-7 \(\d+\) on pve2: reset, then recreate/) as string,
    ]);

    const stop = healOnDestroy(repo.sim, hung);
    let result: ApplyResult;
    try {
      const applied = await cli(['apply', '--repo', repo.dir, '--json'], repo.env);
      expect(applied.code).toBe(0);
      result = JSON.parse(applied.out) as ApplyResult;
    } finally {
      stop();
    }
    expect(repo.sim.stats()[RESETS]).toBe(2);
    const now = createdAt(repo.sim);
    const recreated = hung.filter((n) => now[n] !== born[n]);
    expect(recreated).toHaveLength(1);
    const other = hung.find((n) => n !== recreated[0])!;
    expect(now[other]).toBe(born[other]);
    expect(vmids(repo.sim)).toEqual(ids); // same VMIDs, nothing else touched
    for (const n of TEN.filter((x) => !hung.includes(x))) expect(now[n]).toBe(born[n]);
    expect(result.failed).toEqual([]);
    expect(result.newHosts.map((h) => h.name)).toEqual(recreated);
    expect(result.held).toEqual([
      { vm: other, reason: expect.stringMatching(/health\.max_recreate/) as string },
    ]);
    expect(result.message).toMatch(
      new RegExp(`Still hung, left for the next run \\(health\\.max_recreate 1\\): ${other}\\.`),
    );

    // The next run, a while later: the other one is still hung, so it is reset again and then
    // recreated.
    rebootAll(repo.sim, [other]);
    const stop2 = healOnDestroy(repo.sim, [other]);
    try {
      const next = JSON.parse(
        (await cli(['apply', '--repo', repo.dir, '--json'], repo.env)).out,
      ) as ApplyResult;
      expect(next.held).toEqual([]);
      expect(next.newHosts.map((h) => h.name)).toEqual([other]);
    } finally {
      stop2();
    }
    expect(createdAt(repo.sim)[other]).not.toBe(born[other]);
  });

  it('max_recreate 0: a VM a reset did not heal is reported, never destroyed', async () => {
    const repo = await repoOn(major);
    await writeFile(
      path.join(repo.dir, 'pve-gitops.yaml'),
      'health:\n  boot_grace_seconds: 1\n  agent_timeout_seconds: 2\n  max_recreate: 0\n',
    );
    await repo.writeVms(['lone']);
    expect((await cli(['apply', '--repo', repo.dir], repo.env)).code).toBe(0);
    rebootAll(repo.sim, ['lone']);
    const born = createdAt(repo.sim);
    const applied = await cli(['apply', '--repo', repo.dir, '--json'], repo.env);
    const result = JSON.parse(applied.out) as ApplyResult;
    expect(result.held).toEqual([
      {
        vm: 'lone',
        reason: expect.stringMatching(
          /^still hung after a reset, but health\.max_recreate \(0\) allows no more/,
        ) as string,
      },
    ]);
    expect(repo.sim.stats()[RESETS]).toBe(1);
    expect(repo.sim.stats()['DELETE /nodes/{node}/qemu/{vmid}'] ?? 0).toBe(0);
    expect(createdAt(repo.sim)).toEqual(born);
  });
});
