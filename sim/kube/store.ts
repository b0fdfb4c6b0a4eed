import { randomUUID } from 'node:crypto';
import { alreadyExists, conflict, notFound, tooOld } from './errors.js';
import { apiVersionOf, type ResourceType } from './resources.js';

export interface ObjectMeta {
  name: string;
  namespace?: string;
  generateName?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: Array<{
    apiVersion: string;
    kind: string;
    name: string;
    uid: string;
    controller?: boolean;
    blockOwnerDeletion?: boolean;
  }>;
  [key: string]: unknown;
}

/** Any Kubernetes object: kind, apiVersion, metadata and whatever the kind carries. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

export interface StoreEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  rv: number;
  /** `group/resource` of the object. */
  typeKey: string;
  object: KubeObject;
  /** The object before a modification (a watch with a selector turns leaving it into DELETED). */
  previous?: KubeObject;
}

export const typeKey = (t: ResourceType) => `${t.group}/${t.resource}`;
const objKey = (ns: string | undefined, name: string) => `${ns ?? ''}/${name}`;
const clone = <T>(v: T): T => structuredClone(v);
const now = () =>
  new Date(Math.floor(Date.now() / 1000) * 1000).toISOString().replace('.000Z', 'Z');

/**
 * Every object of one cluster, as etcd behind the API server holds them: one resourceVersion
 * counter for all writes, and a bounded history of changes that watches replay from. A watch
 * or continue token older than that history gets 410 Expired, as from the real watch cache.
 */
export class ObjectStore {
  private readonly byType = new Map<string, Map<string, KubeObject>>();
  private readonly history: StoreEvent[] = [];
  private readonly listeners = new Set<(e: StoreEvent) => void>();
  /** The newest resourceVersion no longer in the history. */
  private compacted: number;

  constructor(
    public rv: number,
    private readonly historySize = 1000,
    saved: Array<{ typeKey: string; object: KubeObject }> = [],
  ) {
    this.compacted = rv;
    for (const s of saved)
      this.table(s.typeKey).set(
        objKey(s.object.metadata.namespace, s.object.metadata.name),
        s.object,
      );
  }

  private table(key: string) {
    let m = this.byType.get(key);
    if (!m) this.byType.set(key, (m = new Map<string, KubeObject>()));
    return m;
  }

  get(t: ResourceType, ns: string | undefined, name: string): KubeObject | undefined {
    const o = this.table(typeKey(t)).get(objKey(t.namespaced ? ns : undefined, name));
    return o && clone(o);
  }

  /** Objects of a type (in one namespace, or all), ordered by namespace then name as etcd keys are. */
  list(t: ResourceType, ns?: string): KubeObject[] {
    return [...this.table(typeKey(t)).entries()]
      .filter(([, o]) => !ns || !t.namespaced || o.metadata.namespace === ns)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, o]) => clone(o));
  }

  /** Stores a new object: uid, resourceVersion, creationTimestamp and generation set here. */
  create(t: ResourceType, obj: KubeObject): KubeObject {
    const m = this.table(typeKey(t));
    const k = objKey(t.namespaced ? obj.metadata.namespace : undefined, obj.metadata.name);
    if (m.has(k)) throw alreadyExists(t, obj.metadata.name);
    const o = clone(obj);
    o.apiVersion ??= apiVersionOf(t);
    o.kind ??= t.kind;
    // Callers inside the simulator may carry a uid (nodes); the REST layer strips client ones.
    o.metadata.uid ??= randomUUID();
    o.metadata.creationTimestamp ??= now();
    o.metadata.generation = 1;
    if (!t.namespaced) delete o.metadata.namespace;
    o.metadata.resourceVersion = String(++this.rv);
    m.set(k, o);
    this.emit({ type: 'ADDED', rv: this.rv, typeKey: typeKey(t), object: clone(o) });
    return clone(o);
  }

  /**
   * Replaces an object. A resourceVersion in `obj` must match the stored one (409 Conflict
   * otherwise, as optimistic concurrency in the real server); generation moves when anything
   * but metadata and status changed.
   */
  update(t: ResourceType, obj: KubeObject): KubeObject {
    const m = this.table(typeKey(t));
    const k = objKey(t.namespaced ? obj.metadata.namespace : undefined, obj.metadata.name);
    const old = m.get(k);
    if (!old) throw notFound(t, obj.metadata.name);
    const rv = obj.metadata.resourceVersion;
    if (rv && rv !== old.metadata.resourceVersion) throw conflict(t, obj.metadata.name);
    const o = clone(obj);
    o.apiVersion = old.apiVersion;
    o.kind = old.kind;
    for (const f of ['uid', 'creationTimestamp', 'deletionTimestamp'] as const)
      if (old.metadata[f] !== undefined) o.metadata[f] = old.metadata[f];
    if (!t.namespaced) delete o.metadata.namespace;
    const body = (x: KubeObject) =>
      JSON.stringify({ ...x, metadata: undefined, status: undefined });
    o.metadata.generation = (old.metadata.generation ?? 1) + (body(o) !== body(old) ? 1 : 0);
    o.metadata.resourceVersion = old.metadata.resourceVersion;
    if (JSON.stringify(o) === JSON.stringify(old)) return clone(old);
    o.metadata.resourceVersion = String(++this.rv);
    m.set(k, o);
    this.emit({
      type: 'MODIFIED',
      rv: this.rv,
      typeKey: typeKey(t),
      object: clone(o),
      previous: old,
    });
    return clone(o);
  }

  remove(t: ResourceType, ns: string | undefined, name: string): KubeObject {
    const m = this.table(typeKey(t));
    const k = objKey(t.namespaced ? ns : undefined, name);
    const old = m.get(k);
    if (!old) throw notFound(t, name);
    m.delete(k);
    const o = clone(old);
    o.metadata.resourceVersion = String(++this.rv);
    this.emit({ type: 'DELETED', rv: this.rv, typeKey: typeKey(t), object: o });
    return clone(o);
  }

  /** Changes after `rv`, for a watch to replay; 410 Expired when they are no longer kept. */
  since(rv: number): StoreEvent[] {
    if (rv < this.compacted) throw tooOld(rv, this.compacted + 1);
    return this.history.filter((e) => e.rv > rv);
  }

  /** True while `rv` is still inside the kept history (a continue token stays valid). */
  retains(rv: number): boolean {
    return rv >= this.compacted;
  }

  subscribe(fn: (e: StoreEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Everything stored, for saving the cluster. */
  dump(): Array<{ typeKey: string; object: KubeObject }> {
    return [...this.byType.entries()].flatMap(([tk, m]) =>
      [...m.values()].map((object) => ({ typeKey: tk, object })),
    );
  }

  private emit(e: StoreEvent) {
    this.history.push(e);
    while (this.history.length > this.historySize) this.compacted = this.history.shift()!.rv;
    for (const l of this.listeners) l(e);
  }
}
