import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { ConfigurationError } from '../../actions/lib/errors.js';
import { ApiError } from './api-error.js';
import type { Cluster } from './cluster.js';
import type { FaultSpec } from './types.js';

/** Reads a fault spec from a YAML/JSON file or takes the object as is. */
export function loadFaults(src: string | FaultSpec | undefined): FaultSpec {
  if (src === undefined) return {};
  if (typeof src !== 'string') return src;
  let data: unknown;
  try {
    data = parse(readFileSync(src, 'utf8'));
  } catch (err) {
    throw new ConfigurationError(`Cannot read the fault spec ${src}: ${(err as Error).message}`);
  }
  if (data === null || data === undefined) return {};
  if (typeof data !== 'object' || Array.isArray(data))
    throw new ConfigurationError(
      `Fault spec ${src} must be a mapping (errors, offlineNodes, ...).`,
    );
  return data;
}

/** `*` matches one path segment, `**` any number. */
export function globToRegExp(glob: string): RegExp {
  const body = glob
    .split('/')
    .map((seg) =>
      seg === '**' ? '.*' : seg.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*'),
    )
    .join('/');
  return new RegExp(`^${body.replace(/\/\.\*/g, '(/.*)?')}/?$`);
}

/** Applies the fault spec's standing effects: held storage locks, offline nodes. */
export function applyStandingFaults(cluster: Cluster): void {
  for (const l of cluster.faults.storageLocks ?? []) {
    const nodes = l.node ? [l.node] : cluster.state.nodes.map((n) => n.name);
    const keys = new Set(nodes.map((n) => cluster.storageKey(l.storage, n)));
    for (const k of keys) cluster.locks.holdFor(k, l.seconds * 1000 * cluster.scale);
  }
}

/** mulberry32: a small seeded generator, so a fault run can be replayed exactly. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// One generator per fault spec: draws follow the spec's seed, whatever else runs.
const draws = new WeakMap<object, () => number>();
function draw(spec: FaultSpec): number {
  let next = draws.get(spec);
  if (!next) draws.set(spec, (next = seededRandom(spec.seed ?? 1)));
  return next();
}

/** Throws the injected error for this request, if a fault matches it. */
export function injectRequestFault(cluster: Cluster, method: string, apiPath: string): void {
  const node = /^\/nodes\/([^/]+)/.exec(apiPath)?.[1];
  const offline = cluster.faults.offlineNodes ?? [];
  if (node && offline.includes(node)) throw new ApiError(595, `No route to host`);
  for (const f of cluster.faults.errors ?? []) {
    if (f.method && f.method.toUpperCase() !== method) continue;
    if (!globToRegExp(f.path).test(apiPath)) continue;
    if (f.count !== undefined) {
      if (f.count <= 0) continue;
      f.count--;
    } else if (f.probability !== undefined && draw(cluster.faults) >= f.probability) continue;
    throw new ApiError(f.status ?? 500, f.message ?? 'injected failure');
  }
}
