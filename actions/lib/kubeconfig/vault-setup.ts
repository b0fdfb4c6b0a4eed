import { ConfigurationError } from '../errors.js';
import type { KubeconfigLocation } from './store.js';
import { VaultHttpError, type VaultClient } from './vault-client.js';

/** GitHub Actions' OIDC issuer; Vault discovers its keys from it. */
export const GITHUB_OIDC_ISSUER = 'https://token.actions.githubusercontent.com';

/** What `pve-gitops vault setup` makes: one repository publishes, named ones read. */
export interface VaultSetupOptions {
  location: KubeconfigLocation;
  /** `owner/name` of the repository whose apply workflow publishes kubeconfigs. */
  repository: string;
  /** `owner/name` of every repository whose jobs may fetch them (default: `repository`). */
  readers: string[];
  /** The publisher binds this ref (default `refs/heads/main`) … */
  ref: string;
  /** … or, when set, this GitHub environment instead. */
  environment?: string;
  /** The JWT auth mount (default `jwt`). */
  authPath: string;
  /** The audience the reading jobs ask for (`vault-audience`, default `vault`). */
  readerAudience: string;
  /** Prefix of the policy and role names (default `pve-gitops`). */
  prefix: string;
  issuer: string;
  /** Keys from this JWKS URL instead of OIDC discovery (an air-gapped Vault, the simulator). */
  jwksUrl?: string;
}

