import { createHash } from 'node:crypto';
import { suffix } from './admission.js';
import { isReady, reconcilePod } from './kubelet.js';
import { collectGarbage, establishCrds, reconcileNamespaces } from './housekeeping.js';
import { ApiError } from './errors.js';
import { BUILTIN, apiVersionOf, type ResourceType } from './resources.js';
import type { KubeObject, ObjectStore } from './store.js';

/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-call -- controllers read loosely typed specs: objects are JSON of many kinds */
const T = (kind: string) => BUILTIN.find((t) => t.kind === kind)!;
const [DEP, RS, POD, NODE] = ['Deployment', 'ReplicaSet', 'Pod', 'Node'].map(T);
const iso = () =>
  new Date(Math.floor(Date.now() / 1000) * 1000).toISOString().replace('.000Z', 'Z');
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

const ownerRef = (t: ResourceType, o: KubeObject) => ({
  apiVersion: apiVersionOf(t),
  kind: t.kind,
  name: o.metadata.name,
  uid: o.metadata.uid!,
  controller: true,
  blockOwnerDeletion: true,
});
const ownedBy = (o: KubeObject, owner: KubeObject) =>
  (o.metadata.ownerReferences ?? []).some((r) => r.uid === owner.metadata.uid);

/** Ignores the races a real controller retries: the object changed or went away meanwhile. */
function tolerant(f: () => void) {
  try {
    f();
  } catch (e) {
    if (!(e instanceof ApiError && (e.code === 404 || e.code === 409))) throw e;
  }
}

/** pod-template-hash: a short stable name for a Deployment's pod template. */
/** JSON with keys sorted: the same template hashes the same whichever client wrote it. */
const canonical = (v: unknown): string =>
  Array.isArray(v)
    ? `[${v.map(canonical).join(',')}]`
    : v && typeof v === 'object'
      ? `{${Object.keys(v)
          .sort()
          .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
          .join(',')}}`
      : JSON.stringify(v);

const templateHash = (template: unknown) => {
  const h = createHash('sha256').update(canonical(template)).digest();
  return [...h.subarray(0, 10)].map((b) => 'bcdfghjklmnpqrstvwxz2456789'[b % 27]).join('');
};

function reconcileDeployment(s: ObjectStore, d: any) {
  const hash = templateHash(d.spec.template);
  const owned = s.list(RS, d.metadata.namespace).filter((r) => ownedBy(r, d)) as any[];
  let current = owned.find((r) => r.metadata.labels?.['pod-template-hash'] === hash);
  const revision = Math.max(
    0,
    ...owned.map((r) => Number(r.metadata.annotations?.['deployment.kubernetes.io/revision'] ?? 0)),
  );
  if (!current) {
    const labels = { ...d.spec.template.metadata?.labels, 'pod-template-hash': hash };
    current = s.create(RS, {
      metadata: {
        name: `${d.metadata.name}-${hash}`,
        namespace: d.metadata.namespace,
        labels,
        annotations: {
          'deployment.kubernetes.io/desired-replicas': String(d.spec.replicas),
          'deployment.kubernetes.io/revision': String(revision + 1),
        },
        ownerReferences: [ownerRef(DEP, d)],
      },
      spec: {
        replicas: d.spec.replicas,
        selector: { matchLabels: { ...d.spec.selector.matchLabels, 'pod-template-hash': hash } },
        template: { ...d.spec.template, metadata: { ...d.spec.template.metadata, labels } },
      },
      status: { replicas: 0 },
    });
  } else {
    // A rollback to an older template reuses its ReplicaSet, which becomes the newest revision.
    const rev = Number(current.metadata.annotations?.['deployment.kubernetes.io/revision'] ?? 0);
    if (current.spec.replicas !== d.spec.replicas || rev < revision) {
      current.spec.replicas = d.spec.replicas;
      current.metadata.annotations = {
        ...current.metadata.annotations,
        'deployment.kubernetes.io/revision': String(
          Math.max(rev, revision + (rev < revision ? 1 : 0)),
        ),
      };
      current = s.update(RS, current);
    }
  }
  // Old ReplicaSets scale to zero at once: the simulator has no surge to wait for.
  for (const r of owned)
    if (r.metadata.name !== current.metadata.name && r.spec.replicas !== 0)
      s.update(RS, { ...r, spec: { ...r.spec, replicas: 0 } });
  const all = s.list(RS, d.metadata.namespace).filter((r) => ownedBy(r, d)) as any[];
  const sum = (f: string) => all.reduce((a, r) => a + (r.status?.[f] ?? 0), 0);
  const updated = current.status?.replicas ?? 0;
  const available = sum('availableReplicas');
  const complete =
    updated === d.spec.replicas && sum('replicas') === updated && available === updated;
  const cond = (type: string, ok: boolean, reason: string, message: string) => ({
    type,
    status: ok ? 'True' : 'False',
    reason,
    message,
  });
  const status = {
    observedGeneration: d.metadata.generation,
    replicas: sum('replicas'),
    updatedReplicas: updated,
    readyReplicas: sum('readyReplicas'),
    availableReplicas: available,
    ...(d.spec.replicas - available > 0
      ? { unavailableReplicas: d.spec.replicas - available }
      : {}),
    conditions: [
      cond(
        'Available',
        available >= d.spec.replicas,
        available >= d.spec.replicas ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable',
        `Deployment ${available >= d.spec.replicas ? 'has' : 'does not have'} minimum availability.`,
      ),
      cond(
        'Progressing',
        true,
        complete ? 'NewReplicaSetAvailable' : 'ReplicaSetUpdated',
        `ReplicaSet "${current.metadata.name}" ${complete ? 'has successfully progressed' : 'is progressing'}.`,
      ),
    ],
  };
  const keep = (c: any[] = []) =>
    c.map(({ type, status, reason, message }) => ({ type, status, reason, message }));
  if (!same({ ...d.status, conditions: keep(d.status?.conditions) }, status)) {
    const t = iso();
    status.conditions = status.conditions.map((c: any) => ({
      ...c,
      lastUpdateTime: t,
      lastTransitionTime:
        (d.status?.conditions ?? []).find((o: any) => o.type === c.type && o.status === c.status)
          ?.lastTransitionTime ?? t,
    }));
    s.update(DEP, { ...d, status });
  }
}

