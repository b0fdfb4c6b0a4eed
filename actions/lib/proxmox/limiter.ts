/** At most `limit` calls of `run` at once; the rest wait in order. */
export class Limiter {
  private active = 0;
  private readonly queue: Array<() => void> = [];

  constructor(readonly limit: number) {
    if (!(limit >= 1)) throw new RangeError('limit must be at least 1');
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((r) => this.queue.push(r));
    else this.active++;
    try {
      return await fn();
    } finally {
      const next = this.queue.shift();
      // The slot passes straight to the next waiter, so `active` stays counted.
      if (next) next();
      else this.active--;
    }
  }

  /** Calls running now plus calls waiting. */
  get pending(): number {
    return this.active + this.queue.length;
  }
}

/**
 * One Limiter per key, created on demand. Used per storage: a full clone holds the storage
 * lock for seconds and a clone waiting for it gives up after 10 s, so a third concurrent
 * clone onto one storage fails (bpg #995). Exported so apply can share one instance.
 */
export class KeyedLimiter {
  private readonly limiters = new Map<string, Limiter>();
  constructor(readonly perKey = 1) {}

  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    let l = this.limiters.get(key);
    if (!l) this.limiters.set(key, (l = new Limiter(this.perKey)));
    return l.run(fn);
  }
}

/**
 * Full clones in flight per storage: one copying (holding PVE's storage lock) and one queued
 * on that lock, so the storage never idles between clones while our poll notices the end of
 * the previous task. A waiter only times out if the one ahead holds the lock over 10 s;
 * that `got timeout` is retried. Storage work itself stays serial, as PVE's lock makes it.
 */
export const CLONES_PER_STORAGE = 2;

/**
 * The key under which clones onto `storage` are serialised: local storages are locked per
 * node (`/var/lock/pve-manager/pve-storage-<id>`), shared ones cluster-wide (`cfs-lock`).
 */
export function storageLockKey(node: string, storage: string, shared = false): string {
  return shared ? `cluster/${storage}` : `${node}/${storage}`;
}

/** Runs `fn` over `items` with at most `limit` in flight; results in input order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
