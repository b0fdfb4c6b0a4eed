import type { RepoConfig } from '../config/types.js';
import { ConfigurationError, describeError } from '../errors.js';
import type { Logger } from '../log.js';
import type { ProxmoxClient } from '../proxmox/client.js';
import { Limiter } from '../proxmox/limiter.js';
import { registerSecret } from '../secrets.js';
import type { VmSpec } from '../vm/types.js';
import { plan as makePlan } from './plan.js';
import { ACTION_ORDER, type Plan, type PlanAction } from './plan-types.js';
import { preflight } from './preflight.js';
import { planRequirements, templateFacts } from './plan-privileges.js';
import { majorOf, missingPrivileges, missingSentence, readPermissions } from './privilege-check.js';
import type { ClusterSnapshot } from './snapshot-types.js';
import { readSnapshot } from './snapshot.js';
import {
  buildVm,
  destroyVm,
  LockedLeftoverError,
  migrateVm,
  recordAgentOk,
  startAndWaitForAgent,
  StepTimer,
  type Building,
  type StepContext,
} from './vm-steps.js';
import { configFrom } from './snapshot.js';
import { configParams } from './config-params.js';

export interface ReconcileOptions {
  dryRun?: boolean;
  only?: string[];
  recreate?: string[];
  reprovisionNode?: string;
  /** Overrides config prune.enabled when true. */
  prune?: boolean;
  /** Longest wait for a guest agent after a start or reset; default health.boot_grace_seconds. */
  agentWaitMs?: number;
}

export interface ApplyDeps {
  client: ProxmoxClient;
  log: Logger;
  env: NodeJS.ProcessEnv;
}

/** A VM that is new (created or recreated): inventory and provisioning take these. */
export interface NewHostResult {
  name: string;
  vmid: number;
  node: string;
  ip?: string;
  new: true;
}

export interface ApplyResult {
  plan: Plan;
  dryRun: boolean;
  /** One line per VM acted on, with its steps and time. */
  done: Array<{ vm: string; actions: string[]; seconds: number }>;
  failed: Array<{
    vm: string;
    error: string;
    rolledBack: boolean;
    /** The VM was being built but never came to exist (its clone was refused): nothing to undo. */
    nothingCreated?: true;
    /** A partial VM a killed task left locked, and what the user must run on its node. */
    leftover?: { vmid: number; node: string; run: string };
  }>;
  newHosts: NewHostResult[];
  /** Running VMs whose changed settings wait for a reboot. */
  pendingReboot: string[];
  /** The last line printed: what happened, in one sentence. */
  message: string;
}

/** Plan options for a repository and command-line options. */
export function planOptions(config: RepoConfig, o: ReconcileOptions) {
  return {
    prune: o.prune || config.prune.enabled,
    only: o.only,
    recreate: o.recreate,
    reprovisionNode: o.reprovisionNode,
    bootGraceSeconds: config.health.boot_grace_seconds,
    memoryOvercommit: Object.fromEntries(config.nodes.map((n) => [n.name, n.memory_overcommit])),
  };
}

/** Reads the cluster and plans; the shared first half of `plan` and `apply`. */
export async function readAndPlan(
  repo: { config: RepoConfig; vms: VmSpec[] },
  client: ProxmoxClient,
  log: Logger,
  o: ReconcileOptions = {},
): Promise<{ plan: Plan; snapshot: ClusterSnapshot }> {
  const opts = planOptions(repo.config, o);
  // A token that sees nothing (a privsep token whose user has no ACL) gets empty lists, not
  // 403s: refuse before planning creates from them.
  const tokenId = client.tokenId ?? 'PROXMOX_TOKEN_ID';
  const [tree, version] = await Promise.all([readPermissions(client, tokenId), client.version()]);
  const snapshot = await readSnapshot(client, repo.vms, {
    prune: opts.prune,
    bootGraceSeconds: opts.bootGraceSeconds,
    agentTimeoutMs: Math.min(5_000, repo.config.health.agent_timeout_seconds * 1000),
    log,
  });
  log.debug(`Cluster read in ${snapshot.requests} API requests.`);
  const plan = makePlan(repo.vms, snapshot, opts);
  // Every privilege the actions need, checked before apply changes anything.
  const templates = await templateFacts(client, plan, repo.vms, snapshot);
  const major = majorOf(version.version);
  const reqs = planRequirements(major, plan, repo.vms, snapshot, templates);
  // First: a missing privilege is the cause of what else looks wrong (hidden VMs, templates).
  plan.errors.unshift(
    ...missingPrivileges(major, tree, reqs).map((m) => ({ message: missingSentence(m, tokenId) })),
  );
  // A plan shows what apply would refuse, so a pull request review sees it before the merge.
  for (const f of preflight(plan, repo.vms, snapshot))
    plan.errors.push({ vm: f.vm, message: `Preflight failed: ${f.message}` });
  return { plan, snapshot };
}

