import { randomBytes, randomUUID } from 'node:crypto';
import { LoginError, validateJwt } from './jwt.js';
import { kv2Metadata, kv2Read, kv2Versions, kv2Write, kv2WriteMetadata, listKeys } from './kv.js';
import { capabilitiesOn, parsePolicy, type Capability } from './policy.js';
import type { AuthMount, JwtRole, Mount, Token, VaultState } from './state.js';
import { denied, VaultError } from './vault-error.js';

/** A request field as text: strings and numbers as they are, anything else the default. */
const str = (v: unknown, d = ''): string =>
  typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : d;

/** One request as the engine sees it: METHOD (LIST for lists), path after /v1/, body, token. */
export interface VaultRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  body: Record<string, unknown>;
  token?: string;
}

/** What the HTTP layer writes back: 204 when `body` is undefined. */
export interface VaultResponse {
  status: number;
  body?: Record<string, unknown>;
}

const id = (prefix: string) => `${prefix}${randomBytes(18).toString('base64url')}`;
const strList = (v: unknown): string[] =>
  Array.isArray(v)
    ? v.map(String)
    : typeof v === 'string' && v
      ? v.split(',').map((s) => s.trim())
      : [];

function ttlSeconds(v: unknown): number {
  if (typeof v === 'number') return v;
  const m = /^(\d+)([smhd]?)$/.exec(str(v, '').trim());
  if (!m) return 0;
  return Number(m[1]) * ({ '': 1, s: 1, m: 60, h: 3600, d: 86400 }[m[2]] ?? 1);
}

function envelope(data: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    request_id: randomUUID(),
    lease_id: '',
    renewable: false,
    lease_duration: 0,
    data,
    wrap_info: null,
    warnings: null,
    auth: null,
    ...extra,
  };
}

/** A new, empty Vault: one KV v2 mount at `kv/`, token auth, the root token. */
export function freshState(rootToken: string): VaultState {
  return {
    mounts: { 'kv/': newMount(2) },
    auth: { 'token/': { type: 'token', accessor: id('auth_token_'), roles: {} } },
    policies: {},
    tokens: {
      [rootToken]: {
        id: rootToken,
        accessor: id(''),
        policies: ['root'],
        display_name: 'root',
        path: 'auth/token/root',
        meta: null,
        creation_time: Math.floor(Date.now() / 1000),
        ttl: 0,
      },
    },
  };
}

function newMount(version: 1 | 2): Mount {
  return {
    type: 'kv',
    version,
    accessor: id('kv_'),
    v1: {},
    v2: {},
    cas_required: false,
    max_versions: 0,
  };
}

function mountInfo(m: Mount) {
  return {
    accessor: m.accessor,
    config: { default_lease_ttl: 0, force_no_cache: false, max_lease_ttl: 0 },
    description: '',
    external_entropy_access: false,
    local: false,
    options: { version: String(m.version) },
    plugin_version: '',
    running_plugin_version: `v0.20.0+builtin`,
    running_sha256: '',
    seal_wrap: false,
    type: 'kv',
    uuid: m.accessor,
  };
}

/** The Vault HTTP API over a {@link VaultState}; `save` runs after every change. */
export class VaultEngine {
  constructor(
    readonly state: VaultState,
    private readonly save: () => void,
  ) {}

