import { badRequest } from './errors.js';
import type { ResourceType } from './resources.js';
import type { KubeObject } from './store.js';

/** A parsed selector: true when an object matches. */
export type Matcher = (o: KubeObject) => boolean;

/** Splits on commas outside parentheses (`a in (x,y),b`). */
function terms(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const c of s) {
    if (c === '(') depth++;
    if (c === ')') depth--;
    if (c === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out.map((t) => t.trim()).filter(Boolean);
}

/**
 * A label selector as k8s.io/apimachinery/pkg/labels parses it: `k=v`, `k==v`, `k!=v`,
 * `k in (a,b)`, `k notin (a)`, `k`, `!k`; terms are ANDed. Bad syntax is a 400.
 */
export function labelSelector(s: string | null): Matcher {
  if (!s) return () => true;
  const tests = terms(s).map((term): ((l: Record<string, string>) => boolean) => {
    let m = /^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term);
    if (m) {
      const [, k, op, list] = m;
      const vals = list.split(',').map((v) => v.trim());
      return op === 'in'
        ? (l) => k in l && vals.includes(l[k])
        : (l) => !(k in l) || !vals.includes(l[k]);
    }
    m = /^([\w./-]+)\s*(==|=|!=)\s*([\w.-]*)$/.exec(term);
    if (m) {
      const [, k, op, v] = m;
      return op === '!=' ? (l) => l[k] !== v : (l) => l[k] === v;
    }
    m = /^(!?)([\w./-]+)$/.exec(term);
    if (m) {
      const [, not, k] = m;
      return not ? (l) => !(k in l) : (l) => k in l;
    }
    throw badRequest(
      `unable to parse requirement: found '${term}', expected: in, notin, =, ==, !=, gt, lt`,
    );
  });
  return (o) => tests.every((t) => t(o.metadata.labels ?? {}));
}

/** A field's value as the selector compares it. */
const text = (v: unknown) =>
  typeof v === 'string' ? v : v === undefined || v === null ? '' : JSON.stringify(v);

/** Fields each kind can be selected by, as the real registry strategies allow. */
const FIELDS: Record<string, Record<string, (o: KubeObject) => unknown>> = {
  Pod: {
    'spec.nodeName': (o) => (o.spec as { nodeName?: string })?.nodeName ?? '',
    'spec.restartPolicy': (o) => (o.spec as { restartPolicy?: string })?.restartPolicy,
    'spec.schedulerName': (o) => (o.spec as { schedulerName?: string })?.schedulerName,
    'spec.serviceAccountName': (o) =>
      (o.spec as { serviceAccountName?: string })?.serviceAccountName,
    'status.phase': (o) => (o.status as { phase?: string })?.phase,
    'status.podIP': (o) => (o.status as { podIP?: string })?.podIP ?? '',
  },
  Node: {
    'spec.unschedulable': (o) =>
      String((o.spec as { unschedulable?: boolean })?.unschedulable ?? false),
  },
  Secret: { type: (o) => o.type },
  // What kubectl describe asks for the events of an object.
  Event: Object.fromEntries(
    ['kind', 'namespace', 'name', 'uid', 'apiVersion', 'resourceVersion', 'fieldPath']
      .map((f): [string, (o: KubeObject) => unknown] => [
        `involvedObject.${f}`,
        (o) => (o.involvedObject as Record<string, unknown> | undefined)?.[f] ?? '',
      ])
      .concat([
        ['reason', (o) => o.reason],
        ['type', (o) => o.type],
        ['source', (o) => (o.source as { component?: string } | undefined)?.component],
      ]),
  ),
  Namespace: { 'status.phase': (o) => (o.status as { phase?: string })?.phase },
  ReplicaSet: {
    'status.replicas': (o) => String((o.status as { replicas?: number })?.replicas ?? 0),
  },
};

/**
 * A field selector: `metadata.name` and `metadata.namespace` for every kind, plus the kind's
 * own fields; anything else is 400 `field label not supported: <field>` as the server says.
 */
export function fieldSelector(s: string | null, t: ResourceType): Matcher {
  if (!s) return () => true;
  const own = FIELDS[t.kind] ?? {};
  const tests = terms(s).map((term) => {
    const m = /^([\w.]+)\s*(==|=|!=)\s*(.*)$/.exec(term);
    if (!m) throw badRequest(`invalid selector: '${s}'; can't understand '${term}'`);
    const [, field, op, v] = m;
    const get =
      field === 'metadata.name'
        ? (o: KubeObject) => o.metadata.name
        : field === 'metadata.namespace'
          ? (o: KubeObject) => o.metadata.namespace ?? ''
          : own[field];
    if (!get) throw badRequest(`field label not supported: ${field}`);
    return op === '!='
      ? (o: KubeObject) => text(get(o)) !== v
      : (o: KubeObject) => text(get(o)) === v;
  });
  return (o) => tests.every((t) => t(o));
}
