import { PveGitopsError } from '../errors.js';
import type { Logger } from '../log.js';
import type { ProxmoxClient } from '../proxmox/client.js';
import { errorKind, isNotFound } from '../proxmox/errors.js';
import { pollDelay } from '../proxmox/tasks.js';
import { NO_PROGRESS, type Progress } from '../progress.js';
import { waitUnlocked } from '../proxmox/vm-operations.js';
import { OWNER_TAG, type VmSpec } from '../vm/types.js';
import { classifyAgentFailure, isFinalAgentFailure, type AgentFailure } from './agent-answer.js';
import { checkpoint, cloneOrResume } from './clone-step.js';
import { configParams } from './config-params.js';
import {
  bootStart,
  composeDescription,
  splitDescription,
  type DescriptionMeta,
} from './description.js';
import { diffConfig } from './diff.js';
import type { ClusterSnapshot } from './snapshot-types.js';
import { configFrom, ipv4Of } from './snapshot.js';
import type { VmidRange } from './vmid-plan.js';

export interface StepContext {
  client: ProxmoxClient;
  log: Logger;
  snapshot: ClusterSnapshot;
  env: NodeJS.ProcessEnv;
  /** Storage for full clones of definitions without disks. */
  defaultStorage: string;
  /** Longest wait for a guest agent after a start or reset. */
  agentWaitMs: number;
  /** Aborted when apply is told to stop: no new step starts (see checkpoint). */
  signal?: AbortSignal;
  /** Where new VMs' ids come from when the planned one is held by someone else. */
  vmidRange?: VmidRange;
  /** This repository's owner tag (pve-gitops or pve-gitops-<owner_id>). */
  ownerTag?: string;
  /** Where each VM's steps are shown as they start and end. */
  progress?: Progress;
}

/** Where a VM under construction is, so a failure can roll back exactly that VM. */
export interface Building {
  vmid?: number;
  node?: string;
  /** True once a clone was sent for `vmid`: only then may rollback destroy it. */
  cloned: boolean;
}

/** Times each step of one VM for the closing line, and reports each step to the progress view. */
export class StepTimer {
  readonly steps: string[] = [];
  private last = performance.now();
  private readonly started = performance.now();
  constructor(
    private readonly progress: Progress = NO_PROGRESS,
    private readonly item = '',
  ) {}
  /** `step` starts now; `waitingFor` names what it waits on (a task, the guest agent). */
  begin(step: string, waitingFor?: string): void {
    this.progress.begin(this.item, step, waitingFor);
  }
  mark(step: string): void {
    const now = performance.now();
    this.steps.push(`${step} ${((now - this.last) / 1000).toFixed(1)} s`);
    this.last = now;
  }
  get seconds(): number {
    return (performance.now() - this.started) / 1000;
  }
}

async function task(ctx: StepContext, upid: string | null, operation: string): Promise<void> {
  if (upid) await ctx.client.waitForTask(upid, { operation });
}

/**
 * Clones the VM's template onto its node (or takes the half-made VM an interrupted apply left,
 * `planned.resume`), writes every setting, grows the disks, starts it, waits for its guest
 * agent and clears the `building` note. Each step is redone from what the VM shows, so a run
 * killed between any two of them is completed by the next. `keepVmid` recreates under the
 * same id. Returns its address; throws BuiltElsewhere when another apply made it.
 */
