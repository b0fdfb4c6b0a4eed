import type { IncomingMessage, ServerResponse } from 'node:http';
import { admit } from './admission.js';
import { ApiError, badRequest, methodNotAllowed, notFound, pathNotFound } from './errors.js';
import { list } from './list.js';
import { jsonPatch, mergePatch, strategicMerge } from './patch.js';
import { asObject, parseBody, readBody } from './request-body.js';
import { apiVersionOf, typesOfCrd, type ResourceType } from './resources.js';
import { fieldSelector, labelSelector } from './selectors.js';
import type { KubeObject, ObjectStore } from './store.js';
import { toTable } from './table.js';
import { serveScale } from './scale.js';
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
    admit(store, t, o, old);
    if (dryRun) return { ...(old ?? {}), ...o, metadata: { ...old?.metadata, ...o.metadata } };
    return creating ? store.create(t, o) : store.update(t, o);
  };

  if (subresource === 'scale') return serveScale(ctx, req, res, t, mustGet());
  if (t.verbs && !(method === 'POST' && !name && t.verbs.includes('create')))
    throw methodNotAllowed();
  if (t.kind === 'SelfSubjectAccessReview') {
    // The admin certificate's group system:masters is bound to cluster-admin, as in k3s.
    const review = asObject(parseBody(await readBody(req), false));
    checkKind(t, review);
    return ctx.json(res, 201, {
      ...review,
      apiVersion: apiVersionOf(t),
      kind: t.kind,
      status: {
        allowed: true,
        reason:
          'RBAC: allowed by ClusterRoleBinding "cluster-admin" of ClusterRole "cluster-admin" to Group "system:masters"',
      },
    });
  }
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
    // Deleting a CustomResourceDefinition deletes every object of its resource with it.
    if (t.kind === 'CustomResourceDefinition')
      for (const ct of typesOfCrd(o as Parameters<typeof typesOfCrd>[0]).slice(0, 1))
        for (const x of store.list(ct)) store.remove(ct, x.metadata.namespace, x.metadata.name);
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

const BUILTIN_GROUPS = new Set(['', 'apps', 'apiextensions.k8s.io', 'rbac.authorization.k8s.io']);
