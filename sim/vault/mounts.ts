import { id } from './fields.js';
import type { Mount, VaultState } from './state.js';

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

/** An empty KV mount of `version` 1 or 2. */
export function newMount(version: 1 | 2): Mount {
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

/** A mount as sys/mounts describes it. */
export function mountInfo(m: Mount) {
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
