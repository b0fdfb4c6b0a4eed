import { ApiError } from '../api-error.js';
import { num, type HandlerContext, type Routes } from '../context.js';
import type { TaskState } from '../state.js';

function taskOf(ctx: HandlerContext): TaskState {
  const upid = String(ctx.params.upid);
  const t = ctx.cluster.state.tasks[upid];
  if (!t || t.node !== ctx.params.node) throw new ApiError(500, `no such task`);
  // Right after the fork the status file may not exist yet: PVE answers 400 for a moment.
  if (Date.now() - t.start < ctx.cluster.state.timings.taskStatusRace)
    throw new ApiError(400, 'Parameter verification failed.', {
      upid: 'unable to read task status',
    });
  return t;
}

/** What PVE says of every task, in its status and in the task lists: who, what, when. */
export function taskIdentity(t: TaskState) {
  const parts = t.upid.split(':');
  const [user, tokenid] = t.user.split('!');
  return {
    upid: t.upid,
    node: t.node,
    pid: parseInt(parts[2], 16),
    pstart: parseInt(parts[3], 16),
    starttime: Math.floor(t.start / 1000),
    type: t.type,
    id: t.id,
    user,
    ...(tokenid ? { tokenid } : {}),
  };
}

export const taskRoutes: Routes = {
  'GET /nodes/{node}/tasks/{upid}/status': (ctx) => {
    const t = taskOf(ctx);
    return {
      ...taskIdentity(t),
      status: t.status,
      ...(t.exitstatus !== undefined ? { exitstatus: t.exitstatus } : {}),
    };
  },
  'GET /nodes/{node}/tasks/{upid}/log': (ctx) => {
    const t = taskOf(ctx);
    const start = num(ctx, 'start') ?? 0;
    const limit = num(ctx, 'limit') ?? 50;
    const lines = t.log.length ? t.log : ['no content'];
    return lines.slice(start, start + limit).map((line, i) => ({ n: start + i + 1, t: line }));
  },
};