export async function buildVm(
  ctx: StepContext,
  spec: VmSpec,
  b: Building,
  t: StepTimer,
  keepVmid?: number,
  planned: { vmid?: number; node?: string; resume?: boolean } = {},
): Promise<string | undefined> {
  const { client } = ctx;
  const label = `VM ${spec.name}`;
  const tpl =
    ctx.snapshot.templates.find((x) => x.name === spec.template && x.node === spec.node) ??
    ctx.snapshot.templates.find((x) => x.name === spec.template);
  if (!tpl)
    throw new PveGitopsError(
      `VM ${spec.name}: template ${spec.template} does not exist in the cluster.`,
    );
  const fixed = keepVmid ?? spec.vmid;
  b.node = planned.resume ? (planned.node ?? spec.node) : spec.node;
  b.vmid = fixed ?? planned.vmid ?? (await client.vmids.allocate());
  const target = b as Building & { vmid: number };
  t.begin(planned.resume ? 'resume' : 'clone', `the clone of ${spec.template} to VM ${b.vmid}`);
  await cloneOrResume(ctx, spec, target, {
    template: tpl,
    fixed: fixed !== undefined,
    resume: !!planned.resume,
  });
  const vmid = target.vmid;
  const node = b.node;
  t.mark(planned.resume ? 'resume' : 'clone');

  checkpoint(ctx, label);
  t.begin('config');
  const cfg = configFrom(await client.getConfig(node, vmid));
  const diff = diffConfig(spec, cfg);
  if (diff.errors.length) throw new PveGitopsError(diff.errors[0]);
  if (diff.replaceReasons.length) {
    throw new PveGitopsError(
      `VM ${spec.name}: after cloning ${spec.template}, ${diff.replaceReasons[0]}; a ` +
        `linked clone keeps the template's storage — use full_clone or the template's ` +
        `storage.`,
    );
  }
  const params = configParams(spec, cfg, diff.changes);
  params.description = composeDescription(spec.description, {
    template: cfg.template ?? spec.template,
    fullClone: cfg.fullClone ?? spec.fullClone,
    owner: ctx.ownerTag ?? OWNER_TAG,
    building: true,
  });
  const password = ctx.env.CI_CLOUDINIT_PASSWORD;
  if (password) params.cipassword = password;
  await client.putConfig(node, vmid, params);
  t.mark('config');

  for (const g of diff.grow) {
    checkpoint(ctx, label);
    t.begin('resize', `the resize of ${g.slot} to ${g.to}`);
    await task(
      ctx,
      await settled(
        () => client.resize(node, vmid, g.slot, g.to),
        async () => {
          const now = configFrom(await client.getConfig(node, vmid));
          return !diffConfig(spec, now).grow.some((x) => x.slot === g.slot);
        },
      ),
      `resize of ${g.slot} of ${label}`,
    );
  }
  if (diff.grow.length) t.mark('resize');
  if (spec.state !== 'running') {
    await finishBuild(ctx, node, vmid, label, false);
    return spec.staticIp;
  }
  checkpoint(ctx, label);
  t.begin('start', spec.agent ? 'the guest agent' : 'the start task');
  // A resumed VM may already run (the run that made it died after its start).
  const isRunning = async () => (await client.status(node, vmid)).status === 'running';
  const running = await isRunning();
  if (!spec.agent) {
    if (!running)
      await settled(async () => {
        await task(ctx, await client.start(node, vmid), `start of ${label}`);
        return null;
      }, isRunning);
    t.mark('start');
    await finishBuild(ctx, node, vmid, label, false);
    return spec.staticIp;
  }
  // Another apply completing the same VM may start it first: its start task then fails with
  // "VM <id> already running", and waiting for the agent is all that is left.
  let addresses: string[] | undefined;
  let started = running;
  if (!running) {
    try {
      const upid = await client.start(node, vmid);
      addresses = await startAndWaitForAgent(ctx, node, vmid, upid, `start of ${label}`);
    } catch (err) {
      if (!(await isRunning().catch(() => false))) throw err;
      started = true;
    }
  }
  if (started) addresses = await waitForAgent(ctx, node, vmid, ctx.agentWaitMs, ctx.signal);
  if (!addresses) {
    throw new PveGitopsError(
      `VM ${spec.name} (${vmid}) started but its guest agent did not answer within ` +
        `${Math.round(ctx.agentWaitMs / 1000)} s.`,
    );
  }
  await finishBuild(ctx, node, vmid, label, true);
  t.mark('start+agent');
  return spec.staticIp ?? addresses[0];
}

/**
 * Runs a step another apply finishing the same half-made VM may have done meanwhile: when it
 * fails but `done()` shows its effect, it counts as done (no task to wait for).
 */
