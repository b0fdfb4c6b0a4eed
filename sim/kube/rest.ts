import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { admit } from './admission.js';
import { ApiError, badRequest, methodNotAllowed, notFound, pathNotFound } from './errors.js';
import { jsonPatch, mergePatch, strategicMerge } from './patch.js';
import { apiVersionOf, type ResourceType } from './resources.js';
import { fieldSelector, labelSelector } from './selectors.js';
import type { KubeObject, ObjectStore } from './store.js';
import { toTable } from './table.js';
import { serveWatch } from './watch.js';

/** What one request to a resource path names. */
interface Target {
  type: ResourceType;
  namespace?: string;
  name?: string;
  subresource?: string;
}

/**
 * Resolves `/api/v1/…` and `/apis/<group>/<version>/…` to a resource, as the real router:
 * `[namespaces/<ns>/]<resource>[/<name>[/<subresource>]]`; anything else is the generic 404.
 */
export function resolve(path: string, types: ResourceType[]): Target | undefined {
  const m = /^\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))\/(.+)$/.exec(path);
  if (!m) return undefined;
  const [group, version] = m[1] ? ['', 'v1'] : [m[2], m[3]];
  const segs = m[4].split('/').map(decodeURIComponent);
  const find = (r: string) =>
    types.find((t) => t.group === group && t.version === version && t.resource === r);
  let namespace: string | undefined;
  if (segs[0] === 'namespaces' && segs.length >= 3 && find(segs[2])?.namespaced) {
    namespace = segs[1];
    segs.splice(0, 2);
  }
  const type = find(segs[0]);
  if (!type || segs.length > 3 || (namespace !== undefined && !type.namespaced)) return undefined;
  const subresource = segs[2];
  if (subresource && !type.subresources?.includes(subresource)) return undefined;
  return { type, namespace, name: segs[1], subresource };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > 3 << 20)
      throw new ApiError(
        413,
        'RequestEntityTooLarge',
        'Request entity too large: limit is 3145728',
      );
    chunks.push(c);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseBody(text: string, yaml: boolean): unknown {
  try {
    return yaml ? parseYaml(text) : JSON.parse(text);
  } catch (e) {
    throw badRequest(
      `the object provided is unrecognized (must be of type ${yaml ? 'yaml' : 'json'}): ${(e as Error).message.split('\n')[0]}`,
    );
  }
}

const asObject = (v: unknown): KubeObject => {
  if (!v || typeof v !== 'object' || Array.isArray(v))
    throw badRequest("Object 'Kind' is missing in the request body");
  const o = v as KubeObject;
  o.metadata = { ...(o.metadata ?? {}) };
  return o;
};

/** The kind and apiVersion of a body must be the resource's own (400 otherwise). */
function checkKind(t: ResourceType, o: KubeObject) {
  if (o.apiVersion && o.apiVersion !== apiVersionOf(t))
    throw badRequest(
      `the API version in the data (${o.apiVersion}) does not match the expected API version (${apiVersionOf(t)})`,
    );
  if (o.kind && o.kind !== t.kind)
    throw badRequest(
      `the kind in the data (${o.kind}) does not match the expected kind (${t.kind})`,
    );
}

/** Query booleans as Go's strconv.ParseBool reads them (python3-kubernetes sends `watch=True`). */
const parseBool = (v: string | null) =>
  v !== null && ['1', 't', 'T', 'true', 'TRUE', 'True'].includes(v);

export interface RestContext {
  store: ObjectStore;
  types: () => ResourceType[];
  bookmarkMs: number;
  /** Sends a JSON answer. */
  json(res: ServerResponse, code: number, body: unknown): void;
}

const PATCH_TYPES = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  'application/apply-patch+yaml',
];

