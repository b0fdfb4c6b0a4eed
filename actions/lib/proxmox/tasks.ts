import type { Clock } from './clock.js';
import { ProxmoxApiError, ProxmoxTaskError, ProxmoxTaskTimeoutError } from './errors.js';
import type { Params } from './transport.js';
import { seg } from './transport.js';
import { parseUpid } from './upid.js';

export interface TaskStatus {
  status: 'running' | 'stopped';
  exitstatus?: string;
  upid?: string;
  node?: string;
  type?: string;
  id?: string;
  starttime?: number;
}

export interface TaskLogLine {
  n: number;
  t: string;
}

export interface WaitOptions {
  /** Gives up after this long (the task keeps running on the node). Default 10 min. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Names the operation in messages, e.g. "clone of 9000 to 105". Default: type and id from the UPID. */
  operation?: string;
}

export interface TaskResult {
  upid: string;
  exitstatus: string;
  /** "WARNINGS: N" counts as success; this says it happened. */
  warnings: boolean;
}

/** Poll intervals: 300 ms growing by half each time to 2 s. */
export function pollDelay(poll: number): number {
  return Math.min(2_000, Math.round(300 * 1.5 ** poll));
}

/** A just-started task may be unknown to the status call for a moment (400); tolerate this long. */
const YOUNG_TASK_GRACE_MS = 5_000;
const LOG_TAIL = 10;

type Get = (path: string, params?: Params) => Promise<unknown>;

/**
 * Waits for a worker task on the node named in its UPID. Resolves on `OK` or `WARNINGS`;
 * throws ProxmoxTaskError with the tail of the task log on failure, ProxmoxTaskTimeoutError
 * when `timeoutMs` passes.
 */
export async function waitForTask(
  get: Get,
  clock: Clock,
  upid: string,
  options: WaitOptions = {},
): Promise<TaskResult> {
  const parsed = parseUpid(upid);
  if (!parsed)
    throw new ProxmoxTaskError(
      String(upid),
      'not a task id (UPID)',
      [],
      options.operation ?? 'wait',
    );
  const operation =
    options.operation ?? `${parsed.type}${parsed.id ? ` ${parsed.id}` : ''} on ${parsed.node}`;
  const timeoutMs = options.timeoutMs ?? 600_000;
  const base = `/nodes/${seg(parsed.node)}/tasks/${seg(upid)}`;
  const started = clock.now();
  for (let poll = 0; ; poll++) {
    options.signal?.throwIfAborted();
    let st: TaskStatus | undefined;
    try {
      st = (await get(`${base}/status`)) as TaskStatus;
    } catch (err) {
      const young = clock.now() - started < YOUNG_TASK_GRACE_MS;
      if (!(err instanceof ProxmoxApiError && err.status === 400 && young)) throw err;
    }
    if (st?.status === 'stopped') {
      const exit = st.exitstatus ?? 'unknown';
      if (exit === 'OK' || exit.startsWith('WARNINGS'))
        return { upid, exitstatus: exit, warnings: exit !== 'OK' };
      throw new ProxmoxTaskError(upid, exit, await logTail(get, base), operation);
    }
    const delay = pollDelay(poll);
    if (clock.now() - started + delay > timeoutMs)
      throw new ProxmoxTaskTimeoutError(upid, operation, timeoutMs);
    await clock.sleep(delay, options.signal);
  }
}

async function logTail(get: Get, base: string): Promise<string[]> {
  try {
    const lines = (await get(`${base}/log`, { start: 0, limit: 5000 })) as TaskLogLine[];
    return lines
      .map((l) => l.t)
      .filter((t) => t && t !== 'no content')
      .slice(-LOG_TAIL);
  } catch {
    return [];
  }
}