function reconcileReplicaSet(s: ObjectStore, r: any) {
  const pods = s.list(POD, r.metadata.namespace).filter((p) => ownedBy(p, r)) as any[];
  for (let i = pods.length; i < r.spec.replicas; i++)
    s.create(POD, {
      metadata: {
        name: `${r.metadata.name}-${suffix(5)}`,
        namespace: r.metadata.namespace,
        labels: { ...r.spec.template.metadata?.labels },
        ownerReferences: [ownerRef(RS, r)],
      },
      spec: structuredClone(r.spec.template.spec),
      status: { phase: 'Pending', qosClass: 'BestEffort' },
    });
  for (const p of pods.slice(r.spec.replicas)) s.remove(POD, p.metadata.namespace, p.metadata.name);
  const live = pods.slice(0, r.spec.replicas);
  const ready = live.filter(isReady).length;
  const status = {
    replicas: r.spec.replicas,
    fullyLabeledReplicas: r.spec.replicas,
    readyReplicas: ready,
    availableReplicas: ready,
    observedGeneration: r.metadata.generation,
  };
  if (!same(r.status, status)) s.update(RS, { ...r, status });
}

/**
 * The controllers that make a Deployment run: deployment → ReplicaSet → Pods, scheduling onto
 * Ready nodes, garbage collection and namespace lifecycle. They run after each change, as the
 * real ones react to watch events, until nothing more changes.
 */
export function startControllers(
  s: ObjectStore,
  types: () => ResourceType[],
  caPem: string,
): () => void {
  let timer: NodeJS.Timeout | undefined;
  const pass = () => {
    timer = undefined;
    const nodes = s.list(NODE);
    const steps: Array<() => void> = [
      () => reconcileNamespaces(s, types(), caPem),
      () => establishCrds(s),
      () => collectGarbage(s),
      ...s.list(DEP).map((d) => () => reconcileDeployment(s, d)),
      ...s.list(RS).map((r) => () => reconcileReplicaSet(s, r)),
      ...s.list(POD).map((p) => () => reconcilePod(s, p, nodes)),
    ];
    for (const step of steps) tolerant(step);
  };
  const unsubscribe = s.subscribe(() => {
    timer ??= setTimeout(pass, 20);
  });
  timer = setTimeout(pass, 0);
  return () => {
    unsubscribe();
    if (timer) clearTimeout(timer);
  };
}
