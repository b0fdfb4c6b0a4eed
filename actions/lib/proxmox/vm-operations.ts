import { PveGitopsError } from '../errors.js';
import { parseTags } from './api-types.js';
import type { ProxmoxClient } from './client.js';
import {
  errorKind,
  isNotFound,
  ProxmoxApiError,
  ProxmoxConnectionError,
  ProxmoxTaskError,
} from './errors.js';
import { storageLockKey } from './limiter.js';
import { backoffMs, isRetryableMutation } from './retry.js';
import type { TaskResult } from './tasks.js';
import { seg, type Params } from './transport.js';
import { pollDelay } from './tasks.js';

export interface CloneVmOptions {
  /** Node holding the template. */
  node: string;
  /** VMID of the template (or VM) to clone. */
  template: number;
  /** Target VMID; allocated safely when absent. A fixed id that is taken is an error. */
  newid?: number;
  name?: string;
  full?: boolean;
  /** Target storage (full clones only). */
  storage?: string;
  /** Whether `storage` is shared (its lock is then cluster-wide). */
  sharedStorage?: boolean;
  /** Target node; default `node`. */
  target?: string;
  pool?: string;
  /** Notes of the new VM; pve-gitops writes its owner mark here, so no VM is ever unmarked. */
  description?: string;
  /** Text of `description` that proves a VM is ours when a lost answer is retried. */
  ownerMark?: string;
  /** The tag that proves a finished VM is ours (the caller's owner tag; the client knows none). */
  ownerTag?: string;
  /** Per clone: task plus waiting for the lock to go. Default 15 min. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface CreatedVm {
  vmid: number;
  node: string;
  /** Undefined when a retry found the VM already created by an earlier attempt. */
  task?: TaskResult;
}

/**
 * Clones a template and waits until the new VM is unlocked. Full clones onto one storage go
 * through client.storageLimiter (see KeyedLimiter); lock timeouts and `got no worker upid`
 * are retried with backoff; "already exists" after an answer that was lost (595/596) is
 * success only for a VM tagged pve-gitops with the requested name; an allocated id that
 * someone else took is replaced by a fresh one.
 */
export async function cloneVm(client: ProxmoxClient, o: CloneVmOptions): Promise<CreatedVm> {
  const target = o.target ?? o.node;
  // Linked clones take no storage lock; full ones without `storage` land on the template's.
  const lockKey = storageLockKey(
    target,
    o.storage ?? `template-${o.node}-${o.template}`,
    o.sharedStorage,
  );
  return safeCreate(client, {
    what: `clone of VM ${o.template} on ${o.node}`,
    node: target,
    vmid: o.newid,
    name: o.name,
    ownerMark: o.ownerMark,
    ownerTag: o.ownerTag,
    timeoutMs: o.timeoutMs ?? 900_000,
    signal: o.signal,
    // Only the clone request and its task hold a storage slot; allocation and the wait for
    // the config lock to go happen outside it.
    gate: (fn) => (o.full === false ? fn() : client.storageLimiter.run(lockKey, fn)),
    start: (newid) =>
      client.raw('POST', `/nodes/${seg(o.node)}/qemu/${seg(o.template)}/clone`, {
        newid,
        name: o.name,
        full: o.full,
        storage: o.storage,
        target: o.target,
        pool: o.pool,
        description: o.description,
      }) as Promise<string>,
  });
}

