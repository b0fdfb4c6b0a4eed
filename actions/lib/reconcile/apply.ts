import type { RepoConfig } from '../config/types.js';
import { ConfigurationError, describeError } from '../errors.js';
import type { Logger } from '../log.js';
import type { ProxmoxClient } from '../proxmox/client.js';
import { Limiter } from '../proxmox/limiter.js';
import { registerSecret } from '../secrets.js';
import { ownerTagOf, type VmSpec } from '../vm/types.js';
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
  StepTimer,
  type Building,
  type StepContext,
} from './vm-steps.js';
import { remediate, type RecreateBudget } from './remediate.js';
import { configFrom } from './snapshot.js';
import { configParams } from './config-params.js';
import { BuiltElsewhere, InterruptedError } from './clone-step.js';
import type { ApplyDeps, ApplyResult, ReconcileOptions, RepoInput } from './apply-types.js';

export type {
  ApplyDeps,
  ApplyResult,
  NewHostResult,
  ReconcileOptions,
  RepoInput,
} from './apply-types.js';
import { describeCounts, failureMessage, interruptedMessage } from './apply-messages.js';

export { describeCounts } from './apply-messages.js';

/** Plan options for a repository and command-line options. */
export function planOptions(config: RepoConfig, o: ReconcileOptions, excluded: string[] = []) {
  return {
    vmidRange: config.vmid_range,
    ownerTag: ownerTagOf(config),
    excluded,
    maxDeletes: config.prune.max_deletes,
    allowDeletes: o.allowDeletes,
    prune: o.prune || config.prune.enabled,
    only: o.only,
    recreate: o.recreate,
    reprovisionNode: o.reprovisionNode,
    bootGraceSeconds: config.health.boot_grace_seconds,
    maxUnhealthyPercent: config.health.max_unhealthy_percent,
    memoryOvercommit: Object.fromEntries(config.nodes.map((n) => [n.name, n.memory_overcommit])),
  };
}

/** Reads the cluster and plans; the shared first half of `plan` and `apply`. */
export async function readAndPlan(
  repo: RepoInput,
  client: ProxmoxClient,
  log: Logger,
  o: ReconcileOptions = {},
): Promise<{ plan: Plan; snapshot: ClusterSnapshot }> {
  const opts = planOptions(repo.config, o, repo.excluded);
  // A token that sees nothing (a privsep token whose user has no ACL) gets empty lists, not
  // 403s: refuse before planning creates from them.
  const tokenId = client.tokenId ?? 'PROXMOX_TOKEN_ID';
  const [tree, version] = await Promise.all([readPermissions(client, tokenId), client.version()]);
  const snapshot = await readSnapshot(client, repo.vms, {
    prune: opts.prune,
    ownerTag: opts.ownerTag,
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
  repo: RepoInput,
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
    held: plan.health.flatMap((h) =>
      h.hung && h.held && plan.remediationHeld ? [{ vm: h.vm, reason: h.held }] : [],
    ),
    message: '',
  };
  const managed = repo.vms.length;
  // Said last, where a reader of the run looks: why hung VMs were left alone.
  const held = plan.remediationHeld;
  if (!plan.hasChanges) {
    const warnings = plan.findings.filter((f) => f.level === 'warning').length;
    result.message = withNotes(
      warnings
        ? `No action needed for ${managed} VMs, but ${warnings} ` +
            `warning${warnings > 1 ? 's' : ''} above`
        : `All ${managed} VMs healthy, no action needed`,
      held,
    );
    return result;
  }
  if (o.dryRun) {
    result.message = withNotes(`Dry run: ${describeCounts(plan)}; nothing was changed`, held);
    return result;
  }

  const ctx: StepContext = {
    client,
    log,
    snapshot,
    env: deps.env,
    defaultStorage: repo.config.defaults.storage,
    agentWaitMs: o.agentWaitMs ?? repo.config.health.boot_grace_seconds * 1000,
    signal: o.signal,
    vmidRange: repo.config.vmid_range,
    ownerTag: ownerTagOf(repo.config),
    progress: deps.progress,
  };
  const max = repo.config.health.max_recreate;
  const recreates: RecreateBudget = { left: max, max };
  const heldByPlan = result.held.length;
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
      total.run(() => {
        // Told to stop: no new VM starts; the ones under way finish their current step.
        if (o.signal?.aborted) {
          (result.interrupted ??= { stopped: [], notStarted: [] }).notStarted.push(name);
          return Promise.resolve();
        }
        return runOne(ctx, specs.get(name), sorted, result, recreates);
      }),
    );
  };
  await log.group('Apply', async () => {
    // Deletes first: they free the memory and storage preflight counted on.
    const deletes = [...byVm].filter(([, acts]) => acts.some((a) => a.kind === 'delete'));
    await Promise.all(deletes.map(([name, acts]) => runVm(name, acts)));
    const rest = [...byVm].filter(([, acts]) => !acts.some((a) => a.kind === 'delete'));
    await Promise.all(rest.map(([name, acts]) => runVm(name, acts)));
  });

  if (o.signal?.aborted) result.interrupted ??= { stopped: [], notStarted: [] };
  const deferred = result.held.slice(heldByPlan).map((h) => h.vm);
  result.message = withNotes(
    result.interrupted
      ? interruptedMessage(result, byVm.size)
      : result.failed.length
        ? failureMessage(result.failed, byVm.size)
        : `Applied: ${describeCounts(plan)}`,
    deferred.length
      ? `Still hung, left for the next run (health.max_recreate ${max}): ${deferred.join(', ')}.`
      : undefined,
    held,
  );
  return result;
}

