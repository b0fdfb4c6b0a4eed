import { envelope, id, str } from './fields.js';
import { mountInfo, newMount } from './mounts.js';
import { parsePolicy } from './policy.js';
import type { RouteContext, VaultRequest, VaultResponse } from './route-context.js';
import { VaultError } from './vault-error.js';

/** The paths answered without a token, as an unsealed dev server answers them. */
export const HEALTH_PATHS = new Set(['sys/health', 'sys/seal-status', 'sys/init']);

/** sys/health, sys/seal-status and sys/init: one initialised, unsealed node. */
export function healthAnswer(): VaultResponse {
  return {
    status: 200,
    body: {
      initialized: true,
      sealed: false,
      standby: false,
      t: 1,
      n: 1,
      progress: 0,
      version: '1.17.0+sim',
      cluster_name: 'vault-sim',
      server_time_utc: Math.floor(Date.now() / 1000),
    },
  };
}

/** `sys/…` below `p` (mounts, auth methods, policies); health is {@link HEALTH}. */
export function sysRoute(
  ctx: RouteContext,
  req: VaultRequest,
  p: string,
  m: string,
): VaultResponse {
  const ok = (data: unknown) => ({ status: 200, body: envelope(data) });
  if (p.startsWith('internal/ui/mounts/')) {
    ctx.tokenOf(req);
    const mt = ctx.mountFor(p.slice('internal/ui/mounts/'.length).replace(/\/$/, ''));
    if (!mt)
      throw new VaultError(403, [
        `preflight capability check returned 403, please ensure client's policies grant access to path "${p.slice(19)}/"`,
      ]);
    return ok({ ...mountInfo(mt.mount), path: mt.name });
  }
  // Vault's sys/capabilities-self: what the caller's token may do on each path; the answer
  // carries every path as a key and, for one path, `capabilities` (also inside `data`).
  if (p === 'capabilities-self' && (m === 'POST' || m === 'PUT')) {
    const paths = Array.isArray(req.body.paths)
      ? req.body.paths.map((x) => String(x))
      : [str(req.body.path, '')];
    const data: Record<string, string[]> = {};
    for (const one of paths) data[one] = ctx.capabilities(req, one);
    if (paths.length === 1) data.capabilities = data[paths[0]];
    return { status: 200, body: { ...data, ...envelope(data) } };
  }
  if (p === 'mounts' && m === 'GET') {
    ctx.root(req);
    const data: Record<string, unknown> = {
      'sys/': {
        type: 'system',
        options: null,
        description: 'system endpoints',
        accessor: 'system_0',
        local: false,
        seal_wrap: true,
        config: {},
      },
      'cubbyhole/': {
        type: 'cubbyhole',
        options: null,
        description: 'per-token private secret storage',
        accessor: 'cubbyhole_0',
        local: true,
        seal_wrap: false,
        config: {},
      },
    };
    for (const [n, mt] of Object.entries(ctx.state.mounts)) data[n] = mountInfo(mt);
    return { status: 200, body: { ...data, ...envelope(data) } };
  }
  if (p.startsWith('mounts/')) {
    ctx.root(req);
    const name = `${p.slice(7).replace(/\/$/, '')}/`;
    if (m === 'DELETE') {
      delete ctx.state.mounts[name];
      return ctx.changed({ status: 204 });
    }
    if (m === 'GET') {
      const mt = ctx.state.mounts[name];
      if (!mt) throw new VaultError(400, [`No secret engine mount at ${name}`]);
      return ok(mountInfo(mt));
    }
    const type = str(req.body.type, '');
    const opts = (req.body.options ?? {}) as Record<string, unknown>;
    if (type !== 'kv' && type !== 'kv-v2')
      throw new VaultError(400, [`plugin not found in the catalog: ${type}`]);
    if (ctx.state.mounts[name] || name.startsWith('sys/') || name.startsWith('auth/'))
      throw new VaultError(400, [`path is already in use at ${name}`]);
    const version = type === 'kv-v2' || str(opts.version, '1') === '2' ? 2 : 1;
    ctx.state.mounts[name] = newMount(version);
    return ctx.changed({ status: 204 });
  }
  if (p === 'auth' && m === 'GET') {
    ctx.root(req);
    const data = Object.fromEntries(
      Object.entries(ctx.state.auth).map(([n, a]) => [
        n,
        {
          type: a.type,
          accessor: a.accessor,
          description: '',
          config: {},
          options: null,
          local: false,
          seal_wrap: false,
        },
      ]),
    );
    return { status: 200, body: { ...data, ...envelope(data) } };
  }
  if (p.startsWith('auth/')) {
    ctx.root(req);
    const name = `${p.slice(5).replace(/\/$/, '')}/`;
    if (m === 'DELETE') {
      delete ctx.state.auth[name];
      return ctx.changed({ status: 204 });
    }
    if (req.body.type !== 'jwt' && req.body.type !== 'oidc')
      throw new VaultError(400, [`plugin not found in the catalog: ${String(req.body.type)}`]);
    if (ctx.state.auth[name]) throw new VaultError(400, [`path is already in use at auth/${name}`]);
    ctx.state.auth[name] = { type: 'jwt', accessor: id('auth_jwt_'), roles: {} };
    return ctx.changed({ status: 204 });
  }
  const pol = /^(?:policy|policies\/acl)(?:\/(.+))?$/.exec(p);
  if (pol) {
    ctx.root(req);
    const name = pol[1];
    if (!name)
      return ok({
        keys: ['default', ...Object.keys(ctx.state.policies), 'root'],
        policies: Object.keys(ctx.state.policies),
      });
    if (m === 'GET') {
      const text = ctx.state.policies[name];
      if (text === undefined) throw new VaultError(404, []);
      return ok({ name, rules: text, policy: text });
    }
    if (m === 'DELETE') {
      delete ctx.state.policies[name];
      return ctx.changed({ status: 204 });
    }
    const text = str(req.body.policy ?? req.body.rules, '');
    try {
      parsePolicy(text);
    } catch (e) {
      throw new VaultError(400, [`failed to parse policy: ${(e as Error).message}`]);
    }
    ctx.state.policies[name] = text;
    return ctx.changed({ status: 204 });
  }
  ctx.tokenOf(req);
  throw new VaultError(404, [`no handler for route "sys/${p}". route entry not found.`]);
}
