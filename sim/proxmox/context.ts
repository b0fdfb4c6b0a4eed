import type { Principal } from './auth.js';
import type { Cluster } from './cluster.js';

/** What every handler gets. */
export interface HandlerContext {
  /** Validated parameters (path, query and body merged): integers and booleans as numbers. */
  params: Record<string, string | number>;
  who: Principal;
  cluster: Cluster;
  /** The certificate currently served (it changes when the fault spec swaps it). */
  tls: () => { fingerprint: string; certPem: string };
}

/** `METHOD /path/template` → handler returning the `data` of the answer. */
export type Handler = (ctx: HandlerContext) => unknown;
export type Routes = Record<string, Handler>;

/** The string parameter `k`. */
export const str = (ctx: HandlerContext, k: string): string | undefined =>
  ctx.params[k] === undefined ? undefined : String(ctx.params[k]);

/** The numeric parameter `k`. */
export const num = (ctx: HandlerContext, k: string): number | undefined =>
  ctx.params[k] === undefined ? undefined : Number(ctx.params[k]);

/** The user string tasks carry: the token id when called with a token. */
export const taskUser = (ctx: HandlerContext): string => ctx.who.tokenId ?? ctx.who.user;
