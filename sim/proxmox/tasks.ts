import type { Cluster } from './cluster.js';
import type { FinishOp, TaskState } from './state.js';

const hex8 = (n: number) => (n >>> 0).toString(16).toUpperCase().padStart(8, '0');

/** What a task's body can do while it runs. */
export interface TaskContext {
  log(line: string): void;
  /** Waits `ms` of simulated time (scaled). */
  sleep(ms: number): Promise<void>;
  /** The task's finish operations, which the body may extend. */
  finish: FinishOp[];
  /** Operations applied when the task fails instead (cleanup PVE does itself). */
  onError: FinishOp[];
}

/** Parses a UPID into its parts; undefined when it is not one. */
export function parseUpid(
  upid: string,
): { node: string; type: string; id: string; user: string } | undefined {
  const m =
    /^UPID:([a-zA-Z0-9][a-zA-Z0-9.-]*):([0-9A-F]{8}):([0-9A-F]{8,9}):([0-9A-F]{8}):([^:\s]+):([^:\s]*):([^:\s]+):$/.exec(
      upid,
    );
  return m ? { node: m[1], type: m[5], id: m[6], user: m[7] } : undefined;
}

/**
 * Starts a worker task: a UPID in PVE's format, a log, and a body run in the background.
 * On success the finish ops are applied and the log ends `TASK OK`; a thrown error ends it
 * `TASK ERROR: <message>` and becomes the exit status.
 */
export function startTask(
  cluster: Cluster,
  opts: { node: string; type: string; id: string; user: string; finish?: FinishOp[] },
  body: (t: TaskContext) => Promise<void>,
): string {
  const s = cluster.state;
  const pid = ++s.pid;
  const start = Date.now();
  const upid = `UPID:${opts.node}:${hex8(pid)}:${hex8(pid * 37 + 1234567)}:${hex8(Math.floor(start / 1000))}:${opts.type}:${opts.id}:${opts.user}:`;
  const task: TaskState = {
    upid,
    node: opts.node,
    type: opts.type,
    id: opts.id,
    user: opts.user,
    start,
    status: 'running',
    log: [],
    finish: opts.finish ?? [],
  };
  s.tasks[upid] = task;
  cluster.pruneTasks();
  cluster.save();
  const ctx: TaskContext = {
    log: (line) => task.log.push(line),
    sleep: (ms) => new Promise((r) => setTimeout(r, ms * cluster.scale).unref()),
    finish: task.finish,
    onError: [],
  };
  const run = async () => {
    try {
      await body(ctx);
      if (cluster.stopped) return;
      cluster.applyOps(task.finish);
      task.log.push('TASK OK');
      task.exitstatus = 'OK';
    } catch (err) {
      if (cluster.stopped) return;
      const msg = (err as Error).message.split('\n')[0];
      cluster.applyOps(ctx.onError);
      task.log.push(`TASK ERROR: ${msg}`);
      task.exitstatus = msg;
    }
    task.status = 'stopped';
    cluster.save();
  };
  cluster.track(run());
  return upid;
}
