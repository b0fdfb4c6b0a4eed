// An apply cut short the ways real runs are: killed (SIGKILL: a runner lost; SIGTERM, SIGINT:
// a cancelled CI job or Ctrl-C), its node going offline, or its TLS check failing (a node
// re-installed with a new certificate) — at each step boundary of building a VM and inside
// its tasks. The next apply must converge: every VM once, owned and complete, and `plan`
// then says no changes. The CLI runs as a user runs it (its own process, killed for real).
import { mergeConfig } from '../../actions/lib/config/load.js';
import { memoryLogger } from '../../actions/lib/log.js';
import { KeyedLimiter } from '../../actions/lib/proxmox/limiter.js';
import { applyRepository } from '../../actions/lib/reconcile/apply.js';
import { toVmSpec } from '../../actions/lib/vm/normalize.js';
import type { VmDefinition } from '../../actions/lib/vm/types.js';
import { proxmoxClientFor } from '../../sim/proxmox/client-for.js';
import { startProxmoxSim, type ProxmoxSim } from '../../sim/proxmox/index.js';
import { runCli, scratchRepo, simEnv, startCli, type CliRun } from './cli-run.js';
import { duplicatesIn, orphansIn, tasksSettled } from './cluster-checks.js';
import type { ReliabilityCase, ReliabilityOutcome } from './types.js';

const DEFS: VmDefinition[] = [
  {
    name: 'crash-a',
    target_node: 'pve1',
    cores: 1,
    memory: 1024,
    disks: { scsi0: { size: '8G' } },
  },
  { name: 'crash-b', target_node: 'pve2', cores: 1, memory: 1024 },
];
const NAMES = DEFS.map((d) => d.name);

/** Where a fault strikes: the nth arrival of a request (before the simulator handles it). */
export interface Point {
  name: string;
  request: string;
  nth: number;
}

/** Each step boundary of a build, and inside its clone and start tasks. */
export const POINTS: Point[] = [
  { name: 'before the clone', request: 'POST /nodes/{node}/qemu/{vmid}/clone', nth: 1 },
  { name: 'inside the clone task', request: 'GET /nodes/{node}/tasks/{upid}/status', nth: 1 },
  { name: 'before the config', request: 'PUT /nodes/{node}/qemu/{vmid}/config', nth: 1 },
  { name: 'before the resize', request: 'PUT /nodes/{node}/qemu/{vmid}/resize', nth: 1 },
  { name: 'before the start', request: 'POST /nodes/{node}/qemu/{vmid}/status/start', nth: 1 },
  {
    name: 'inside the start, waiting for the agent',
    request: 'GET /nodes/{node}/qemu/{vmid}/agent/network-get-interfaces',
    nth: 1,
  },
  { name: 'before the last note', request: 'PUT /nodes/{node}/qemu/{vmid}/config', nth: 3 },
];

export type Fault =
  'SIGKILL' | 'SIGTERM' | 'SIGINT' | 'SIGINT-twice' | 'node-offline' | 'tls-failure';
export const FAULTS: Fault[] = [
  'SIGKILL',
  'SIGTERM',
  'SIGINT',
  'SIGINT-twice',
  'node-offline',
  'tls-failure',
];

/** A simulator that calls `strike` once, at the point's request. */
async function simStriking(point: Point, strike: (sim: ProxmoxSim) => void) {
  let seen = 0;
  let armed = true;
  let struck = false;
  const holder: { sim?: ProxmoxSim } = {};
  const sim = await startProxmoxSim({
    timeScale: 0.05,
    onRequest: (method, template) => {
      if (!armed || `${method} ${template}` !== point.request || ++seen < point.nth) return;
      armed = false;
      struck = true;
      strike(holder.sim!);
    },
  });
  holder.sim = sim;
  return { sim, struck: () => struck, disarm: () => (armed = false) };
}

/**
 * Kills the CLI's apply at the point with `signal` (twice in a row for `SIGINT-twice`: the
 * second one must end it at once), then runs plan, apply and plan again.
 */
