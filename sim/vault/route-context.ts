import type { Capability } from './policy.js';
import type { Mount, Token, VaultState } from './state.js';

/** One request as the engine sees it: METHOD (LIST for lists), path after /v1/, body, token. */
export interface VaultRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  body: Record<string, unknown>;
  token?: string;
  /** The media type of the body (PATCH wants application/merge-patch+json). */
  contentType?: string;
}

/** What the HTTP layer writes back: 204 when `body` is undefined. */
export interface VaultResponse {
  status: number;
  body?: Record<string, unknown>;
}

/** The secrets engine mount serving a path, and the path inside it. */
export interface MountMatch {
  name: string;
  mount: Mount;
  rest: string;
}

/** What the route handlers need from the engine: its state, token checks and saving. */
export interface RouteContext {
  readonly state: VaultState;
  /** The request's live token; 403 when missing, unknown or expired (expired ones are dropped). */
  tokenOf(req: VaultRequest): Token;
  /** The token, if its policies grant `cap` on `p`; 403 otherwise. */
  require(req: VaultRequest, p: string, cap: Capability): Token;
  /** The token, if it is root or has `sudo` on the request path; 403 otherwise. */
  root(req: VaultRequest): Token;
  /** What the request's token may do on `p`, as `sys/capabilities-self` answers (`root`, `deny`). */
  capabilities(req: VaultRequest, p: string): string[];
  /** The mount serving `p` (longest prefix), with the rest of the path. */
  mountFor(p: string): MountMatch | undefined;
  /** Saves the state and returns `v`: every answer to a change goes through here. */
  changed<T>(v: T): T;
}