/**
 * Plans, checks every create/replace/migrate before touching anything, then applies: in
 * parallel across nodes, bounded per node (concurrency.per_node) and in total; full clones
 * per storage are serialised by the client. A VM whose creation fails is rolled back (stopped,
 * destroyed with purge) while the others continue. Throws before any change on plan errors
 * and preflight failures; otherwise returns what happened (check `failed`). The closing
 * `message` is not logged here: the adapter shows it once (the CLI on stdout).
 */
export async function applyRepository(
  repo: { config: RepoConfig; vms: VmSpec[] },
  deps: ApplyDeps,
  o: ReconcileOptions = {},
): Promise<ApplyResult> {
  const { log, client } = deps;
  registerSecret(deps.env.CI_CLOUDINIT_PASSWORD);
  const { plan, snapshot } = await log.group('Plan', () => readAndPlan(repo, client, log, o));
  if (plan.errors.length) {
    for (const e of plan.errors) log.error(e.message);
    const more =
      plan.errors.length > 1 ? ` (and ${plan.errors.length - 1} more problems above)` : '';
    throw new ConfigurationError(`${plan.errors[0].message}${more} Nothing was changed.`);
  }
  for (const f of plan.findings) {
    if (f.level === 'warning') log.warn(f.message);
    else log.info(f.message);
  }
  const result: ApplyResult = {
    plan,
    dryRun: !!o.dryRun,
    done: [],
    failed: [],
    newHosts: [],
    pendingReboot: [],
    message: '',
  };
  const managed = repo.vms.length;
  if (!plan.hasChanges) {
    const warnings = plan.findings.filter((f) => f.level === 'warning').length;
    result.message = warnings
      ? `No action needed for ${managed} VMs, but ${warnings} ` +
        `warning${warnings > 1 ? 's' : ''} above`
      : `All ${managed} VMs healthy, no action needed`;
    return result;
  }
  if (o.dryRun) {
    result.message = `Dry run: ${describeCounts(plan)}; nothing was changed`;
    return result;
  }

  const ctx: StepContext = {
    client,
    log,
    snapshot,
    env: deps.env,
    defaultStorage: repo.config.defaults.storage,
    agentWaitMs: o.agentWaitMs ?? repo.config.health.boot_grace_seconds * 1000,
  };
  const specs = new Map(repo.vms.map((s) => [s.name, s]));
  const byVm = new Map<string, PlanAction[]>();
  for (const a of plan.actions)
    if (a.kind !== 'noop') byVm.set(a.vm, [...(byVm.get(a.vm) ?? []), a]);
  const total = new Limiter(Math.max(1, repo.config.concurrency.total));
  const perNode = new Map<string, Limiter>();
  const nodeLimiter = (n: string) => {
    if (!perNode.has(n)) perNode.set(n, new Limiter(Math.max(1, repo.config.concurrency.per_node)));
    return perNode.get(n)!;
  };
  const runVm = (name: string, actions: PlanAction[]) => {
    const sorted = [...actions].sort(
      (a, b) => ACTION_ORDER.indexOf(a.kind) - ACTION_ORDER.indexOf(b.kind),
    );
    const node = specs.get(name)?.node ?? sorted[0].node;
    return nodeLimiter(node).run(() =>
      total.run(() => runOne(ctx, specs.get(name), sorted, result)),
    );
  };
  await log.group('Apply', async () => {
    // Deletes first: they free the memory and storage preflight counted on.
    const deletes = [...byVm].filter(([, acts]) => acts.some((a) => a.kind === 'delete'));
    await Promise.all(deletes.map(([name, acts]) => runVm(name, acts)));
    const rest = [...byVm].filter(([, acts]) => !acts.some((a) => a.kind === 'delete'));
    await Promise.all(rest.map(([name, acts]) => runVm(name, acts)));
  });

  result.message = result.failed.length
    ? failureMessage(result.failed, byVm.size)
    : `Applied: ${describeCounts(plan)}`;
  return result;
}

