import { PveGitopsError } from '../errors.js';

/**
 * What kind of failure Proxmox reported, so callers branch on a value rather than on text.
 * `locked`, `no-worker` and `proxy` are the transient ones a mutation may retry.
 */
export type ProxmoxErrorKind =
  | 'not-found'
  | 'already-exists'
  | 'unauthorized'
  | 'forbidden'
  | 'parameter'
  | 'locked'
  | 'no-worker'
  | 'no-quorum'
  | 'proxy'
  | 'not-implemented'
  | 'not-proxmox'
  | 'server';

/** Classifies a Proxmox message (HTTP reason, JSON `message`, pvesh stderr or task exit status). */
export function classifyMessage(status: number, message: string): ProxmoxErrorKind {
  if (status === 401) return 'unauthorized';
  if (status === 403) return 'forbidden';
  if (status === 501) return 'not-implemented';
  if (/can't lock file .*got timeout|\bVM is locked \(|\bgot lock timeout\b/i.test(message))
    return 'locked';
  if (/got no worker upid/i.test(message)) return 'no-worker';
  if (/cluster not ready - no quorum/i.test(message)) return 'no-quorum';
  if (/already exists/i.test(message)) return 'already-exists';
  if (/does not exist|\bno such (VM|task|node|storage)\b/i.test(message)) return 'not-found';
  if (status >= 595 && status <= 599) return 'proxy';
  if (status === 400) return 'parameter';
  return 'server';
}

export interface ProxmoxApiErrorInit {
  status: number;
  message: string;
  method: string;
  path: string;
  /** Per-parameter errors from a 400 `Parameter verification failed.` answer. */
  errors?: Record<string, string>;
  kind?: ProxmoxErrorKind;
}

/** An answer from the Proxmox API (or pvesh) that is not success. Never carries headers. */
export class ProxmoxApiError extends PveGitopsError {
  readonly status: number;
  /** The reason Proxmox gave: JSON `message`, else the HTTP reason phrase, else pvesh stderr. */
  readonly reason: string;
  readonly method: string;
  readonly path: string;
  readonly errors: Record<string, string>;
  readonly kind: ProxmoxErrorKind;

  constructor(init: ProxmoxApiErrorInit, sentence?: string) {
    const errors = init.errors ?? {};
    const detail = Object.entries(errors)
      .map(([k, v]) => `${k}: ${v}`)
      .join('; ');
    const reason = init.message.trim() || `HTTP ${init.status}`;
    super(
      sentence ??
        `Proxmox ${init.method} ${init.path} failed (${init.status}): ${reason}${detail ? ` (${detail})` : ''}.`,
    );
    this.status = init.status;
    this.reason = reason;
    this.method = init.method;
    this.path = init.path;
    this.errors = errors;
    this.kind =
      init.kind ?? classifyMessage(init.status, [reason, ...Object.values(errors)].join('\n'));
  }
}

/**
 * The API could not be reached or its TLS handshake failed: no HTTP answer at all. Only this
 * error makes the client fall back to SSH; `phase` says whether anything may have been sent.
 */
export class ProxmoxConnectionError extends PveGitopsError {
  constructor(
    message: string,
    readonly phase: 'connect' | 'tls' | 'in-flight',
    readonly code?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A worker task ended with an error; carries the tail of its log. */
export class ProxmoxTaskError extends PveGitopsError {
  readonly kind: ProxmoxErrorKind;
  constructor(
    readonly upid: string,
    readonly exitstatus: string,
    readonly logTail: string[],
    readonly operation: string,
  ) {
    const tail = logTail.length ? ` Last log lines: ${logTail.join(' | ')}` : '';
    super(`Proxmox task ${operation} failed: ${exitstatus}.${tail}`);
    this.kind = classifyMessage(500, exitstatus);
  }
}

/** A worker task did not finish within its time limit (it may still be running on the node). */
export class ProxmoxTaskTimeoutError extends PveGitopsError {
  constructor(
    readonly upid: string,
    readonly operation: string,
    timeoutMs: number,
  ) {
    super(
      `Proxmox task ${operation} did not finish within ${Math.round(timeoutMs / 1000)} s (${upid}).`,
    );
  }
}

/** Kind of any error the client throws, or undefined for foreign errors. */
export function errorKind(err: unknown): ProxmoxErrorKind | 'connection' | undefined {
  if (err instanceof ProxmoxApiError || err instanceof ProxmoxTaskError) return err.kind;
  if (err instanceof ProxmoxConnectionError) return 'connection';
  return undefined;
}

/** True when Proxmox says the object is not there ("does not exist"). */
export function isNotFound(err: unknown): boolean {
  return errorKind(err) === 'not-found';
}