/** The closing message, with sentences about held VMs after it when there are any. */
function withNotes(message: string, ...notes: Array<string | undefined>): string {
  const present = notes.filter((n): n is string => !!n);
  if (!present.length) return message;
  return [message, ...present].map((s) => (/[.!?]$/.test(s) ? s : `${s}.`)).join(' ');
}

async function runOne(
  ctx: StepContext,
  spec: VmSpec | undefined,
  actions: PlanAction[],
  result: ApplyResult,
  recreates: RecreateBudget,
): Promise<void> {
  const name = actions[0].vm;
  const t = new StepTimer(ctx.progress, name);
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
          isNew('create')(
            await buildVm(ctx, need(), b, t, undefined, {
              vmid: a.vmid,
              node: a.node,
              resume: a.resume,
            }),
          );
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
        case 'remediate': {
          const held = await remediate(ctx, need(), a, b, t, {
            recreates,
            setBuilding: (v) => (building = v),
            markNew: isNew('recreate'),
          });
          if (held) {
            result.held.push({ vm: name, reason: held });
            ctx.log.warn(`${name}: ${held}`);
            return;
          }
          break;
        }
        default:
          break;
      }
    }
    const what = actions.map((a) => (a.kind === 'remediate' ? `${a.remedy}` : a.kind)).join('+');
    result.done.push({ vm: name, actions: actions.map((a) => a.kind), seconds: t.seconds });
    ctx.progress?.finish(name, 'done', what);
    ctx.log.info(`${name}: ${what} done in ${t.seconds.toFixed(1)} s (${t.steps.join(', ')})`);
  } catch (err) {
    if (err instanceof BuiltElsewhere) {
      result.done.push({ vm: name, actions: ['create'], seconds: t.seconds, byAnotherRun: true });
      ctx.progress?.finish(name, 'done', 'by another apply');
      ctx.log.info(
        `${name}: created by another apply running at the same time (VM ${err.vmid}); ` +
          `nothing left to do here.`,
      );
      return;
    }
    if (err instanceof InterruptedError || ctx.signal?.aborted) {
      // Every step is redone from what the VM shows: the next apply completes it, so nothing
      // is rolled back (a rollback now could itself be cut short).
      (result.interrupted ??= { stopped: [], notStarted: [] }).stopped.push(name);
      ctx.progress?.finish(name, 'failed', 'interrupted');
      ctx.log.warn(
        `${name}: stopped${b.vmid !== undefined ? ` (VM ${b.vmid} on ${b.node})` : ''} ` +
          `because apply was interrupted; the next apply completes it.`,
      );
      return;
    }
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
    ctx.progress?.finish(name, 'failed', rolledBack ? 'rolled back' : undefined);
    ctx.log.error(`${name}: failed after ${t.seconds.toFixed(1)} s: ${error}`);
  }
}
