import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, methodNotAllowed } from './errors.js';
import { jsonPatch, mergePatch } from './patch.js';
import { parseBody, readBody } from './request-body.js';
import type { ResourceType } from './resources.js';
import type { RestContext } from './rest.js';
import type { KubeObject } from './store.js';

/** The autoscaling/v1 Scale view of a Deployment or ReplicaSet (what `kubectl scale` patches). */
export async function serveScale(
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
