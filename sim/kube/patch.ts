import { ApiError } from './errors.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const clone = <T>(v: T): T => structuredClone(v);

const unprocessable = (message: string) => new ApiError(422, 'Invalid', message);

/** RFC 6902 JSON patch (`application/json-patch+json`); a failing `test` or path is a 422. */
export function jsonPatch(doc: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops))
    throw new ApiError(
      400,
      'BadRequest',
      'json: cannot unmarshal object into Go value of type jsonpatch.Patch',
    );
  let root = clone(doc) as Json;
  const split = (p: string) =>
    p === ''
      ? []
      : p
          .slice(1)
          .split('/')
          .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  const parentOf = (p: string): [Json, string] => {
    const parts = split(p);
    const last = parts.pop();
    if (last === undefined)
      throw unprocessable(
        `the server rejected our request due to an error in our request: path '${p}'`,
      );
    let cur: Json = root;
    for (const s of parts) {
      cur = Array.isArray(cur) ? cur[Number(s)] : isObj(cur) ? cur[s] : null;
      if (cur === undefined || cur === null)
        throw unprocessable(
          `the server rejected our request due to an error in our request: doc is missing path: "${p}"`,
        );
    }
    return [cur, last];
  };
  const get = (p: string): Json => {
    if (p === '') return root;
    const [c, k] = parentOf(p);
    const v = Array.isArray(c) ? c[Number(k)] : isObj(c) ? c[k] : undefined;
    if (v === undefined)
      throw unprocessable(
        `the server rejected our request due to an error in our request: doc is missing path: "${p}"`,
      );
    return v;
  };
  const remove = (p: string) => {
    const v = get(p);
    const [c, k] = parentOf(p);
    if (Array.isArray(c)) c.splice(Number(k), 1);
    else delete (c as Obj)[k];
    return v;
  };
  const add = (p: string, v: Json) => {
    if (p === '') return void (root = v);
    const [c, k] = parentOf(p);
    if (Array.isArray(c)) c.splice(k === '-' ? c.length : Number(k), 0, v);
    else if (isObj(c)) c[k] = v;
  };
  for (const op of ops as Array<{ op: string; path: string; value?: Json; from?: string }>) {
    switch (op.op) {
      case 'add':
        add(op.path, clone(op.value ?? null));
        break;
      case 'remove':
        remove(op.path);
        break;
      case 'replace':
        remove(op.path);
        add(op.path, clone(op.value ?? null));
        break;
      case 'move':
        add(op.path, remove(op.from ?? ''));
        break;
      case 'copy':
        add(op.path, clone(get(op.from ?? '')));
        break;
      case 'test':
        if (JSON.stringify(get(op.path)) !== JSON.stringify(op.value))
          throw unprocessable(
            `the server rejected our request due to an error in our request: testing value ${op.path} failed`,
          );
        break;
      default:
        throw unprocessable(`Unexpected kind: ${op.op}`);
    }
  }
  return root;
}

/** RFC 7386 JSON merge patch (`application/merge-patch+json`): null deletes, lists replace. */
export function mergePatch(doc: unknown, patch: unknown): unknown {
  if (!isObj(patch)) return clone(patch);
  const out: Obj = isObj(doc) ? clone(doc) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v) as Json;
  }
  return out;
}

/** List fields merged by key in strategic merge patches (the `patchMergeKey` tags of k8s.io/api). */
const MERGE_KEYS: Record<string, string | ((items: Obj[]) => string)> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  imagePullSecrets: 'name',
  hostAliases: 'ip',
  conditions: 'type',
  ownerReferences: 'uid',
  // Container ports merge by containerPort, Service ports by port.
  ports: (items) => (items.some((i) => 'containerPort' in i) ? 'containerPort' : 'port'),
};

function mergeList(field: string, orig: Json[], patch: Json[], order: Json[] | undefined): Json[] {
  const rule = MERGE_KEYS[field];
  const items = patch.filter(isObj);
  if (!rule || items.length !== patch.length || items.some((i) => i.$patch === 'replace'))
    return patch.filter((i) => !(isObj(i) && i.$patch === 'replace'));
  const key = typeof rule === 'function' ? rule([...items, ...orig.filter(isObj)]) : rule;
  const out = clone(orig);
  for (const p of items) {
    const i = out.findIndex((o) => isObj(o) && o[key] === p[key]);
    if (p.$patch === 'delete') {
      if (i >= 0) out.splice(i, 1);
    } else if (i >= 0) out[i] = strategicMerge(out[i], p) as Json;
    else out.push(strategicMerge({}, p) as Json);
  }
  if (!order) return out;
  const rank = (v: Json) => {
    const r = order.findIndex((o) => isObj(o) && isObj(v) && o[key] === v[key]);
    return r < 0 ? order.length : r;
  };
  return out
    .map((v, i) => [v, i] as const)
    .sort((a, b) => rank(a[0]) - rank(b[0]) || a[1] - b[1])
    .map(([v]) => v);
}

/**
 * A strategic merge patch as kubectl apply sends it (`application/strategic-merge-patch+json`):
 * maps merge, null deletes, known lists merge by key, and the `$patch`, `$retainKeys`,
 * `$setElementOrder/…` and `$deleteFromPrimitiveList/…` directives.
 */
export function strategicMerge(doc: unknown, patch: unknown): unknown {
  if (!isObj(patch)) return clone(patch);
  if (patch.$patch === 'replace') {
    const rest = { ...patch };
    delete rest.$patch;
    return strategicMerge({}, rest);
  }
  if (patch.$patch === 'delete') return undefined;
  const out: Obj = isObj(doc) ? clone(doc) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$patch' || k === '$retainKeys' || k.startsWith('$setElementOrder/')) continue;
    if (k.startsWith('$deleteFromPrimitiveList/')) {
      const f = k.slice('$deleteFromPrimitiveList/'.length);
      if (Array.isArray(out[f]) && Array.isArray(v)) out[f] = out[f].filter((x) => !v.includes(x));
      continue;
    }
    if (v === null) delete out[k];
    else if (Array.isArray(v)) {
      const order = patch[`$setElementOrder/${k}`];
      out[k] = mergeList(
        k,
        Array.isArray(out[k]) ? out[k] : [],
        v,
        Array.isArray(order) ? order : undefined,
      );
    } else {
      const merged = strategicMerge(out[k], v) as Json | undefined;
      if (merged === undefined) delete out[k];
      else out[k] = merged;
    }
  }
  if (Array.isArray(patch.$retainKeys))
    for (const k of Object.keys(out)) if (!patch.$retainKeys.includes(k)) delete out[k];
  return out;
}
