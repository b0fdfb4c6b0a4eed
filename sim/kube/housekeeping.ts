import { BUILTIN, type ResourceType } from './resources.js';
import type { ObjectStore } from './store.js';

/** Cluster housekeeping beside the workload controllers: CRD status, garbage collection, namespaces. */
/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-call -- housekeeping reads loosely typed specs: objects are JSON of many kinds */
const T = (kind: string) => BUILTIN.find((t) => t.kind === kind)!;
const [DEP, RS, POD, NS, SA, CM, CRD] = [
  'Deployment',
  'ReplicaSet',
  'Pod',
  'Namespace',
  'ServiceAccount',
  'ConfigMap',
  'CustomResourceDefinition',
].map(T);
const iso = () =>
  new Date(Math.floor(Date.now() / 1000) * 1000).toISOString().replace('.000Z', 'Z');

/** A CRD's names are accepted and it is Established (what `kubectl wait --for=condition=established` reads). */
export function establishCrds(s: ObjectStore) {
  for (const c of s.list(CRD) as any[]) {
    if (c.status?.conditions?.some((x: any) => x.type === 'Established' && x.status === 'True'))
      continue;
    const t = iso();
    const cond = (type: string, reason: string, message: string) => ({
      type,
      status: 'True',
      lastTransitionTime: t,
      reason,
      message,
    });
    s.update(CRD, {
      ...c,
      status: {
        acceptedNames: c.spec?.names ?? {},
        storedVersions: (c.spec?.versions ?? [])
          .filter((v: any) => v.storage)
          .map((v: any) => v.name),
        conditions: [
          cond('NamesAccepted', 'NoConflicts', 'no conflicts found'),
          cond('Established', 'InitialNamesAccepted', 'the initial names have been accepted'),
        ],
      },
    });
  }
}

/** Background garbage collection: objects whose owner is gone go too. */
export function collectGarbage(s: ObjectStore) {
  const uids = new Set([DEP, RS].flatMap((t) => s.list(t).map((o) => o.metadata.uid)));
  for (const t of [RS, POD])
    for (const o of s.list(t))
      if (
        (o.metadata.ownerReferences ?? []).some(
          (r) => (r.kind === 'Deployment' || r.kind === 'ReplicaSet') && !uids.has(r.uid),
        )
      )
        s.remove(t, o.metadata.namespace, o.metadata.name);
}

/** Namespaces: a new one gets its `default` ServiceAccount and CA ConfigMap; a terminating one is emptied, then removed. */
export function reconcileNamespaces(s: ObjectStore, types: ResourceType[], caPem: string) {
  for (const ns of s.list(NS)) {
    const name = ns.metadata.name;
    if (ns.metadata.deletionTimestamp) {
      for (const t of types.filter((x) => x.namespaced))
        for (const o of s.list(t, name)) s.remove(t, name, o.metadata.name);
      s.remove(NS, undefined, name);
      continue;
    }
    if (!s.get(SA, name, 'default'))
      s.create(SA, { metadata: { name: 'default', namespace: name } });
    if (!s.get(CM, name, 'kube-root-ca.crt'))
      s.create(CM, {
        metadata: { name: 'kube-root-ca.crt', namespace: name },
        data: { 'ca.crt': caPem },
      });
  }
}