/** One piece of Vault configuration: where it lives, what it should hold, and how to say it. */
export interface SetupItem {
  what: string;
  method: 'POST' | 'PUT';
  path: string;
  body: Record<string, unknown>;
  /** The equivalent `vault` CLI command. */
  cli: string;
  /** Reads what is there now: undefined when absent; throws when present but unusable. */
  current(vault: VaultClient): Promise<'same' | 'differs' | undefined>;
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
/** A scalar as Vault shows it; anything else as JSON, so it compares unequal, never as `[object Object]`. */
const text = (v: unknown): string =>
  typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean'
    ? String(v)
    : JSON.stringify(v ?? '');
const asList = (v: unknown) => (Array.isArray(v) ? v.map(text) : v == null ? [] : [text(v)]);
const sameList = (a: unknown, b: unknown) =>
  JSON.stringify(asList(a).sort()) === JSON.stringify(asList(b).sort());

async function readOrUndefined(vault: VaultClient, path: string) {
  try {
    return (await vault.request('GET', path))?.data as Record<string, unknown> | undefined;
  } catch (err) {
    if (err instanceof VaultHttpError && err.status === 404) return undefined;
    throw err;
  }
}

function policyHcl(o: VaultSetupOptions, capabilities: string[], who: string): string {
  const { mount, path } = o.location;
  return [
    `# pve-gitops (${o.repository}): ${who} the kubeconfigs at ${mount}/${path}, key ${o.location.key}.`,
    `path "${mount}/data/${path}" {`,
    `  capabilities = [${capabilities.map((c) => `"${c}"`).join(', ')}]`,
    '}',
    '',
  ].join('\n');
}

function roleItem(o: VaultSetupOptions, name: string, body: Record<string, unknown>): SetupItem {
  const path = `auth/${o.authPath}/role/${name}`;
  return {
    what: `JWT role ${name}`,
    method: 'POST',
    path,
    body,
    cli: `vault write ${path} - <<'EOF'\n${JSON.stringify(body, null, 2)}\nEOF`,
    async current(vault) {
      const have = await readOrUndefined(vault, path);
      if (!have) return undefined;
      const same = Object.entries(body).every(([k, want]) =>
        k === 'bound_claims'
          ? Object.entries(want as Record<string, unknown>).every(([c, v]) =>
              sameList((have.bound_claims as Record<string, unknown> | null)?.[c], v),
            ) &&
            Object.keys((have.bound_claims as object | null) ?? {}).length ===
              Object.keys(want as object).length
          : Array.isArray(want)
            ? sameList(have[k], want)
            : text(have[k]) === text(want),
      );
      return same ? 'same' : 'differs';
    },
  };
}

/** The Vault configuration, in the order it must be made. Pure: nothing is read here. */
export function vaultSetupItems(o: VaultSetupOptions): SetupItem[] {
  const { mount } = o.location;
  const owner = o.repository.split('/')[0];
  const publishPolicy = `${o.prefix}-kubeconfig-publish`;
  const readPolicy = `${o.prefix}-kubeconfig-read`;
  const jwtConfig: Record<string, unknown> = o.jwksUrl
    ? { jwks_url: o.jwksUrl, bound_issuer: o.issuer }
    : { oidc_discovery_url: o.issuer, bound_issuer: o.issuer };
  const policy = (name: string, hcl: string): SetupItem => ({
    what: `policy ${name}`,
    method: 'PUT',
    path: `sys/policies/acl/${name}`,
    body: { policy: hcl },
    cli: `vault policy write ${name} - <<'EOF'\n${hcl}EOF`,
    async current(vault) {
      const have = await readOrUndefined(vault, `sys/policies/acl/${name}`);
      if (!have) return undefined;
      return text(have.policy ?? have.rules).trim() === hcl.trim() ? 'same' : 'differs';
    },
  });
  return [
    {
      what: `KV v2 secrets engine at ${mount}/`,
      method: 'POST',
      path: `sys/mounts/${mount}`,
      body: { type: 'kv', options: { version: '2' } },
      cli: `vault secrets enable -path=${q(mount)} -version=2 kv`,
      async current(vault) {
        const mounts = (await vault.request('GET', 'sys/mounts'))?.data as
          Record<string, { type?: string; options?: { version?: string } | null }> | undefined;
        const have = mounts?.[`${mount}/`];
        if (!have) return undefined;
        if (have.type === 'kv' && have.options?.version === '2') return 'same';
        throw new ConfigurationError(
          `Vault already has a ${have.type === 'kv' ? 'KV v1' : `'${have.type}'`} engine at ${mount}/, and pve-gitops needs KV v2 there: upgrade it (vault kv enable-versioning ${mount}/) or set vault.mount in pve-gitops.yaml.`,
        );
      },
    },
    {
      what: `JWT auth method at auth/${o.authPath}/`,
      method: 'POST',
      path: `sys/auth/${o.authPath}`,
      body: { type: 'jwt' },
      cli: `vault auth enable -path=${q(o.authPath)} jwt`,
      async current(vault) {
        const auth = (await vault.request('GET', 'sys/auth'))?.data as
          Record<string, { type?: string }> | undefined;
        const have = auth?.[`${o.authPath}/`];
        if (!have) return undefined;
        if (have.type === 'jwt') return 'same';
        throw new ConfigurationError(
          `Vault already has a '${have.type}' auth method at auth/${o.authPath}/: choose another path with --auth-path.`,
        );
      },
    },
    {
      what: `GitHub OIDC trust on auth/${o.authPath}`,
      method: 'POST',
      path: `auth/${o.authPath}/config`,
      body: jwtConfig,
      cli: `vault write auth/${o.authPath}/config ${Object.entries(jwtConfig)
        .map(([k, v]) => `${k}=${q(String(v))}`)
        .join(' ')}`,
      async current(vault) {
        const have = await readOrUndefined(vault, `auth/${o.authPath}/config`);
        if (!have || !Object.keys(have).length) return undefined;
        const same = Object.entries(jwtConfig).every(([k, v]) => text(have[k]) === v);
        return same ? 'same' : 'differs';
      },
    },
    policy(publishPolicy, policyHcl(o, ['create', 'read', 'update'], 'publish')),
    policy(readPolicy, policyHcl(o, ['read'], 'read')),
    roleItem(o, `${o.prefix}-publish`, {
      role_type: 'jwt',
      user_claim: 'sub',
      // apply.yml logs in without vault-audience: GitHub's default audience, the owner's URL.
      bound_audiences: [`https://github.com/${owner}`],
      bound_claims_type: 'string',
      bound_claims: o.environment
        ? { repository: o.repository, environment: o.environment }
        : { repository: o.repository, ref: o.ref },
      token_policies: [publishPolicy],
      token_ttl: 600,
    }),
    roleItem(o, `${o.prefix}-read`, {
      role_type: 'jwt',
      user_claim: 'sub',
      bound_audiences: [o.readerAudience],
      bound_claims_type: 'string',
      bound_claims: { repository: o.readers.length ? o.readers : [o.repository] },
      token_policies: [readPolicy],
      token_ttl: 600,
    }),
  ];
}

/** What one item came to: made, changed to the wanted value, or already right. */
export interface SetupOutcome {
  what: string;
  outcome: 'created' | 'updated' | 'unchanged';
}

/**
 * Makes Vault hold every item, idempotently: an item already right is left alone, so a second
 * run writes nothing. The admin token is the client's; it is never stored.
 */
export async function applyVaultSetup(
  vault: VaultClient,
  items: SetupItem[],
  onItem: (o: SetupOutcome) => void = () => undefined,
): Promise<SetupOutcome[]> {
  const out: SetupOutcome[] = [];
  for (const item of items) {
    let now: Awaited<ReturnType<SetupItem['current']>>;
    try {
      now = await item.current(vault);
    } catch (err) {
      throw explain(err, item);
    }
    if (now !== 'same') {
      try {
        await vault.request(item.method, item.path, item.body);
      } catch (err) {
        throw explain(err, item);
      }
    }
    const o: SetupOutcome = {
      what: item.what,
      outcome: now === 'same' ? 'unchanged' : now ? 'updated' : 'created',
    };
    onItem(o);
    out.push(o);
  }
  return out;
}

function explain(err: unknown, item: SetupItem): unknown {
  if (!(err instanceof VaultHttpError)) return err;
  if (err.status === 403)
    return new ConfigurationError(
      `Vault denied the token access to ${item.path} while setting up the ${item.what}: vault setup needs an admin token (a root token or one whose policy covers sys/mounts, sys/auth, sys/policies/acl and auth/*).`,
    );
  return new ConfigurationError(
    `Vault refused the ${item.what} (${item.method} ${item.path}): ${err.errors.join('; ').slice(0, 300) || `status ${err.status}`}.`,
  );
}