export interface CreateVmOptions {
  node: string;
  vmid?: number;
  /** Config keys (name, cores, memory, net0, scsi0, tags, …). `tags` should include pve-gitops. */
  config: Params;
  /** The tag that proves the VM is ours when a lost answer is retried (see cloneVm). */
  ownerTag?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** Creates a VM from scratch (qmcreate) with the same safety as cloneVm. */
export function createVm(client: ProxmoxClient, o: CreateVmOptions): Promise<CreatedVm> {
  return safeCreate(client, {
    what: `creation of a VM on ${o.node}`,
    node: o.node,
    vmid: o.vmid,
    name: typeof o.config.name === 'string' ? o.config.name : undefined,
    ownerTag: o.ownerTag,
    timeoutMs: o.timeoutMs ?? 300_000,
    signal: o.signal,
    gate: (fn) => fn(),
    start: (vmid) =>
      client.raw('POST', `/nodes/${seg(o.node)}/qemu`, { ...o.config, vmid }) as Promise<string>,
  });
}

interface SafeCreate {
  what: string;
  node: string;
  vmid?: number;
  name?: string;
  ownerMark?: string;
  ownerTag?: string;
  timeoutMs: number;
  signal?: AbortSignal;
  gate: <T>(fn: () => Promise<T>) => Promise<T>;
  start: (vmid: number) => Promise<string>;
}

const refused = new WeakSet<object>();

/**
 * True when Proxmox answered the create or clone request itself with an error and no earlier
 * attempt could have started one: no task ran, so no VM (not even a partial one) exists.
 */
export function refusedBeforeStart(err: unknown): boolean {
  return typeof err === 'object' && err !== null && refused.has(err);
}

/** The request may have been carried out although we got no (good) answer. */
function outcomeUnknown(err: unknown): boolean {
  if (err instanceof ProxmoxConnectionError) return err.phase === 'in-flight';
  return err instanceof ProxmoxApiError && (err.status === 595 || err.status === 596);
}

async function safeCreate(client: ProxmoxClient, s: SafeCreate): Promise<CreatedVm> {
  const fixed = s.vmid !== undefined;
  let vmid = s.vmid ?? (await client.vmids.allocate());
  let uncertain = false;
  const started = client.clock.now();
  for (let attempt = 0; ; attempt++) {
    s.signal?.throwIfAborted();
    try {
      // One raw attempt each time round: retries happen here, not in client.mutate, so that
      // "already exists" after a lost answer is judged by ownership below.
      const task = await s.gate(async () => {
        const upid = await s.start(vmid).catch((err: unknown) => {
          if (!uncertain && err instanceof ProxmoxApiError && !outcomeUnknown(err))
            refused.add(err);
          throw err;
        });
        const remaining = Math.max(1_000, s.timeoutMs - (client.clock.now() - started));
        return client.waitForTask(upid, {
          timeoutMs: remaining,
          signal: s.signal,
          operation: `${s.what} to VM ${vmid}`,
        });
      });
      await waitUnlocked(client, s.node, vmid, s);
      return { vmid, node: s.node, task };
    } catch (err) {
      if (errorKind(err) === 'already-exists' && !(err instanceof ProxmoxTaskError)) {
        if (uncertain && (await ownedBy(client, s.node, vmid, s))) {
          await waitUnlocked(client, s.node, vmid, s);
          return { vmid, node: s.node };
        }
        if (fixed) throw err;
        client.log.info(
          `VMID ${vmid} was taken by someone else; allocating another for the ${s.what}`,
        );
        vmid = await client.vmids.allocate(vmid + 1);
        uncertain = false;
        continue;
      }
      if (!isRetryableMutation(err) || attempt + 1 >= client.retry.attempts) throw err;
      uncertain = outcomeUnknown(err);
      const delay = backoffMs(client.retry, attempt, client.clock.random());
      client.log.info(
        `${s.what} to VM ${vmid} hit a transient error (${(err as Error).message}); retrying in ${delay} ms`,
      );
      if (err instanceof ProxmoxTaskError && !fixed) {
        // A failed task may leave a partial VM behind; never build on it.
        vmid = await client.vmids.allocate(vmid + 1);
      }
      await client.clock.sleep(delay, s.signal);
    }
  }
}

async function ownedBy(
  client: ProxmoxClient,
  node: string,
  vmid: number,
  o: Pick<SafeCreate, 'name' | 'ownerMark' | 'ownerTag'>,
): Promise<boolean> {
  try {
    const config = await client.getConfig(node, vmid);
    const marked =
      o.ownerMark !== undefined && String(config.description ?? '').includes(o.ownerMark);
    const tagged = o.ownerTag !== undefined && parseTags(config.tags).includes(o.ownerTag);
    return (marked || tagged) && (o.name === undefined || config.name === o.name);
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}

/** Waits until the VM's config carries no `lock` (clone, create, migrate leave one while busy). */
export async function waitUnlocked(
  client: ProxmoxClient,
  node: string,
  vmid: number,
  options: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<void> {
  const started = client.clock.now();
  const timeoutMs = options.timeoutMs ?? 300_000;
  for (let poll = 0; ; poll++) {
    const config = await client.getConfig(node, vmid);
    if (!config.lock) return;
    if (client.clock.now() - started > timeoutMs) {
      throw new PveGitopsError(
        `VM ${vmid} on ${node} is still locked (${config.lock}) after ${Math.round(timeoutMs / 1000)} s.`,
      );
    }
    await client.clock.sleep(pollDelay(poll), options.signal);
  }
}