async function settled(
  step: () => Promise<string | null>,
  done: () => Promise<boolean>,
): Promise<string | null> {
  try {
    return await step();
  } catch (err) {
    if (await done().catch(() => false)) return null;
    throw err;
  }
}

/**
 * Rewrites the pve-gitops notes of a VM's description with `change` (given the boot start,
 * now − uptime), keeping the user's text; one PUT of the description (hot, no pending change),
 * guarded by the config digest. A failure only costs a later run some work, so it is a
 * warning saying `what` was not recorded and what follows.
 */
async function updateNotes(
  ctx: StepContext,
  node: string,
  vmid: number,
  label: string,
  change: (meta: DescriptionMeta, bootStartedAt: number) => DescriptionMeta,
  unrecorded: string,
): Promise<void> {
  const { client } = ctx;
  try {
    const [cfg, status] = await Promise.all([
      client.getConfig(node, vmid),
      client.status(node, vmid),
    ]);
    const { user, ...meta } = splitDescription(
      cfg.description === undefined ? undefined : String(cfg.description),
    );
    const params: Record<string, string> = {
      description: composeDescription(
        user,
        change(meta, bootStart(Date.now(), status.uptime ?? 0)),
      ),
    };
    if (cfg.digest) params.digest = cfg.digest;
    await client.putConfig(node, vmid, params);
  } catch (err) {
    ctx.log.warn(`${label} (${vmid}): could not ${unrecorded.replace('%s', describe(err))}`);
  }
}

/**
 * The last step of a build: clears the `building` note (the VM is complete) and, when its
 * agent answered, records the boot in which it did (see recordAgentOk). A failure only means
 * the next apply redoes the (idempotent) steps.
 */
function finishBuild(
  ctx: StepContext,
  node: string,
  vmid: number,
  label: string,
  agentAnswered: boolean,
): Promise<void> {
  return updateNotes(
    ctx,
    node,
    vmid,
    label,
    (meta, boot) => ({ ...meta, agentOk: agentAnswered ? boot : meta.agentOk, building: false }),
    'note that it is complete (%s); the next apply checks its steps again.',
  );
}

/**
 * Notes in the VM's description that its guest agent answered during the current boot (boot
 * start = now − uptime), so that plans skip the agent probe until the VM boots again. A
 * failure only costs later plans a probe.
 */
export function recordAgentOk(
  ctx: StepContext,
  node: string,
  vmid: number,
  label: string,
): Promise<void> {
  return updateNotes(
    ctx,
    node,
    vmid,
    label,
    (meta, boot) => ({ ...meta, agentOk: boot }),
    'record that its guest agent answered (%s); plans will probe it.',
  );
}

/**
 * Waits for a start (or reset) task and the guest agent together: an answering agent proves
 * the VM runs, so the task's own slower polling is not waited for; a failed task ends the
 * wait at once.
 */
export function startAndWaitForAgent(
  ctx: StepContext,
  node: string,
  vmid: number,
  upid: string,
  operation: string,
): Promise<string[] | undefined> {
  const agentStop = new AbortController();
  const taskStop = new AbortController();
  return new Promise((resolve, reject) => {
    waitForAgent(ctx, node, vmid, ctx.agentWaitMs, agentStop.signal).then(
      (addresses) => {
        taskStop.abort();
        resolve(addresses);
      },
      (err: unknown) => {
        taskStop.abort();
        reject(asError(err));
      },
    );
    ctx.client.waitForTask(upid, { operation, signal: taskStop.signal }).catch((err: unknown) => {
      if (taskStop.signal.aborted) return;
      agentStop.abort();
      reject(asError(err));
    });
  });
}

/**
 * The guest agent could not be asked (the token's rights, the API, the node): whether the
 * guest runs is unknown, so nothing may be concluded from the silence.
 */
export class AgentUnverifiableError extends PveGitopsError {
  constructor(
    readonly label: string,
    readonly reason: string,
  ) {
    super(`${label}: its guest agent could not be asked, so its health is unknown: ${reason}.`);
  }
}