/** Handles one request to a resource path: list, watch, get, create, update, patch, delete. */
export async function serveResource(
  ctx: RestContext,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  target: Target,
): Promise<void> {
  const { store } = ctx;
  const { type: t, namespace: ns, name, subresource } = target;
  const q = url.searchParams;
  const method = req.method ?? 'GET';
  const accept = req.headers.accept ?? '';
  const table = /as=Table/.test(accept) ? (q.get('includeObject') ?? 'Metadata') : undefined;
  const dryRun = q.getAll('dryRun').includes('All');
  const served = (o: KubeObject) => ({ ...o, apiVersion: apiVersionOf(t), kind: t.kind });
  const one = (code: number, o: KubeObject) =>
    ctx.json(
      res,
      code,
      table && method === 'GET'
        ? toTable(t, [o], o.metadata.resourceVersion ?? '', table)
        : served(o),
    );
  const mustGet = () => {
    const o = store.get(t, ns, name!);
    if (!o) throw notFound(t, name!);
    return o;
  };
  const write = (o: KubeObject, creating: boolean): KubeObject => {
    checkKind(t, o);
    if (t.namespaced) {
      if (o.metadata.namespace && ns && o.metadata.namespace !== ns)
        throw badRequest(
          'the namespace of the provided object does not match the namespace sent on the request',
        );
      o.metadata.namespace = ns ?? o.metadata.namespace;
    }
    if (!creating && o.metadata.name !== name)
      throw badRequest(
        `the name of the object (${o.metadata.name}) does not match the name on the URL (${name})`,
      );
    if (creating) {
      // k8s.io/apiserver/pkg/storage/etcd3/store.go refuses it, and the server sets the rest.
      if (o.metadata.resourceVersion)
        throw new ApiError(
          500,
          'InternalError',
          'Internal error occurred: resourceVersion should not be set on objects to be created',
        );
      for (const f of ['uid', 'creationTimestamp', 'generation', 'deletionTimestamp'] as const)
        delete o.metadata[f];
    }
    const old = creating ? undefined : mustGet();
    if (old && subresource === 'status')
      o = {
        ...old,
        status: o.status,
        metadata: { ...old.metadata, resourceVersion: o.metadata.resourceVersion },
      };
    else if (old && t.subresources?.includes('status')) o.status = old.status;
    admit(store, t, o, creating);
    if (dryRun) return { ...(old ?? {}), ...o, metadata: { ...old?.metadata, ...o.metadata } };
    return creating ? store.create(t, o) : store.update(t, o);
  };

  if (subresource === 'scale') return serveScale(ctx, req, res, t, mustGet());
  if (method === 'GET' && !name) {
    if (ns && !t.namespaced) throw pathNotFound();
    const matchL = labelSelector(q.get('labelSelector'));
    const matchF = fieldSelector(q.get('fieldSelector'), t);
    const matches = (o: KubeObject) => matchL(o) && matchF(o);
    if (parseBool(q.get('watch')))
      return serveWatch(
        req,
        res,
        store,
        {
          type: t,
          namespace: ns,
          matches,
          resourceVersion: q.get('resourceVersion') ?? '',
          bookmarks: parseBool(q.get('allowWatchBookmarks')),
          timeoutSeconds: q.has('timeoutSeconds') ? Number(q.get('timeoutSeconds')) : undefined,
          table,
        },
        ctx.bookmarkMs,
      );
    return ctx.json(res, 200, list(store, t, ns, matches, q, table));
  }
  if (method === 'GET') return one(200, mustGet());
  if (method === 'POST' && !name) {
    const o = write(asObject(parseBody(await readBody(req), false)), true);
    return one(201, o);
  }
  if (method === 'PUT' && name)
    return one(200, write(asObject(parseBody(await readBody(req), false)), false));
  if (method === 'PATCH' && name) {
    const ct = (req.headers['content-type'] ?? '').split(';')[0].trim();
    const custom = !BUILTIN_GROUPS.has(t.group);
    if (!PATCH_TYPES.includes(ct) || (custom && ct === 'application/strategic-merge-patch+json'))
      throw new ApiError(
        415,
        'UnsupportedMediaType',
        `the body of the request was in an unknown format - accepted media types include: ${PATCH_TYPES.filter((p) => !custom || !p.includes('strategic')).join(', ')}`,
      );
    const patch = parseBody(await readBody(req), ct === 'application/apply-patch+yaml');
    const existing = store.get(t, ns, name);
    if (!existing) {
      if (ct !== 'application/apply-patch+yaml') throw notFound(t, name);
      return one(201, write(asObject(patch), true));
    }
    const patched =
      ct === 'application/json-patch+json'
        ? jsonPatch(existing, patch)
        : ct === 'application/merge-patch+json'
          ? mergePatch(existing, patch)
          : strategicMerge(existing, patch);
    const o = asObject(patched);
    // The patch may carry a resourceVersion precondition; otherwise the newest one applies.
    const precondition = (patch as { metadata?: { resourceVersion?: string } })?.metadata
      ?.resourceVersion;
    o.metadata.resourceVersion = precondition ?? existing.metadata.resourceVersion;
    return one(200, write(o, false));
  }
  if (method === 'DELETE' && name) {
    const o = mustGet();
    if (dryRun) return one(200, o);
    if (t.kind === 'Namespace') {
      if (['default', 'kube-system', 'kube-public'].includes(name))
        throw new ApiError(
          403,
          'Forbidden',
          `namespaces "${name}" is forbidden: this namespace may not be deleted`,
          { name, kind: 'namespaces' },
        );
      const terminating = {
        ...o,
        metadata: {
          ...o.metadata,
          deletionTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
        },
        status: { phase: 'Terminating' },
      };
      return one(200, store.update(t, terminating));
    }
    return one(200, store.remove(t, ns, name));
  }
  if (method === 'DELETE' && !name) {
    const matchL = labelSelector(q.get('labelSelector'));
    const matchF = fieldSelector(q.get('fieldSelector'), t);
    const gone = store
      .list(t, ns)
      .filter((o) => matchL(o) && matchF(o))
      .map((o) => (dryRun ? o : store.remove(t, o.metadata.namespace, o.metadata.name)));
    return ctx.json(res, 200, {
      kind: `${t.kind}List`,
      apiVersion: apiVersionOf(t),
      metadata: { resourceVersion: String(store.rv) },
      items: gone.map(served),
    });
  }
  throw methodNotAllowed();
}

