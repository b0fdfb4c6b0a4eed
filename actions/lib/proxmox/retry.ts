import type { Clock } from './clock.js';
import { errorKind, ProxmoxApiError, ProxmoxConnectionError } from './errors.js';

export interface RetryPolicy {
  /** Attempts in all, first one included. */
  attempts: number;
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseMs: 500, maxMs: 8_000 };

/** Exponential backoff with full jitter over the upper half: base·2^n·(0.5..1), capped. */
export function backoffMs(policy: RetryPolicy, attempt: number, random: number): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** attempt);
  return Math.round(ceiling * (0.5 + random / 2));
}

/** Reads retry on transport failures and on 5xx answers that are not final ("does not exist"). */
export function isRetryableRead(err: unknown): boolean {
  if (err instanceof ProxmoxConnectionError) return err.phase !== 'tls';
  if (err instanceof ProxmoxApiError) {
    if (err.status < 500 || err.status === 501) return false;
    return !['not-found', 'already-exists', 'parameter', 'not-proxmox'].includes(err.kind);
  }
  return false;
}

/**
 * Mutations retry only where Proxmox cannot have done the work: lock timeouts, no worker
 * started, proxy pseudo-statuses 595/596, and connections refused before a byte was sent.
 */
export function isRetryableMutation(err: unknown): boolean {
  if (err instanceof ProxmoxConnectionError) return err.phase === 'connect';
  if (err instanceof ProxmoxApiError && (err.status === 595 || err.status === 596)) return true;
  const kind = errorKind(err);
  return kind === 'locked' || kind === 'no-worker';
}

/** Runs `fn` until it succeeds, `retryable` says no, or attempts run out. */
export async function withRetry<T>(
  fn: (attempt: number) => Promise<T>,
  retryable: (err: unknown) => boolean,
  policy: RetryPolicy,
  clock: Clock,
  signal?: AbortSignal,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (attempt + 1 >= policy.attempts || !retryable(err) || signal?.aborted) throw err;
      await clock.sleep(backoffMs(policy, attempt, clock.random()), signal);
    }
  }
}