/**
 * Polls the guest agent until it answers; its IPv4 addresses, or undefined after `waitMs` when
 * Proxmox kept saying the agent is not running (a silent agent). Throws
 * {@link AgentUnverifiableError} at once on 401/403/501, and at the deadline when the last
 * answer was anything else (a 5xx from the node, a VM no longer running): silence is proof
 * of a hung guest only when Proxmox itself reports it.
 */
export async function waitForAgent(
  ctx: StepContext,
  node: string,
  vmid: number,
  waitMs: number,
  signal?: AbortSignal,
): Promise<string[] | undefined> {
  const { client } = ctx;
  const started = client.clock.now();
  const label = `VM ${vmid} on ${node}`;
  let last: AgentFailure | undefined;
  for (let poll = 0; ; poll++) {
    signal?.throwIfAborted();
    try {
      return ipv4Of(await client.agentNetworkInterfaces(node, vmid));
    } catch (err) {
      if (errorKind(err) === 'connection') throw err;
      last = classifyAgentFailure(err, true);
      if (isFinalAgentFailure(err)) throw new AgentUnverifiableError(label, last.reason);
    }
    // Fine-grained for the first seconds (a cloud image often answers within them), then 1 s.
    const delay = client.clock.now() - started < 3_000 ? 100 : Math.min(1_000, pollDelay(poll));
    if (client.clock.now() - started + delay > waitMs) {
      if (last && !last.silent) throw new AgentUnverifiableError(label, last.reason);
      return undefined;
    }
    await client.clock.sleep(delay, signal);
  }
}

/** A VM a killed clone or create left locked: only root on the node can remove it. */
export class LockedLeftoverError extends PveGitopsError {
  constructor(
    label: string,
    readonly vmid: number,
    readonly node: string,
    lock: string,
  ) {
    super(
      `${label} (${vmid}) on ${node} was left locked (${lock}) by a killed ${lock} task, ` +
        `and an API token cannot unlock it (Proxmox allows skiplock only to root@pam); run ` +
        `'qm unlock ${vmid} && qm destroy ${vmid} --purge' on ${node}.`,
    );
  }
  /** What the user must run on the node. */
  get command(): string {
    return `qm unlock ${this.vmid} && qm destroy ${this.vmid} --purge`;
  }
}

/**
 * Stops and destroys a VM with purge. Returns false when the VM was already gone (Proxmox's
 * clone worker removes a partial VM itself when the copy fails). Throws a
 * {@link LockedLeftoverError} for a VM left locked `clone` or `create` by a killed task.
 */
export async function destroyVm(
  ctx: StepContext,
  node: string,
  vmid: number,
  label: string,
): Promise<boolean> {
  const { client } = ctx;
  try {
    const { lock } = await client.getConfig(node, vmid);
    if (lock === 'clone' || lock === 'create')
      throw new LockedLeftoverError(label, vmid, node, lock);
    if (!lock && (await client.status(node, vmid)).status === 'running') {
      await task(ctx, await client.stop(node, vmid), `stop of ${label}`);
    }
    await task(ctx, await client.deleteVm(node, vmid), `destroy of ${label}`);
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}

const asError = (err: unknown) => (err instanceof Error ? err : new Error(String(err)));
const describe = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** Moves a VM to another node; online when running, copying local disks. */
export async function migrateVm(
  ctx: StepContext,
  spec: VmSpec,
  vmid: number,
  from: string,
  to: string,
  online: boolean,
): Promise<void> {
  const vm = ctx.snapshot.vms.find((v) => v.vmid === vmid);
  const local = (vm?.config?.disks ?? []).some(
    (d) => !ctx.snapshot.nodes[from]?.storages[d.storage]?.shared,
  );
  const upid = await ctx.client.migrate(from, vmid, to, {
    online,
    withLocalDisks: local || undefined,
  });
  await task(ctx, upid, `migration of VM ${spec.name} to ${to}`);
  await waitUnlocked(ctx.client, to, vmid);
}
