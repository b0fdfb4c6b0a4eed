import type { KvSecret, Mount } from './state.js';
import { VaultError } from './vault-error.js';

const now = () => new Date().toISOString();

/** A KV v2 path with no versions yet, created at `t`. */
function emptySecret(t: string): KvSecret {
  return {
    current_version: 0,
    created_time: t,
    updated_time: t,
    max_versions: 0,
    cas_required: false,
    custom_metadata: null,
    versions: {},
  };
}

function versionMeta(s: KvSecret, v: number) {
  const x = s.versions[String(v)];
  return {
    created_time: x.created_time,
    custom_metadata: s.custom_metadata,
    deletion_time: x.deletion_time,
    destroyed: x.destroyed,
    version: v,
  };
}

/** KV v2 `GET data/<path>[?version=N]`: `{data, metadata}` or a 404. */
export function kv2Read(m: Mount, p: string, version?: number) {
  const s = m.v2[p];
  if (!s) throw new VaultError(404, []);
  const v = version || s.current_version;
  const x = s.versions[String(v)];
  if (!x) throw new VaultError(404, []);
  if (x.deletion_time || x.destroyed)
    throw new VaultError(404, [], { data: null, metadata: versionMeta(s, v) });
  return { data: x.data, metadata: versionMeta(s, v) };
}

/** KV v2 `POST data/<path>` with `options.cas`: Vault's check-and-set rules and wording. */
export function kv2Write(m: Mount, p: string, body: Record<string, unknown>) {
  const data = body.data;
  if (!data || typeof data !== 'object' || Array.isArray(data))
    throw new VaultError(400, ['no data provided']);
  const options = (body.options ?? {}) as Record<string, unknown>;
  const cas = options.cas === undefined || options.cas === null ? undefined : Number(options.cas);
  let s = m.v2[p];
  const required = m.cas_required || s?.cas_required;
  if (cas === undefined && required)
    throw new VaultError(400, ['check-and-set parameter required for this call']);
  if (cas !== undefined && cas !== (s?.current_version ?? 0))
    throw new VaultError(400, ['check-and-set parameter did not match the current version']);
  const t = now();
  s ??= m.v2[p] = emptySecret(t);
  const v = s.current_version + 1;
  s.current_version = v;
  s.updated_time = t;
  s.versions[String(v)] = {
    data: data as Record<string, unknown>,
    created_time: t,
    deletion_time: '',
    destroyed: false,
  };
  const keep = s.max_versions || m.max_versions || 10;
  for (const k of Object.keys(s.versions)) if (Number(k) <= v - keep) delete s.versions[k];
  return versionMeta(s, v);
}

/** KV v2 `GET metadata/<path>`. */
export function kv2Metadata(m: Mount, p: string) {
  const s = m.v2[p];
  if (!s) throw new VaultError(404, []);
  const nums = Object.keys(s.versions).map(Number);
  return {
    cas_required: s.cas_required,
    created_time: s.created_time,
    current_version: s.current_version,
    custom_metadata: s.custom_metadata,
    delete_version_after: '0s',
    max_versions: s.max_versions,
    oldest_version: nums.length ? Math.min(...nums) : 0,
    updated_time: s.updated_time,
    versions: Object.fromEntries(
      Object.entries(s.versions).map(([k, x]) => [
        k,
        { created_time: x.created_time, deletion_time: x.deletion_time, destroyed: x.destroyed },
      ]),
    ),
  };
}

/** KV v2 `POST metadata/<path>`: max_versions, cas_required, custom_metadata. */
export function kv2WriteMetadata(m: Mount, p: string, body: Record<string, unknown>): void {
  const t = now();
  const s = (m.v2[p] ??= emptySecret(t));
  if (body.max_versions !== undefined) s.max_versions = Number(body.max_versions);
  if (body.cas_required !== undefined)
    s.cas_required = body.cas_required === true || body.cas_required === 'true';
  if (body.custom_metadata !== undefined)
    s.custom_metadata = body.custom_metadata as Record<string, string>;
  s.updated_time = t;
}

/** Soft-deletes (`delete`), destroys or undeletes versions; `latest` when none are given. */
export function kv2Versions(
  m: Mount,
  p: string,
  op: 'delete' | 'undelete' | 'destroy',
  versions?: unknown,
) {
  const s = m.v2[p];
  if (!s) return;
  const list = Array.isArray(versions) ? versions.map(Number) : [s.current_version];
  for (const v of list) {
    const x = s.versions[String(v)];
    if (!x) continue;
    if (op === 'delete') x.deletion_time ||= now();
    if (op === 'undelete' && !x.destroyed) x.deletion_time = '';
    if (op === 'destroy') {
      x.destroyed = true;
      x.data = null;
    }
  }
}

/** Keys directly under `prefix` (folders end in `/`), as Vault's LIST answers. */
export function listKeys(paths: string[], prefix: string): string[] {
  const pre = prefix && !prefix.endsWith('/') ? `${prefix}/` : prefix;
  const keys = new Set<string>();
  for (const p of paths) {
    if (!p.startsWith(pre)) continue;
    const rest = p.slice(pre.length);
    const i = rest.indexOf('/');
    keys.add(i < 0 ? rest : rest.slice(0, i + 1));
  }
  if (!keys.size) throw new VaultError(404, []);
  return [...keys].sort();
}

/** RFC 7386 JSON merge patch: objects merge, `null` removes a key, anything else replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!patch || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> =
    target && typeof target === 'object' && !Array.isArray(target)
      ? { ...(target as Record<string, unknown>) }
      : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/**
 * KV v2 `PATCH data/<path>` (vault-plugin-secrets-kv path_data.go pathDataPatch): merges into
 * the current version and writes a new one; 404 when there is no live current version.
 */
export function kv2Patch(m: Mount, p: string, body: Record<string, unknown>) {
  const s = m.v2[p];
  const cur = s?.versions[String(s.current_version)];
  if (!s || !cur || cur.deletion_time || cur.destroyed || !cur.data) throw new VaultError(404, []);
  if (!body.data || typeof body.data !== 'object' || Array.isArray(body.data))
    throw new VaultError(400, ['no data provided']);
  return kv2Write(m, p, { ...body, data: mergePatch(cur.data, body.data) });
}

/** KV v2 `PATCH metadata/<path>`: merges max_versions, cas_required, custom_metadata; 404 if none. */
export function kv2PatchMetadata(m: Mount, p: string, body: Record<string, unknown>): void {
  const s = m.v2[p];
  if (!s) throw new VaultError(404, []);
  const custom =
    body.custom_metadata === undefined
      ? {}
      : { custom_metadata: mergePatch(s.custom_metadata ?? {}, body.custom_metadata) };
  kv2WriteMetadata(m, p, { ...body, ...custom });
}

/** Keys of `data` to `depth` levels (0 = all), leaves as null: KV v2 `GET subkeys/<path>`. */
function subkeysOf(data: unknown, depth: number, level = 1): unknown {
  if (!data || typeof data !== 'object' || Array.isArray(data)) return null;
  return Object.fromEntries(
    Object.entries(data).map(([k, v]) => [
      k,
      depth && level >= depth ? null : subkeysOf(v, depth, level + 1),
    ]),
  );
}

/** KV v2 `GET subkeys/<path>[?depth=N&version=V]`: the key structure without values. */
export function kv2Subkeys(m: Mount, p: string, depth: number, version?: number) {
  const { data, metadata } = kv2Read(m, p, version);
  return { subkeys: subkeysOf(data, depth), metadata };
}