  private tokenOf(req: VaultRequest): Token {
    const t = req.token ? this.state.tokens[req.token] : undefined;
    if (!t) throw denied();
    if (t.ttl && Date.now() / 1000 > t.creation_time + t.ttl) {
      delete this.state.tokens[t.id];
      throw denied();
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

  private require(req: VaultRequest, p: string, cap: Capability): Token {
    const t = this.tokenOf(req);
    if (!this.allowed(t, p, cap)) throw denied();
    return t;
  }

  private root(req: VaultRequest): Token {
    const t = this.tokenOf(req);
    if (!t.policies.includes('root') && !this.allowed(t, req.path, 'sudo')) throw denied();
    return t;
  }

  /** The mount serving `p` (longest prefix), with the rest of the path. */
  private mountFor(p: string): { name: string; mount: Mount; rest: string } | undefined {
    const names = Object.keys(this.state.mounts).sort((a, b) => b.length - a.length);
    const name = names.find((n) => `${p}/`.startsWith(n));
    return name ? { name, mount: this.state.mounts[name], rest: p.slice(name.length) } : undefined;
  }

  private changed<T>(v: T): T {
    this.save();
    return v;
  }

  /** Serves one request; throws VaultError for error answers. */
  async handle(req: VaultRequest): Promise<VaultResponse> {
    const p = req.path.replace(/^\/+|\/+$/g, '');
    const m = req.method;
    if (p === 'sys/health' || p === 'sys/seal-status' || p === 'sys/init') {
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
    if (p.startsWith('sys/')) return this.sys(req, p.slice(4), m);
    if (p.startsWith('auth/')) return this.auth(req, p.slice(5), m);
    const mt = this.mountFor(p);
    if (!mt) {
      this.tokenOf(req);
      throw new VaultError(404, [`no handler for route "${p}". route entry not found.`]);
    }
    return mt.mount.version === 2 ? this.kv2(req, mt, m) : this.kv1(req, mt, m);
  }

  private kv1(
    req: VaultRequest,
    { name, mount, rest }: { name: string; mount: Mount; rest: string },
    m: string,
  ): VaultResponse {
    const full = `${name}${rest}`;
    if (m === 'LIST') {
      this.require(req, full, 'list');
      return { status: 200, body: envelope({ keys: listKeys(Object.keys(mount.v1), rest) }) };
    }
    if (m === 'GET') {
      this.require(req, full, 'read');
      const d = mount.v1[rest];
      if (!d) throw new VaultError(404, []);
      return { status: 200, body: envelope(d, { lease_duration: 2764800 }) };
    }
    if (m === 'POST' || m === 'PUT') {
      this.require(req, full, mount.v1[rest] ? 'update' : 'create');
      mount.v1[rest] = req.body;
      return this.changed({ status: 204 });
    }
    if (m === 'DELETE') {
      this.require(req, full, 'delete');
      delete mount.v1[rest];
      return this.changed({ status: 204 });
    }
    throw new VaultError(405, ['unsupported operation']);
  }

  private kv2(
    req: VaultRequest,
    { name, mount, rest }: { name: string; mount: Mount; rest: string },
    m: string,
  ): VaultResponse {
    const [kind, ...tail] = rest.split('/');
    const p = tail.join('/');
    const full = `${name}${rest}`;
    const ok = (data: unknown) => ({ status: 200, body: envelope(data) });
    if (kind === 'data') {
      if (m === 'GET') {
        this.require(req, full, 'read');
        const v = req.query.get('version');
        try {
          return ok(kv2Read(mount, p, v ? Number(v) : undefined));
        } catch (e) {
          if (e instanceof VaultError && e.extra) throw new VaultError(404, [], envelope(e.extra));
          throw e;
        }
      }
      if (m === 'POST' || m === 'PUT') {
        this.require(req, full, mount.v2[p]?.current_version ? 'update' : 'create');
        return this.changed(ok(kv2Write(mount, p, req.body)));
      }
      if (m === 'DELETE') {
        this.require(req, full, 'delete');
        kv2Versions(mount, p, 'delete');
        return this.changed({ status: 204 });
      }
    }
    if (kind === 'metadata') {
      if (m === 'LIST') {
        this.require(req, full, 'list');
        return ok({ keys: listKeys(Object.keys(mount.v2), p) });
      }
      if (m === 'GET') {
        this.require(req, full, 'read');
        return ok(kv2Metadata(mount, p));
      }
      if (m === 'POST' || m === 'PUT') {
        this.require(req, full, mount.v2[p] ? 'update' : 'create');
        kv2WriteMetadata(mount, p, req.body);
        return this.changed({ status: 204 });
      }
      if (m === 'DELETE') {
        this.require(req, full, 'delete');
        delete mount.v2[p];
        return this.changed({ status: 204 });
      }
    }
    if (
      (kind === 'delete' || kind === 'undelete' || kind === 'destroy') &&
      (m === 'POST' || m === 'PUT')
    ) {
      this.require(req, full, 'update');
      kv2Versions(mount, p, kind, req.body.versions);
      return this.changed({ status: 204 });
    }
    if (kind === 'config') {
      this.require(req, full, m === 'GET' ? 'read' : 'update');
      if (m === 'GET')
        return ok({
          cas_required: mount.cas_required,
          delete_version_after: '0s',
          max_versions: mount.max_versions,
        });
      if (req.body.cas_required !== undefined)
        mount.cas_required = req.body.cas_required === true || req.body.cas_required === 'true';
      if (req.body.max_versions !== undefined) mount.max_versions = Number(req.body.max_versions);
      return this.changed({ status: 204 });
    }
    this.tokenOf(req);
    throw new VaultError(404, [`no handler for route "${full}". route entry not found.`]);
  }

  private sys(req: VaultRequest, p: string, m: string): VaultResponse {
    const ok = (data: unknown) => ({ status: 200, body: envelope(data) });
    if (p.startsWith('internal/ui/mounts/')) {
      this.tokenOf(req);
      const mt = this.mountFor(p.slice('internal/ui/mounts/'.length).replace(/\/$/, ''));
      if (!mt)
        throw new VaultError(403, [
          `preflight capability check returned 403, please ensure client's policies grant access to path "${p.slice(19)}/"`,
        ]);
      return ok({ ...mountInfo(mt.mount), path: mt.name });
    }
    if (p === 'mounts' && m === 'GET') {
      this.root(req);
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
      for (const [n, mt] of Object.entries(this.state.mounts)) data[n] = mountInfo(mt);
      return { status: 200, body: { ...data, ...envelope(data) } };
    }
    if (p.startsWith('mounts/')) {
      this.root(req);
      const name = `${p.slice(7).replace(/\/$/, '')}/`;
      if (m === 'DELETE') {
        delete this.state.mounts[name];
        return this.changed({ status: 204 });
      }
      if (m === 'GET') {
        const mt = this.state.mounts[name];
        if (!mt) throw new VaultError(400, [`No secret engine mount at ${name}`]);
        return ok(mountInfo(mt));
      }
      const type = str(req.body.type, '');
      const opts = (req.body.options ?? {}) as Record<string, unknown>;
      if (type !== 'kv' && type !== 'kv-v2')
        throw new VaultError(400, [`plugin not found in the catalog: ${type}`]);
      if (this.state.mounts[name] || name.startsWith('sys/') || name.startsWith('auth/'))
        throw new VaultError(400, [`path is already in use at ${name}`]);
      const version = type === 'kv-v2' || str(opts.version, '1') === '2' ? 2 : 1;
      this.state.mounts[name] = newMount(version);
      return this.changed({ status: 204 });
    }
    if (p === 'auth' && m === 'GET') {
      this.root(req);
      const data = Object.fromEntries(
        Object.entries(this.state.auth).map(([n, a]) => [
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
      this.root(req);
      const name = `${p.slice(5).replace(/\/$/, '')}/`;
      if (m === 'DELETE') {
        delete this.state.auth[name];
        return this.changed({ status: 204 });
      }
      if (req.body.type !== 'jwt' && req.body.type !== 'oidc')
        throw new VaultError(400, [`plugin not found in the catalog: ${String(req.body.type)}`]);
      if (this.state.auth[name])
        throw new VaultError(400, [`path is already in use at auth/${name}`]);
      this.state.auth[name] = { type: 'jwt', accessor: id('auth_jwt_'), roles: {} };
      return this.changed({ status: 204 });
    }
    const pol = /^(?:policy|policies\/acl)(?:\/(.+))?$/.exec(p);
    if (pol) {
      this.root(req);
      const name = pol[1];
      if (!name)
        return ok({
          keys: ['default', ...Object.keys(this.state.policies), 'root'],
          policies: Object.keys(this.state.policies),
        });
      if (m === 'GET') {
        const text = this.state.policies[name];
        if (text === undefined) throw new VaultError(404, []);
        return ok({ name, rules: text, policy: text });
      }
      if (m === 'DELETE') {
        delete this.state.policies[name];
        return this.changed({ status: 204 });
      }
      const text = str(req.body.policy ?? req.body.rules, '');
      try {
        parsePolicy(text);
      } catch (e) {
        throw new VaultError(400, [`failed to parse policy: ${(e as Error).message}`]);
      }
      this.state.policies[name] = text;
      return this.changed({ status: 204 });
    }
    this.tokenOf(req);
    throw new VaultError(404, [`no handler for route "sys/${p}". route entry not found.`]);
  }

  private auth(req: VaultRequest, p: string, m: string): Promise<VaultResponse> | VaultResponse {
    if (p === 'token/lookup-self' || (p === 'token/lookup' && !req.body.token)) {
      const t = this.tokenOf(req);
      return { status: 200, body: envelope(this.describe(t)) };
    }
    if (p === 'token/revoke-self') {
      const t = this.tokenOf(req);
      delete this.state.tokens[t.id];
      return this.changed({ status: 204 });
    }
    if (p === 'token/create' || p === 'token/create-orphan') {
      const parent = this.require(req, 'auth/token/create', 'update');
      const wanted = strList(req.body.policies);
      const policies = wanted.length ? wanted : parent.policies;
      if (
        !parent.policies.includes('root') &&
        policies.some((x) => !parent.policies.includes(x) && x !== 'default')
      )
        throw new VaultError(400, ['child policies must be subset of parent']);
      const t = this.issue(
        policies.includes('root') ? ['root'] : policies,
        ttlSeconds(req.body.ttl),
        'token',
        str(req.body.display_name, 'token'),
      );
      return this.changed({ status: 200, body: envelope(null, { auth: this.authBlock(t) }) });
    }
    const [mountName, ...rest] = p.split('/');
    const am = this.state.auth[`${mountName}/`];
    if (!am || am.type !== 'jwt') {
      throw new VaultError(404, [`no handler for route "auth/${p}". route entry not found.`]);
    }
    const sub = rest.join('/');
    if (sub === 'login' && (m === 'POST' || m === 'PUT')) return this.jwtLogin(am, req);
    this.root(req);
    if (sub === 'config') {
      if (m === 'GET') return { status: 200, body: envelope(am.config ?? {}) };
      am.config = {
        bound_issuer: str(req.body.bound_issuer, ''),
        jwt_validation_pubkeys: strList(req.body.jwt_validation_pubkeys),
        jwks_url: str(req.body.jwks_url, ''),
        jwks_ca_pem: str(req.body.jwks_ca_pem, ''),
      };
      if (!am.config.jwks_url && !am.config.jwt_validation_pubkeys.length)
        throw new VaultError(400, [
          "exactly one of 'jwt_validation_pubkeys', 'jwks_url' or 'oidc_discovery_url' must be set",
        ]);
      return this.changed({ status: 204 });
    }
    if (sub === 'role' && (m === 'LIST' || m === 'GET'))
      return { status: 200, body: envelope({ keys: Object.keys(am.roles) }) };
    if (sub.startsWith('role/')) {
      const name = sub.slice(5);
      if (m === 'GET') {
        const r = am.roles[name];
        if (!r) throw new VaultError(404, []);
        return { status: 200, body: envelope({ ...r, policies: r.token_policies }) };
      }
      if (m === 'DELETE') {
        delete am.roles[name];
        return this.changed({ status: 204 });
      }
      const b = req.body;
      const role: JwtRole = {
        role_type: 'jwt',
        bound_audiences: strList(b.bound_audiences),
        bound_subject: str(b.bound_subject, ''),
        bound_claims: (b.bound_claims as JwtRole['bound_claims']) ?? null,
        bound_claims_type: b.bound_claims_type === 'glob' ? 'glob' : 'string',
        user_claim: str(b.user_claim, ''),
        token_policies: strList(b.token_policies ?? b.policies),
        token_ttl: ttlSeconds(b.token_ttl ?? b.ttl),
      };
      if (b.role_type && b.role_type !== 'jwt')
        throw new VaultError(400, ['invalid \'role_type\': only "jwt" is simulated']);
      if (!role.user_claim) throw new VaultError(400, ['a user claim must be defined on the role']);
      am.roles[name] = role;
      return this.changed({ status: 204 });
    }
    throw new VaultError(404, [`no handler for route "auth/${p}". route entry not found.`]);
  }

  private async jwtLogin(am: AuthMount, req: VaultRequest): Promise<VaultResponse> {
    const roleName = str(req.body.role, '');
    const jwt = str(req.body.jwt, '');
    if (!roleName) throw new VaultError(400, ['missing role']);
    if (!jwt) throw new VaultError(400, ['missing token']);
    const role = am.roles[roleName];
    if (!role) throw new VaultError(400, [`role "${roleName}" could not be found`]);
    if (!am.config) throw new VaultError(400, ['could not load configuration']);
    let claims;
    try {
      claims = await validateJwt(jwt, am.config, role);
    } catch (e) {
      if (e instanceof LoginError) throw new VaultError(400, [e.message]);
      throw e;
    }
    const t = this.issue(
      role.token_policies,
      role.token_ttl,
      'jwt',
      `jwt-${String(claims[role.user_claim])}`,
      roleName,
    );
    return this.changed({ status: 200, body: envelope(null, { auth: this.authBlock(t) }) });
  }

  private issue(
    policies: string[],
    ttl: number,
    method: string,
    display: string,
    role?: string,
  ): Token {
    const t: Token = {
      id: id('hvs.'),
      accessor: id(''),
      policies: policies.includes('root')
        ? ['root']
        : ['default', ...policies.filter((x) => x !== 'default')],
      display_name: display,
      path: method === 'jwt' ? 'auth/jwt/login' : 'auth/token/create',
      meta: role ? { role } : null,
      creation_time: Math.floor(Date.now() / 1000),
      ttl: ttl || (policies.includes('root') ? 0 : 2764800),
      role,
    };
    this.state.tokens[t.id] = t;
    return t;
  }

  private authBlock(t: Token) {
    return {
      client_token: t.id,
      accessor: t.accessor,
      policies: t.policies,
      token_policies: t.policies,
      metadata: t.meta,
      lease_duration: t.ttl,
      renewable: t.ttl > 0,
      entity_id: '',
      token_type: 'service',
      orphan: true,
      num_uses: 0,
    };
  }

  private describe(t: Token) {
    const left = t.ttl ? Math.max(0, t.creation_time + t.ttl - Math.floor(Date.now() / 1000)) : 0;
    return {
      accessor: t.accessor,
      creation_time: t.creation_time,
      creation_ttl: t.ttl,
      display_name: t.display_name,
      entity_id: '',
      expire_time: t.ttl ? new Date((t.creation_time + t.ttl) * 1000).toISOString() : null,
      explicit_max_ttl: 0,
      id: t.id,
      issue_time: new Date(t.creation_time * 1000).toISOString(),
      meta: t.meta,
      num_uses: 0,
      orphan: true,
      path: t.path,
      policies: t.policies,
      renewable: t.ttl > 0,
      ttl: left,
      type: 'service',
    };
  }
}
