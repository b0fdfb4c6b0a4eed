import { ApiError, badRequest } from './errors.js';
import { apiVersionOf, type ResourceType } from './resources.js';
import type { KubeObject, ObjectStore } from './store.js';
import { toTable } from './table.js';

const EXPIRED_CONTINUE =
  'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.';

/** A list with `limit`/`continue` paging (the token says where the next page starts). */
export function list(
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
