import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from './errors.js';
import { apiVersionOf, type ResourceType } from './resources.js';
import type { Matcher } from './selectors.js';
import { typeKey, type KubeObject, type ObjectStore, type StoreEvent } from './store.js';
import { toTable } from './table.js';

export interface WatchRequest {
  type: ResourceType;
  namespace?: string;
  matches: Matcher;
  /** '' or '0': start with the current objects as ADDED; else replay from there. */
  resourceVersion: string;
  bookmarks: boolean;
  timeoutSeconds?: number;
  /** Answer each object as a one-row Table (kubectl get --watch asks for it). */
  table?: string;
}

/**
 * A watch as the API server streams it: one JSON event per line over a chunked 200 answer
 * (`{"type":"ADDED","object":…}`), BOOKMARK events carrying only a resourceVersion when the
 * client allows them, and, for a resourceVersion older than the kept history, a single ERROR
 * event with a 410 Expired Status — the watch cache answers it that way, not with HTTP 410
 * (k8s.io/apiserver/pkg/storage/cacher/cacher.go, newErrWatcher).
 */
export function serveWatch(
  req: IncomingMessage,
  res: ServerResponse,
  store: ObjectStore,
  w: WatchRequest,
  bookmarkMs: number,
): void {
  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
  res.flushHeaders();
  let first = true;
  const send = (type: string, object: unknown) => {
    if (w.table && type !== 'BOOKMARK' && type !== 'ERROR') {
      object = toTable(
        w.type,
        [object as KubeObject],
        (object as KubeObject).metadata.resourceVersion ?? '',
        w.table,
        first,
      );
      first = false;
    }
    res.write(`${JSON.stringify({ type, object })}\n`);
  };
  const inScope = (o: KubeObject) =>
    !w.namespace || !w.type.namespaced || o.metadata.namespace === w.namespace;
  const deliver = (e: StoreEvent) => {
    if (e.typeKey !== typeKey(w.type)) return;
    const served = (o: KubeObject) => ({
      ...o,
      apiVersion: apiVersionOf(w.type),
      kind: w.type.kind,
    });
    const now = inScope(e.object) && w.matches(e.object);
    const before = e.previous !== undefined && inScope(e.previous) && w.matches(e.previous);
    if (e.type === 'MODIFIED' && now && !before) send('ADDED', served(e.object));
    else if (e.type === 'MODIFIED' && !now && before) send('DELETED', served(e.object));
    else if (now) send(e.type, served(e.object));
  };
  const rv = w.resourceVersion;
  let unsubscribe = () => {};
  const timers: NodeJS.Timeout[] = [];
  const end = () => {
    unsubscribe();
    for (const t of timers) clearTimeout(t);
    if (!res.writableEnded) res.end();
  };
  try {
    if (!rv || rv === '0') {
      for (const o of store.list(w.type, w.namespace)) if (w.matches(o)) send('ADDED', o);
    } else {
      const from = Number(rv);
      if (!Number.isInteger(from))
        throw new ApiError(400, 'BadRequest', `invalid resource version: ${rv}`);
      for (const e of store.since(from)) deliver(e);
    }
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
    send('ERROR', e.toStatus());
    return end();
  }
  unsubscribe = store.subscribe(deliver);
  req.once('close', end);
  res.once('close', end);
  if (w.bookmarks) {
    const bookmark = () => {
      send('BOOKMARK', {
        kind: w.type.kind,
        apiVersion: apiVersionOf(w.type),
        metadata: { resourceVersion: String(store.rv) },
      });
      timers[0] = setTimeout(bookmark, bookmarkMs);
    };
    timers[0] = setTimeout(bookmark, bookmarkMs);
  }
  // Real servers end a watch after timeoutSeconds, or after 30–60 minutes when none is given.
  timers[1] = setTimeout(end, Math.min(w.timeoutSeconds ?? 1800, 3600) * 1000);
}
