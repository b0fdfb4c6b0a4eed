/** PVE's flock acquisition timeouts (seconds before timeScale). */
export const lockTimeouts = { config: 10, create: 5, clone: 1, storage: 10 } as const;

interface Waiter {
  shared: boolean;
  grant: () => void;
}
interface LockEntry {
  holders: number;
  exclusive: boolean;
  queue: Waiter[];
}

/**
 * In-process stand-in for PVE's file locks: FIFO, shared or exclusive, with an acquisition
 * timeout on the scaled clock. Rejects with `got timeout` as flock does.
 */
export class LockTable {
  private readonly locks = new Map<string, LockEntry>();
  constructor(private readonly scale: number) {}

  private entry(key: string): LockEntry {
    let e = this.locks.get(key);
    if (!e) this.locks.set(key, (e = { holders: 0, exclusive: false, queue: [] }));
    return e;
  }

  private grantable(e: LockEntry, shared: boolean): boolean {
    return e.holders === 0 || (shared && !e.exclusive);
  }

  private take(key: string, e: LockEntry, shared: boolean): () => void {
    e.holders++;
    e.exclusive = !shared;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      e.holders--;
      if (e.holders === 0) e.exclusive = false;
      while (e.queue.length && this.grantable(e, e.queue[0].shared)) e.queue.shift()!.grant();
      if (e.holders === 0 && e.queue.length === 0) this.locks.delete(key);
    };
  }

  /** Waits up to `timeoutSec` (scaled) for the lock; resolves to its release function. */
  acquire(key: string, timeoutSec: number, shared = false): Promise<() => void> {
    const e = this.entry(key);
    if (e.queue.length === 0 && this.grantable(e, shared))
      return Promise.resolve(this.take(key, e, shared));
    return new Promise((resolve, reject) => {
      const w: Waiter = {
        shared,
        grant: () => {
          clearTimeout(timer);
          resolve(this.take(key, e, shared));
        },
      };
      const timer = setTimeout(
        () => {
          e.queue.splice(e.queue.indexOf(w), 1);
          reject(new Error('got timeout'));
        },
        timeoutSec * 1000 * this.scale,
      );
      timer.unref();
      e.queue.push(w);
    });
  }

  /** Holds `key` exclusively for `ms` (already scaled) as some other process would. */
  holdFor(key: string, ms: number): void {
    void this.acquire(key, 1e6).then((release) => setTimeout(release, ms).unref());
  }

  /** Whether anyone holds `key` now. */
  isHeld(key: string): boolean {
    return (this.locks.get(key)?.holders ?? 0) > 0;
  }
}

/** The lock file path PVE names in its messages. */
export function lockPath(key: string): string {
  const [kind, id, node] = key.split(':');
  if (kind === 'vm') return `/var/lock/qemu-server/lock-${id}.conf`;
  return node === undefined
    ? `cfs-lock 'storage-${id}'`
    : `/var/lock/pve-manager/pve-storage-${id}`;
}

/** PVE's message for a lock that could not be taken. */
export function lockTimeoutMessage(key: string): string {
  const p = lockPath(key);
  return p.startsWith('cfs-lock')
    ? `${p} error: got lock request timeout`
    : `can't lock file '${p}' - got timeout`;
}
