import { memoryLogger, type Logger } from '../log.js';
import type {
  AgentExecStatus,
  CloneParams,
  ClusterResource,
  GuestInterface,
  NetworkInterface,
  NodeInfo,
  NodeStatus,
  PendingEntry,
  QemuListEntry,
  ResourceType,
  StorageStatus,
  VersionInfo,
  VmConfig,
  VmCurrentStatus,
} from './api-types.js';
import { realClock, type Clock } from './clock.js';
import { ProxmoxApiError, ProxmoxConnectionError } from './errors.js';
import { CLONES_PER_STORAGE, KeyedLimiter, Limiter } from './limiter.js';
import {
  DEFAULT_RETRY,
  isRetryableMutation,
  isRetryableRead,
  withRetry,
  type RetryPolicy,
} from './retry.js';
import {
  waitForTask,
  type TaskLogLine,
  type TaskResult,
  type TaskStatus,
  type WaitOptions,
} from './tasks.js';
import { seg, type HttpMethod, type Params, type Transport } from './transport.js';
import { VmidAllocator } from './vmid-allocator.js';

export interface ProxmoxClientOptions {
  transport: Transport;
  log?: Logger;
  clock?: Clock;
  /** Requests in flight at most. Default 16. */
  concurrency?: number;
  retry?: RetryPolicy;
  /** Serialises full clones per storage; share one instance across clients of a cluster. */
  storageLimiter?: KeyedLimiter;
}

export type PowerAction = 'start' | 'stop' | 'shutdown' | 'reboot' | 'resume' | 'reset' | 'suspend';

const vmPath = (node: string, vmid: number) => `/nodes/${seg(node)}/qemu/${seg(vmid)}`;

/**
 * Typed Proxmox VE API calls over any Transport. Reads retry on transport errors and 5xx;
 * mutations only where Proxmox cannot have acted (lock timeouts, no worker, 595/596).
 * Calls that start a worker task return its UPID; pass it to `waitForTask`.
 * Higher-level operations (safe clone/create) live in vm-operations.ts.
 */
export class ProxmoxClient {
  readonly transport: Transport;
  readonly log: Logger;
  readonly clock: Clock;
  readonly retry: RetryPolicy;
  readonly storageLimiter: KeyedLimiter;
  readonly vmids: VmidAllocator;
  /** The API token id (`user@realm!name`), when known, for sentences about its privileges. */
  tokenId?: string;
  private readonly limiter: Limiter;
  /** Set once the API has answered anything, even an error. */
  private answered = false;

  constructor(options: ProxmoxClientOptions) {
    this.transport = options.transport;
    this.log = options.log ?? memoryLogger();
    this.clock = options.clock ?? realClock;
    this.retry = options.retry ?? DEFAULT_RETRY;
    this.limiter = new Limiter(options.concurrency ?? 16);
    this.storageLimiter = options.storageLimiter ?? new KeyedLimiter(CLONES_PER_STORAGE);
    this.vmids = new VmidAllocator(this);
  }

  /** One attempt of a raw call, inside the in-flight limit. */
  async raw(method: HttpMethod, path: string, params?: Params): Promise<unknown> {
    try {
      const r = await this.limiter.run(() => this.transport.request(method, path, params));
      this.answered = true;
      return r;
    } catch (err) {
      if (err instanceof ProxmoxApiError) this.answered = true;
      throw err;
    }
  }

  /**
   * `retryable`, except that a refused connection before the API ever answered gets one quick
   * retry only: nothing listens at PROXMOX_URL, and waiting out the backoff would only delay
   * the sentence that says so. Refusals after an answer (a proxy restarting) keep every retry.
   */
  private unlessNothingListens(retryable: (err: unknown) => boolean): (err: unknown) => boolean {
    let refusals = 0;
    return (err) => {
      if (!this.answered && err instanceof ProxmoxConnectionError && err.code === 'ECONNREFUSED')
        return ++refusals <= 1;
      return retryable(err);
    };
  }

  /** GET with retries on transport errors and transient 5xx. */
  get<T>(path: string, params?: Params): Promise<T> {
    return withRetry(
      () => this.raw('GET', path, params),
      this.unlessNothingListens(isRetryableRead),
      this.retry,
      this.clock,
    ) as Promise<T>;
  }