/**
 * `1 of 3 VMs failed: bad; rolled back: bad.`, with the VMs never created and what to run for
 * locked leftovers.
 */
function failureMessage(failed: ApplyResult['failed'], total: number): string {
  const rolled = failed.filter((f) => f.rolledBack).map((f) => f.vm);
  const none = failed.filter((f) => f.nothingCreated).map((f) => f.vm);
  const parts = [`${failed.length} of ${total} VMs failed: ${failed.map((f) => f.vm).join(', ')}`];
  if (rolled.length) parts.push(`rolled back: ${rolled.join(', ')}`);
  if (none.length) parts.push(`nothing was created for ${none.join(', ')}`);
  for (const f of failed) {
    if (f.leftover)
      parts.push(
        `${f.vm} left VM ${f.leftover.vmid} locked on ${f.leftover.node}: run ` +
          `'${f.leftover.run}' there`,
      );
  }
  return `${parts.join('; ')}.`;
}

/** `2 to create, 1 to update` from a plan's summary. */
export function describeCounts(plan: Plan): string {
  const parts = Object.entries(plan.summary)
    .filter(([k, n]) => k !== 'noop' && n > 0)
    .map(([k, n]) => `${n} to ${k}`);
  return parts.join(', ') || 'no changes';
}

async function runOne(
  ctx: StepContext,
  spec: VmSpec | undefined,
  actions: PlanAction[],
  result: ApplyResult,
): Promise<void> {
  const name = actions[0].vm;
  const t = new StepTimer();
  const b: Building = { cloned: false };
  let building = false;
  const isNew = (reason: 'create' | 'recreate') => (ip: string | undefined) => {
    result.newHosts.push({ name, vmid: b.vmid!, node: b.node!, ...(ip ? { ip } : {}), new: true });
    return reason;
  };
  try {
    for (const a of actions) {
      const need = () => {
        if (!spec) throw new ConfigurationError(`VM ${name} has no definition for ${a.kind}.`);
        return spec;
      };
      switch (a.kind) {
        case 'delete':
          await destroyVm(ctx, a.node, a.vmid!, `VM ${name}`);
          t.mark('delete');
          break;
        case 'create':
          building = true;
          isNew('create')(await buildVm(ctx, need(), b, t));
          building = false;
          break;
        case 'replace':
          await destroyVm(ctx, a.from ?? a.node, a.vmid!, `VM ${name}`);
          t.mark('destroy');
          building = true;
          isNew('recreate')(await buildVm(ctx, need(), b, t, a.vmid));
          building = false;
          break;
        case 'migrate':
          await migrateVm(ctx, need(), a.vmid!, a.from!, a.to!, !!a.online);
          t.mark('migrate');
          break;
        case 'update': {
          const s = need();
          const cfg = configFrom(await ctx.client.getConfig(a.node, a.vmid!));
          const params = configParams(s, cfg, a.changes ?? []);
          if (cfg.digest) params.digest = cfg.digest;
          await ctx.client.putConfig(a.node, a.vmid!, params);
          if (a.pendingReboot) result.pendingReboot.push(name);
          t.mark('config');
          break;
        }
        case 'resize':
          for (const g of a.disks ?? []) {
            const upid = await ctx.client.resize(a.node, a.vmid!, g.slot, g.to);
            if (upid)
              await ctx.client.waitForTask(upid, {
                operation: `resize of ${g.slot} of VM ${name}`,
              });
          }
          t.mark('resize');
          break;
        case 'remediate':
          await remediate(ctx, need(), a, b, t, (v) => (building = v), isNew('recreate'));
          break;
        default:
          break;
      }
    }
    const what = actions.map((a) => (a.kind === 'remediate' ? `${a.remedy}` : a.kind)).join('+');
    result.done.push({ vm: name, actions: actions.map((a) => a.kind), seconds: t.seconds });
    ctx.log.info(`${name}: ${what} done in ${t.seconds.toFixed(1)} s (${t.steps.join(', ')})`);
  } catch (err) {
    const error = describeError(err);
    let rolledBack = false;
    let leftover: ApplyResult['failed'][number]['leftover'];
    const nothingCreated = building && !b.cloned;
    if (nothingCreated)
      ctx.log.warn(
        `${name}: nothing was created${b.vmid !== undefined ? ` (VM ${b.vmid} on ${b.node} was never made)` : ''}, so there is nothing to roll back.`,
      );
    if (building && b.cloned && b.vmid !== undefined && b.node) {
      try {
        const destroyed = await destroyVm(ctx, b.node, b.vmid, `VM ${name}`);
        rolledBack = true;
        ctx.log.warn(
          destroyed
            ? `${name}: rolled back (VM ${b.vmid} on ${b.node} destroyed); nothing is left.`
            : `${name}: rolled back; Proxmox had already removed the partial VM ${b.vmid} ` +
                `on ${b.node}, nothing is left.`,
        );
      } catch (rollbackErr) {
        if (rollbackErr instanceof LockedLeftoverError)
          leftover = { vmid: b.vmid, node: b.node, run: rollbackErr.command };
        ctx.log.error(
          `${name}: rollback of VM ${b.vmid} on ${b.node} failed: ${describeError(rollbackErr)}`,
        );
      }
    }
    result.failed.push({
      vm: name,
      error,
      rolledBack,
      ...(nothingCreated ? { nothingCreated: true as const } : {}),
      ...(leftover ? { leftover } : {}),
    });
    ctx.log.error(`${name}: failed after ${t.seconds.toFixed(1)} s: ${error}`);
  }
}