/** The autoscaling/v1 Scale view of a Deployment or ReplicaSet (what `kubectl scale` patches). */
async function serveScale(
  ctx: RestContext,
  req: IncomingMessage,
  res: ServerResponse,
  t: ResourceType,
  o: KubeObject,
) {
  const spec = o.spec as { replicas?: number; selector?: { matchLabels?: Record<string, string> } };
  const scale = (x: KubeObject) => ({
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: x.metadata.name,
      namespace: x.metadata.namespace,
      uid: x.metadata.uid,
      resourceVersion: x.metadata.resourceVersion,
      creationTimestamp: x.metadata.creationTimestamp,
    },
    spec: { replicas: (x.spec as typeof spec).replicas ?? 1 },
    status: {
      replicas: (x.status as { replicas?: number } | undefined)?.replicas ?? 0,
      selector: Object.entries(spec.selector?.matchLabels ?? {})
        .map(([k, v]) => `${k}=${v}`)
        .join(','),
    },
  });
  const method = req.method ?? 'GET';
  if (method === 'GET') return ctx.json(res, 200, scale(o));
  if (method !== 'PUT' && method !== 'PATCH') throw methodNotAllowed();
  const body = parseBody(await readBody(req), false);
  const ct = (req.headers['content-type'] ?? '').split(';')[0].trim();
  const next = (
    method === 'PUT'
      ? body
      : ct === 'application/json-patch+json'
        ? jsonPatch(scale(o), body)
        : mergePatch(scale(o), body)
  ) as { spec?: { replicas?: unknown }; metadata?: { resourceVersion?: string } };
  const replicas = next.spec?.replicas;
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0)
    throw new ApiError(
      422,
      'Invalid',
      `Scale.autoscaling "${o.metadata.name}" is invalid: spec.replicas: Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`,
    );
  const updated = ctx.store.update(t, {
    ...o,
    spec: { ...spec, replicas },
    metadata: {
      ...o.metadata,
      resourceVersion: next.metadata?.resourceVersion || o.metadata.resourceVersion,
    },
  });
  return ctx.json(res, 200, scale(updated));
}

const BUILTIN_GROUPS = new Set(['', 'apps', 'apiextensions.k8s.io', 'rbac.authorization.k8s.io']);

const EXPIRED_CONTINUE =
  'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.';

/** A list with `limit`/`continue` paging (the token says where the next page starts). */
function list(
  store: ObjectStore,
  t: ResourceType,
  ns: string | undefined,
  matches: (o: KubeObject) => boolean,
  q: URLSearchParams,
  table?: string,
) {
  let items = store.list(t, ns).filter(matches);
  let rv = String(store.rv);
  const token = q.get('continue');
  if (token) {
    let c: { rv?: number; start?: string };
    try {
      c = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as typeof c;
    } catch {
      throw badRequest('continue key is not valid: illegal base64 data');
    }
    if (typeof c.rv !== 'number' || typeof c.start !== 'string')
      throw badRequest(
        'continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)',
      );
    if (!store.retains(c.rv)) throw new ApiError(410, 'Expired', EXPIRED_CONTINUE);
    items = items.filter((o) => `${o.metadata.namespace ?? ''}/${o.metadata.name}` > c.start!);
    rv = String(c.rv);
  }
  const limit = Number(q.get('limit') ?? 0);
  const metadata: Record<string, unknown> = { resourceVersion: rv };
  if (limit > 0 && items.length > limit) {
    const last = items[limit - 1];
    metadata.continue = Buffer.from(
      JSON.stringify({
        v: 'meta.k8s.io/v1',
        rv: Number(rv),
        start: `${last.metadata.namespace ?? ''}/${last.metadata.name}`,
      }),
    ).toString('base64');
    metadata.remainingItemCount = items.length - limit;
    items = items.slice(0, limit);
  }
  if (table) return { ...toTable(t, items, rv, table), metadata };
  return {
    kind: `${t.kind}List`,
    apiVersion: apiVersionOf(t),
    metadata,
    items: items.map((o) => ({ ...o, apiVersion: apiVersionOf(t), kind: t.kind })),
  };
}
