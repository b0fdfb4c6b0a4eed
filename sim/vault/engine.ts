import { jwtRoute } from './jwt-routes.js';
import { kv1Route, kv2Route } from './kv-routes.js';
import { capabilitiesOn, parsePolicy, type Capability } from './policy.js';
import type { MountMatch, RouteContext, VaultRequest, VaultResponse } from './route-context.js';
import type { Token, VaultState } from './state.js';
import { healthAnswer, HEALTH_PATHS, sysRoute } from './sys-routes.js';
import { tokenRoute } from './token-routes.js';
import { denied, invalidToken, VaultError } from './vault-error.js';

export { freshState } from './mounts.js';
export type { VaultRequest, VaultResponse } from './route-context.js';

/**
 * The Vault HTTP API over a {@link VaultState}; `save` runs after every change. It routes each
 * path to its handler (sys, auth/token, JWT auth mounts, KV v1/v2 mounts) and holds the token
 * and policy checks they share.
 */
export class VaultEngine implements RouteContext {
  constructor(
    readonly state: VaultState,
    private readonly save: () => void,
  ) {}

  tokenOf(req: VaultRequest): Token {
    if (!req.token) throw denied();
    const t = this.state.tokens[req.token];
    if (!t) throw invalidToken();
    if (t.ttl && Date.now() / 1000 > t.creation_time + t.ttl) {
      delete this.state.tokens[t.id];
      throw invalidToken();
    }
    return t;
  }

  private allowed(t: Token, p: string, cap: Capability): boolean {
    if (t.policies.includes('root')) return true;
    const rules = t.policies.flatMap((n) =>
      this.state.policies[n] ? [parsePolicy(this.state.policies[n])] : [],
    );
    const caps = capabilitiesOn(rules, p);
    return !caps.has('deny') && caps.has(cap);
  }

  require(req: VaultRequest, p: string, cap: Capability): Token {
    const t = this.tokenOf(req);
    if (!this.allowed(t, p, cap)) throw denied();
    return t;
  }

  root(req: VaultRequest): Token {
    const t = this.tokenOf(req);
    if (!t.policies.includes('root') && !this.allowed(t, req.path, 'sudo')) throw denied();
    return t;
  }

  capabilities(req: VaultRequest, p: string): string[] {
    const t = this.tokenOf(req);
    if (t.policies.includes('root')) return ['root'];
    const rules = t.policies.flatMap((n) =>
      this.state.policies[n] ? [parsePolicy(this.state.policies[n])] : [],
    );
    const caps = capabilitiesOn(rules, p.replace(/^\/+/, ''));
    return caps.has('deny') || caps.size === 0 ? ['deny'] : [...caps].sort();
  }

  mountFor(p: string): MountMatch | undefined {
    const names = Object.keys(this.state.mounts).sort((a, b) => b.length - a.length);
    const name = names.find((n) => `${p}/`.startsWith(n));
    return name ? { name, mount: this.state.mounts[name], rest: p.slice(name.length) } : undefined;
  }

  changed<T>(v: T): T {
    this.save();
    return v;
  }

  /** Serves one request; throws VaultError for error answers. */
  async handle(req: VaultRequest): Promise<VaultResponse> {
    const p = req.path.replace(/^\/+|\/+$/g, '');
    const m = req.method;
    if (HEALTH_PATHS.has(p)) return healthAnswer();
    if (p.startsWith('sys/')) return sysRoute(this, req, p.slice(4), m);
    if (p.startsWith('auth/'))
      return tokenRoute(this, req, p.slice(5)) ?? jwtRoute(this, req, p.slice(5), m);
    const mt = this.mountFor(p);
    if (!mt) {
      this.tokenOf(req);
      throw new VaultError(404, [`no handler for route "${p}". route entry not found.`]);
    }
    return mt.mount.version === 2 ? kv2Route(this, req, mt, m) : kv1Route(this, req, mt, m);
  }
}
