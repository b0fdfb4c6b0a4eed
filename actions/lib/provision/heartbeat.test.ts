import { afterEach, describe, expect, it, vi } from 'vitest';
import { memoryLogger } from '../log.js';
import { heartbeat } from './heartbeat.js';

afterEach(() => vi.useRealTimers());

describe('heartbeat', () => {
  it('says, while a run is quiet, which task it waits on and since when', () => {
    vi.useFakeTimers();
    let t = 0;
    const log = memoryLogger();
    const hb = heartbeat(log, 'playbooks/k8s.yml on k8s-a', { everyMs: 30_000, now: () => t });
    hb.seen('TASK [Gathering Facts] ****');
    t = 12_000;
    hb.seen('TASK [k3s : Wait until this node is Ready in its cluster] ****');
    t = 30_000;
    vi.advanceTimersByTime(30_000);
    t = 60_000;
    vi.advanceTimersByTime(30_000);
    hb.stop();
    t = 90_000;
    vi.advanceTimersByTime(60_000);
    expect(log.lines).toEqual([
      "info: playbooks/k8s.yml on k8s-a: still running after 30 s; waiting on task 'k3s : Wait until this node is Ready in its cluster' since 18 s.",
      "info: playbooks/k8s.yml on k8s-a: still running after 60 s; waiting on task 'k3s : Wait until this node is Ready in its cluster' since 48 s.",
    ]);
  });
});