  /** A change, retried only when Proxmox cannot have acted on it. */
  mutate<T>(method: Exclude<HttpMethod, 'GET'>, path: string, params?: Params): Promise<T> {
    return withRetry(
      () => this.raw(method, path, params),
      this.unlessNothingListens(isRetryableMutation),
      this.retry,
      this.clock,
    ) as Promise<T>;
  }

  // Cluster and nodes.
  version(): Promise<VersionInfo> {
    return this.get('/version');
  }
  /**
   * The caller's effective privileges: path → privilege → 1 when it propagates. Without
   * `path`, every top-level path and ACL path where it holds something (PVE leaves out the
   * empty ones).
   */
  permissions(path?: string): Promise<Record<string, Record<string, number>>> {
    return this.get('/access/permissions', { path });
  }
  clusterResources(type?: ResourceType): Promise<ClusterResource[]> {
    return this.get('/cluster/resources', { type });
  }
  /** The lowest free VMID, or confirms that `vmid` is free (throws kind already-exists otherwise). */
  async nextId(vmid?: number): Promise<number> {
    return Number(await this.get<string | number>('/cluster/nextid', { vmid }));
  }
  nodes(): Promise<NodeInfo[]> {
    return this.get('/nodes');
  }
  nodeStatus(node: string): Promise<NodeStatus> {
    return this.get(`/nodes/${seg(node)}/status`);
  }
  network(node: string, type?: string): Promise<NetworkInterface[]> {
    return this.get(`/nodes/${seg(node)}/network`, { type });
  }
  storage(
    node: string,
    filter: { content?: string; enabled?: boolean; storage?: string } = {},
  ): Promise<StorageStatus[]> {
    return this.get(`/nodes/${seg(node)}/storage`, filter);
  }
  qemuList(node: string): Promise<QemuListEntry[]> {
    return this.get(`/nodes/${seg(node)}/qemu`);
  }

  // VM configuration.
  /** POST /nodes/{node}/qemu: starts a qmcreate task. Prefer createVm() from vm-operations. */
  create(node: string, vmid: number, config: Params): Promise<string> {
    return this.mutate('POST', `/nodes/${seg(node)}/qemu`, { ...config, vmid });
  }
  /** Starts a qmclone task (its UPID id is the source vmid). Prefer cloneVm() from vm-operations. */
  clone(node: string, vmid: number, params: CloneParams): Promise<string> {
    return this.mutate('POST', `${vmPath(node, vmid)}/clone`, { ...params });
  }
  getConfig(node: string, vmid: number, options: { current?: boolean } = {}): Promise<VmConfig> {
    return this.get(`${vmPath(node, vmid)}/config`, { current: options.current });
  }
  /** Synchronous config change (PUT). `delete` is a comma list of keys; `digest` guards races. */
  async putConfig(node: string, vmid: number, params: Params): Promise<void> {
    await this.mutate('PUT', `${vmPath(node, vmid)}/config`, params);
  }
  /** Config change as a worker task (POST); returns the UPID, or null when nothing ran. */
  postConfig(node: string, vmid: number, params: Params): Promise<string | null> {
    return this.mutate('POST', `${vmPath(node, vmid)}/config`, params);
  }
  pending(node: string, vmid: number): Promise<PendingEntry[]> {
    return this.get(`${vmPath(node, vmid)}/pending`);
  }
  /** Grows `disk` to `size` ("40G") or by it ("+10G"). Returns a UPID (PVE 8+). */
  resize(node: string, vmid: number, disk: string, size: string): Promise<string | null> {
    return this.mutate('PUT', `${vmPath(node, vmid)}/resize`, { disk, size });
  }