async function killCase(
  fault: 'SIGKILL' | 'SIGTERM' | 'SIGINT' | 'SIGINT-twice',
  point: Point,
): Promise<ReliabilityOutcome> {
  const signal = fault === 'SIGINT-twice' ? 'SIGINT' : fault;
  const repo = await scratchRepo(DEFS);
  let run: CliRun | undefined;
  const { sim, struck } = await simStriking(point, () => {
    run!.child.kill(signal);
    // The second signal once the first was seen (its warning on stderr), as a user would.
    if (fault === 'SIGINT-twice') secondWhenSeen(run!);
  });
  try {
    const env = simEnv(sim);
    run = startCli(['apply'], repo, env);
    const first = await run.done;
    await tasksSettled(sim);
    const problems: string[] = [];
    if (!struck()) problems.push('the point was never reached');
    // SIGINT/SIGTERM: running tasks finish, then a summary and 128 + the signal's number.
    const expected = signal === 'SIGINT' ? 130 : signal === 'SIGTERM' ? 143 : undefined;
    const summary = fault === 'SIGINT-twice' ? /SIGINT again: exiting now/ : /^Interrupted/m;
    const said = fault === 'SIGINT-twice' ? first.err : first.out;
    if (expected !== undefined && (first.code !== expected || !summary.test(said)))
      problems.push(`the interrupted apply exited ${first.code} (${said.trim().slice(-300)})`);
    // What is left is planned as work to finish, never refused and never a remediation.
    const between = await runCli(['plan', '--json'], repo, env);
    const planned = between.code === 1 ? undefined : parsePlan(between.out);
    if (!planned) problems.push(`plan after the fault exited 1: ${lastLine(between)}`);
    else if (planned.actions.some((a) => a.kind === 'remediate' || a.kind === 'replace'))
      problems.push(`plan after the fault proposes ${JSON.stringify(planned.summary)}`);
    return await converge(sim, repo, env, problems, `${fault} ${point.name}`);
  } finally {
    await sim.stop();
  }
}

/** Takes pve1 offline or swaps the served certificate at the point, in-process, then heals. */
async function faultCase(fault: 'node-offline' | 'tls-failure', point: Point) {
  const repo = await scratchRepo(DEFS);
  const { sim, struck } = await simStriking(point, (s) =>
    s.setFaults(fault === 'node-offline' ? { offlineNodes: ['pve1'] } : { swapCertificate: true }),
  );
  try {
    const env = simEnv(sim);
    const config = mergeConfig({ health: { boot_grace_seconds: 2, agent_timeout_seconds: 2 } });
    const vms = DEFS.map((d) => toVmSpec(d, `vms/${d.name}.yaml`, config));
    const log = memoryLogger();
    const client = proxmoxClientFor(sim, {
      log,
      retry: { attempts: 2, baseMs: 20, maxMs: 50 },
      storageLimiter: new KeyedLimiter(1),
    });
    const problems: string[] = [];
    let first = 'threw';
    try {
      const r = await applyRepository({ config, vms }, { client, log, env: {} });
      first = `${r.failed.length} failed`;
      if (struck() && !r.failed.length) problems.push(`apply did not notice the ${fault}`);
    } catch {
      // A fault during the read refuses the whole run: nothing was changed.
    } finally {
      await client.close();
    }
    if (!struck()) problems.push('the point was never reached');
    sim.setFaults({});
    await tasksSettled(sim);
    return await converge(
      sim,
      repo,
      env,
      problems,
      `${fault} ${point.name} (first apply ${first})`,
    );
  } finally {
    await sim.stop();
  }
}

/** apply again exits 0, plan exits 0, and the cluster holds each VM once, complete. */
async function converge(
  sim: ProxmoxSim,
  repo: string,
  env: NodeJS.ProcessEnv,
  problems: string[],
  what: string,
): Promise<ReliabilityOutcome> {
  const again = await runCli(['apply'], repo, env);
  if (again.code !== 0) problems.push(`apply again exited ${again.code}: ${lastLine(again)}`);
  const plan = await runCli(['plan'], repo, env);
  if (plan.code !== 0) problems.push(`plan afterwards exited ${plan.code}: ${lastLine(plan)}`);
  const duplicates = duplicatesIn(sim);
  const orphans = orphansIn(sim, NAMES);
  return {
    passed: problems.length === 0 && duplicates === 0 && orphans.length === 0,
    duplicates,
    orphans: orphans.length,
    detail:
      `${what}: ${duplicates} duplicates, ${orphans.length} orphans` +
      (orphans.length ? ` (${orphans.join(', ')})` : '') +
      (problems.length ? `; ${problems.join('; ')}` : '; apply again converged, plan empty'),
  };
}

/** Sends SIGINT again as soon as the first one was acknowledged on stderr. */
function secondWhenSeen(run: CliRun): void {
  const watch = (chunk: Buffer) => {
    if (!chunk.toString().includes('SIGINT received')) return;
    run.child.stderr?.off('data', watch);
    run.child.kill('SIGINT');
  };
  run.child.stderr?.on('data', watch);
}

const parsePlan = (text: string) =>
  JSON.parse(text) as { actions: Array<{ kind: string }>; summary: Record<string, number> };

const lastLine = (r: { out: string; err: string }) =>
  (r.out.trim() || r.err.trim()).split('\n').slice(-2).join(' / ');

/** One case of the matrix. */
export function matrixCase(fault: Fault, point: Point): ReliabilityCase {
  return {
    class: 'fault',
    name: `${fault} ${point.name}`,
    run: () =>
      fault === 'node-offline' || fault === 'tls-failure'
        ? faultCase(fault, point)
        : killCase(fault, point),
  };
}

/** Every fault kind at every point. */
export const cases: ReliabilityCase[] = FAULTS.flatMap((f) => POINTS.map((p) => matrixCase(f, p)));
