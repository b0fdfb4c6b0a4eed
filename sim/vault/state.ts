import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** One version of a KV v2 secret. */
export interface KvVersion {
  data: Record<string, unknown> | null;
  created_time: string;
  deletion_time: string;
  destroyed: boolean;
}

/** A KV v2 secret: its versions keyed by number, plus metadata settings. */
export interface KvSecret {
  current_version: number;
  created_time: string;
  updated_time: string;
  max_versions: number;
  cas_required: boolean;
  custom_metadata: Record<string, string> | null;
  versions: Record<string, KvVersion>;
}

export interface Mount {
  type: 'kv';
  version: 1 | 2;
  accessor: string;
  /** KV v1: path → data. */
  v1: Record<string, Record<string, unknown>>;
  /** KV v2: path → secret. */
  v2: Record<string, KvSecret>;
  cas_required: boolean;
  max_versions: number;
}

export interface Token {
  id: string;
  accessor: string;
  policies: string[];
  display_name: string;
  path: string;
  meta: Record<string, string> | null;
  creation_time: number;
  /** Seconds; 0 = never expires (root). */
  ttl: number;
  role?: string;
}

export interface JwtRole {
  role_type: 'jwt';
  bound_audiences: string[];
  bound_subject: string;
  bound_claims: Record<string, string | string[]> | null;
  bound_claims_type: 'string' | 'glob';
  user_claim: string;
  token_policies: string[];
  token_ttl: number;
}

export interface JwtConfig {
  bound_issuer: string;
  jwt_validation_pubkeys: string[];
  jwks_url: string;
  jwks_ca_pem: string;
  /** Keys found through OIDC discovery; the simulator fetches only loopback ones. */
  oidc_discovery_url?: string;
}

export interface AuthMount {
  type: 'jwt' | 'token';
  accessor: string;
  config?: JwtConfig;
  roles: Record<string, JwtRole>;
}

/** Everything the simulator knows, saved as JSON in the state directory. */
export interface VaultState {
  mounts: Record<string, Mount>;
  auth: Record<string, AuthMount>;
  /** Policy name → HCL text. */
  policies: Record<string, string>;
  tokens: Record<string, Token>;
}

const FILE = 'vault.json';

/** Reads the saved state, if any. */
export function readVaultState(dir: string): VaultState | undefined {
  const file = path.join(dir, FILE);
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as VaultState;
}

/** Writes the state atomically, mode 0600 (it holds tokens and secrets). */
export function writeVaultState(dir: string, state: VaultState): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(state), { mode: 0o600 });
  renameSync(tmp, file);
}
