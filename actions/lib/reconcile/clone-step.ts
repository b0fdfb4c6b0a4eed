/**
 * The first step of building a VM, made safe against crashes and against a second apply:
 * the clone carries the owner mark and a `building` note in its description (so no VM this
 * tool makes is ever unmarked), it aims at an id fixed before it starts (see vmid-plan.ts),
 * and PVE's atomic "config file already exists" decides which of two runs makes the VM.
 */
import { PveGitopsError } from '../errors.js';
import type { VmConfig } from '../proxmox/api-types.js';
import { errorKind, isNotFound } from '../proxmox/errors.js';
import { pollDelay } from '../proxmox/tasks.js';
import { cloneVm, refusedBeforeStart, waitUnlocked } from '../proxmox/vm-operations.js';
import { OWNER_TAG, type VmSpec } from '../vm/types.js';
import { composeDescription, splitDescription } from './description.js';
import { parseTags } from './parse.js';
import { nextCandidate } from './vmid-plan.js';
import type { Building, StepContext } from './vm-steps.js';

/** The text every VM this tool clones carries in its notes from its first moment. */
export const ownerMarkOf = (owner: string) => `owner=${owner}`;

/** Apply was interrupted (SIGINT, SIGTERM): the VM is left as it is for the next apply. */
export class InterruptedError extends PveGitopsError {
  constructor(label: string) {
    super(`${label}: stopped before its next step because apply was interrupted.`);
  }
}

/** Another apply made this VM (it won the race for its id): nothing is left to do here. */
export class BuiltElsewhere extends Error {
  constructor(readonly vmid: number) {
    super(`VM ${vmid} was made by another apply`);
  }
}

/** Throws an InterruptedError once apply was told to stop: no new step starts. */
export function checkpoint(ctx: StepContext, label: string): void {
  if (ctx.signal?.aborted) throw new InterruptedError(label);
}

/** How long a run waits for another run to finish a VM it won, before finishing it itself. */
const otherRunWaitMs = (ctx: StepContext) => ctx.agentWaitMs + 120_000;

/**
 * Clones the template to `b.vmid`, or, when `resume`, takes the half-made VM there as it is.
 * Losing the id to another run of this repository waits for that run to finish the VM and
 * throws BuiltElsewhere; an id someone else holds moves on to the name's next candidate.
 */
export async function cloneOrResume(
  ctx: StepContext,
  spec: VmSpec,
  b: Building & { vmid: number },
  o: { template: { vmid: number; node: string }; fixed: boolean; resume: boolean },
): Promise<void> {
  const { client } = ctx;
  const label = `VM ${spec.name}`;
  const storage = spec.disks[0]?.storage ?? ctx.defaultStorage;
  const tried = new Set<number>();
  // A VM this run did not clone is never rolled back by it (b.cloned stays false): another
  // run may still be finishing it.
  if (o.resume) return;
  for (let attempt = 0; attempt < 20; attempt++) {
    checkpoint(ctx, label);
    try {
      b.cloned = true;
      await cloneVm(client, {
        node: o.template.node,
        template: o.template.vmid,
        newid: b.vmid,
        name: spec.name,
        full: spec.fullClone,
        storage: spec.fullClone ? storage : undefined,
        sharedStorage: ctx.snapshot.nodes[spec.node]?.storages[storage]?.shared,
        target: o.template.node !== spec.node ? spec.node : undefined,
        description: composeDescription(spec.description, {
          template: spec.template,
          fullClone: spec.fullClone,
          owner: ctx.ownerTag ?? OWNER_TAG,
          building: true,
        }),
        ownerMark: ownerMarkOf(ctx.ownerTag ?? OWNER_TAG),
        ownerTag: ctx.ownerTag ?? OWNER_TAG,
      });
      return;
    } catch (err) {
      if (errorKind(err) !== 'already-exists') {
        // Refused outright (403, a bad parameter): no task ran, so there is no VM to roll back.
        if (refusedBeforeStart(err)) b.cloned = false;
        throw err;
      }
      b.cloned = false;
      const holder = await holderOf(ctx, spec, b.vmid);
      if (holder.kind === 'gone') continue;
      if (holder.kind === 'ours') {
        const other = await awaitOtherRun(ctx, spec, b.vmid, holder.node);
        if (other === 'built') throw new BuiltElsewhere(b.vmid);
        if (other === 'gone') continue;
        ctx.log.warn(`${label}: the apply that made VM ${b.vmid} stopped; completing it here.`);
        b.node = holder.node;
        return;
      }
      const next =
        o.fixed || !ctx.vmidRange
          ? undefined
          : nextCandidate(spec.name, ctx.vmidRange, b.vmid, tried.add(b.vmid));
      if (next === undefined) throw err;
      ctx.log.info(`${label}: VMID ${b.vmid} is held by another VM; trying ${next}.`);
      b.vmid = next;
    }
  }
  throw new PveGitopsError(`${label}: no VMID of vmid_range could be had after 20 tries.`);
}

/**
 * Who holds an id a clone found taken, once its clone or create lock is gone: nobody any more,
 * this repository's VM of that name (and its node), or another VM.
 */
async function holderOf(
  ctx: StepContext,
  spec: VmSpec,
  vmid: number,
): Promise<{ kind: 'gone' } | { kind: 'other' } | { kind: 'ours'; node: string }> {
  try {
    // The id may be on any node: the clone's check is cluster-wide.
    const found = (await ctx.client.clusterResources('vm')).find((r) => r.vmid === vmid);
    if (!found?.node) return { kind: 'gone' };
    const node = found.node;
    await waitUnlocked(ctx.client, node, vmid, { timeoutMs: 900_000, signal: ctx.signal });
    const cfg = await ctx.client.getConfig(node, vmid);
    return cfg.name === spec.name && isMarked(cfg, ctx.ownerTag ?? OWNER_TAG)
      ? { kind: 'ours', node }
      : { kind: 'other' };
  } catch (err) {
    if (isNotFound(err)) return { kind: 'gone' };
    throw err;
  }
}

/** Carries this repository's owner tag, or is half-made by it (as ownership.ts's isOwned). */
function isMarked(cfg: VmConfig, owner: string): boolean {
  const meta = splitDescription(textOf(cfg.description));
  return (meta.owner === owner && !!meta.building) || parseTags(cfg.tags).includes(owner);
}

const textOf = (v: string | number | undefined) => (v === undefined ? undefined : String(v));

/**
 * Waits until the run that won the id finished the VM: `built`, `gone` (it rolled the VM back)
 * or `stalled` (still half-made after the wait: that run stopped).
 */
async function awaitOtherRun(
  ctx: StepContext,
  spec: VmSpec,
  vmid: number,
  node: string,
): Promise<'built' | 'gone' | 'stalled'> {
  const { client } = ctx;
  const started = client.clock.now();
  ctx.log.info(`VM ${spec.name}: another apply is making it as VM ${vmid}; waiting for it.`);
  for (let poll = 0; client.clock.now() - started < otherRunWaitMs(ctx); poll++) {
    let description: string | number | undefined;
    try {
      description = (await client.getConfig(node, vmid)).description;
    } catch (err) {
      if (isNotFound(err)) return 'gone';
      throw err;
    }
    const meta = splitDescription(textOf(description));
    if (!meta.building) return 'built';
    await client.clock.sleep(Math.min(1_000, pollDelay(poll)), ctx.signal);
  }
  return 'stalled';
}