  // Power.
  status(node: string, vmid: number): Promise<VmCurrentStatus> {
    return this.get(`${vmPath(node, vmid)}/status/current`);
  }
  power(node: string, vmid: number, action: PowerAction, params: Params = {}): Promise<string> {
    return this.mutate('POST', `${vmPath(node, vmid)}/status/${action}`, params);
  }
  start(node: string, vmid: number): Promise<string> {
    return this.power(node, vmid, 'start');
  }
  stop(node: string, vmid: number): Promise<string> {
    return this.power(node, vmid, 'stop');
  }
  shutdown(
    node: string,
    vmid: number,
    options: { timeout?: number; forceStop?: boolean } = {},
  ): Promise<string> {
    return this.power(node, vmid, 'shutdown', {
      timeout: options.timeout,
      forceStop: options.forceStop,
    });
  }
  reboot(node: string, vmid: number): Promise<string> {
    return this.power(node, vmid, 'reboot');
  }
  resume(node: string, vmid: number): Promise<string> {
    return this.power(node, vmid, 'resume');
  }
  reset(node: string, vmid: number): Promise<string> {
    return this.power(node, vmid, 'reset');
  }
  suspend(node: string, vmid: number): Promise<string> {
    return this.power(node, vmid, 'suspend');
  }

  /** Destroys a VM; by default also purges it from jobs and removes unreferenced disks. */
  deleteVm(
    node: string,
    vmid: number,
    options: { purge?: boolean; destroyUnreferencedDisks?: boolean } = {},
  ): Promise<string> {
    return this.mutate('DELETE', vmPath(node, vmid), {
      purge: options.purge ?? true,
      'destroy-unreferenced-disks': options.destroyUnreferencedDisks ?? true,
    });
  }
  migrate(
    node: string,
    vmid: number,
    target: string,
    options: { online?: boolean; withLocalDisks?: boolean } = {},
  ): Promise<string> {
    return this.mutate('POST', `${vmPath(node, vmid)}/migrate`, {
      target,
      online: options.online,
      'with-local-disks': options.withLocalDisks,
    });
  }

  // Guest agent.
  async agentPing(node: string, vmid: number): Promise<void> {
    await this.raw('POST', `${vmPath(node, vmid)}/agent/ping`);
  }
  /** Interfaces as the guest sees them; errors (500) while the agent is not up are not retried. */
  async agentNetworkInterfaces(node: string, vmid: number): Promise<GuestInterface[]> {
    const data = (await this.raw('GET', `${vmPath(node, vmid)}/agent/network-get-interfaces`)) as {
      result?: GuestInterface[];
    };
    return data?.result ?? [];
  }
  /** Starts a command in the guest; returns its pid. `command` is argv, not a shell line. */
  async agentExec(
    node: string,
    vmid: number,
    command: string[],
    inputData?: string,
  ): Promise<number> {
    const data = await this.raw('POST', `${vmPath(node, vmid)}/agent/exec`, {
      command,
      'input-data': inputData,
    });
    return Number((data as { pid: number }).pid);
  }
  agentExecStatus(node: string, vmid: number, pid: number): Promise<AgentExecStatus> {
    return this.raw('GET', `${vmPath(node, vmid)}/agent/exec-status`, {
      pid,
    }) as Promise<AgentExecStatus>;
  }

  /**
   * Reads a file in the guest through the agent (PVE 8 and 9: `{content, truncated?}`, content
   * decoded). Needs VM.Monitor (PVE 8) or VM.GuestAgent.FileRead (PVE 9).
   */
  async agentFileRead(
    node: string,
    vmid: number,
    file: string,
  ): Promise<{ content: string; truncated: boolean }> {
    const data = (await this.raw('GET', `${vmPath(node, vmid)}/agent/file-read`, { file })) as {
      content?: string;
      truncated?: boolean | number;
    };
    return { content: String(data?.content ?? ''), truncated: !!data?.truncated };
  }

  // Tasks.
  taskStatus(node: string, upid: string): Promise<TaskStatus> {
    return this.get(`/nodes/${seg(node)}/tasks/${seg(upid)}/status`);
  }
  taskLog(
    node: string,
    upid: string,
    options: { start?: number; limit?: number } = {},
  ): Promise<TaskLogLine[]> {
    return this.get(`/nodes/${seg(node)}/tasks/${seg(upid)}/log`, {
      start: options.start ?? 0,
      limit: options.limit ?? 50,
    });
  }
  /** Polls the task's node (from the UPID) until it stops; see tasks.ts. */
  waitForTask(upid: string, options: WaitOptions = {}): Promise<TaskResult> {
    return waitForTask((p, q) => this.get(p, q), this.clock, upid, options);
  }

  close(): Promise<void> {
    return this.transport.close();
  }
}