async function remediate(
  ctx: StepContext,
  spec: VmSpec,
  a: PlanAction,
  b: Building,
  t: StepTimer,
  setBuilding: (v: boolean) => void,
  markNew: (ip: string | undefined) => unknown,
): Promise<void> {
  const { client } = ctx;
  const vmid = a.vmid!;
  const label = `VM ${spec.name}`;
  const wait = async (upid: string, op: string) => {
    await client.waitForTask(upid, { operation: `${op} of VM ${spec.name}` });
    t.mark(op);
  };
  switch (a.remedy) {
    case 'start': {
      if (!spec.agent) return wait(await client.start(a.node, vmid), 'start');
      const upid = await client.start(a.node, vmid);
      const answered = await startAndWaitForAgent(ctx, a.node, vmid, upid, `start of ${label}`);
      if (answered) await recordAgentOk(ctx, a.node, vmid, label);
      else
        ctx.log.warn(
          `${spec.name}: started, but its guest agent did not answer within ` +
            `${Math.round(ctx.agentWaitMs / 1000)} s; the next plan checks it again.`,
        );
      t.mark('start+agent');
      return;
    }
    case 'stop':
      return wait(await client.stop(a.node, vmid), 'stop');
    case 'resume':
      return wait(await client.resume(a.node, vmid), 'resume');
    case 'reset':
    case 'recreate': {
      if (a.remedy === 'reset') {
        const addresses = await startAndWaitForAgent(
          ctx,
          a.node,
          vmid,
          await client.reset(a.node, vmid),
          `reset of VM ${spec.name}`,
        );
        t.mark('reset+agent');
        if (addresses) return recordAgentOk(ctx, a.node, vmid, label);
        if (a.escalation !== 'recreate') {
          throw new ConfigurationError(
            `VM ${spec.name} (${vmid}) is still hung after a reset: its guest agent did ` +
              `not answer within ${Math.round(ctx.agentWaitMs / 1000)} s.`,
          );
        }
        ctx.log.warn(`${spec.name}: still hung after the reset; recreating it with VMID ${vmid}.`);
      }
      await destroyVm(ctx, a.node, vmid, `VM ${spec.name}`);
      t.mark('destroy');
      setBuilding(true);
      markNew(await buildVm(ctx, spec, b, t, vmid));
      setBuilding(false);
      return;
    }
    default:
      return;
  }
}
