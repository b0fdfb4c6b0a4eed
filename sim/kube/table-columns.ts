/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-call -- cells read loosely typed objects: objects are JSON of many kinds */
/** The columns `kubectl get` shows per kind, as the API server's table printers make them. */

export type Col = [name: string, type: string, priority: number, cell: (o: any) => unknown];

/** kubectl's short ages (k8s.io/apimachinery/pkg/util/duration.HumanDuration). */
export function humanAge(fromIso: string | undefined, now = Date.now()): string {
  if (!fromIso) return '<unknown>';
  const s = Math.max(0, Math.floor((now - Date.parse(fromIso)) / 1000));
  const m = Math.floor(s / 60);
  const h = Math.floor(m / 60);
  const d = Math.floor(h / 24);
  if (s < 120) return `${s}s`;
  if (m < 10) return s % 60 ? `${m}m${s % 60}s` : `${m}m`;
  if (h < 3) return `${m}m`;
  if (h < 8) return m % 60 ? `${h}h${m % 60}m` : `${h}h`;
  if (h < 48) return `${h}h`;
  if (d < 8) return h % 24 ? `${d}d${h % 24}h` : `${d}d`;
  return d < 730 ? `${d}d` : `${Math.floor(d / 365)}y`;
}

export const name: Col = ['Name', 'string', 0, (o) => o.metadata.name];
export const age: Col = ['Age', 'string', 0, (o) => humanAge(o.metadata.creationTimestamp)];
const none = (v: unknown) => (v === undefined || v === '' || v === null ? '<none>' : v);
const selector = (sel: Record<string, string> | undefined) =>
  none(
    Object.entries(sel ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .join(','),
  );
const containers = (spec: any) =>
  (spec?.template?.spec?.containers ?? []) as Array<{ name: string; image: string }>;
const count = (o: any) =>
  Object.keys(o?.data ?? {}).length + Object.keys(o?.binaryData ?? {}).length;

function nodeStatus(n: any): string {
  const ready = (n.status?.conditions ?? []).find((c: any) => c.type === 'Ready');
  const s = ready?.status === 'True' ? 'Ready' : 'NotReady';
  return n.spec?.unschedulable ? `${s},SchedulingDisabled` : s;
}

function podStatus(p: any): string {
  if (p.metadata.deletionTimestamp) return 'Terminating';
  const waiting = (p.status?.containerStatuses ?? []).find((c: any) => c.state?.waiting?.reason);
  return waiting?.state.waiting.reason ?? p.status?.phase ?? 'Pending';
}

/** The columns `kubectl get` shows per kind, wide-only ones with priority 1, as the server's printers. */
export const COLUMNS: Record<string, Col[]> = {
  Node: [
    name,
    ['Status', 'string', 0, nodeStatus],
    [
      'Roles',
      'string',
      0,
      (n) =>
        none(
          Object.keys(n.metadata.labels ?? {})
            .filter((l) => l.startsWith('node-role.kubernetes.io/'))
            .map((l) => l.slice(24))
            .sort()
            .join(','),
        ),
    ],
    age,
    ['Version', 'string', 0, (n) => n.status?.nodeInfo?.kubeletVersion],
    [
      'Internal-IP',
      'string',
      1,
      (n) => none(n.status?.addresses?.find((a: any) => a.type === 'InternalIP')?.address),
    ],
    [
      'External-IP',
      'string',
      1,
      (n) => none(n.status?.addresses?.find((a: any) => a.type === 'ExternalIP')?.address),
    ],
    ['OS-Image', 'string', 1, (n) => n.status?.nodeInfo?.osImage],
    ['Kernel-Version', 'string', 1, (n) => n.status?.nodeInfo?.kernelVersion],
    ['Container-Runtime', 'string', 1, (n) => n.status?.nodeInfo?.containerRuntimeVersion],
  ],
  Pod: [
    name,
    [
      'Ready',
      'string',
      0,
      (p) =>
        `${(p.status?.containerStatuses ?? []).filter((c: any) => c.ready).length}/${p.spec?.containers?.length ?? 0}`,
    ],
    ['Status', 'string', 0, podStatus],
    [
      'Restarts',
      'integer',
      0,
      (p) =>
        (p.status?.containerStatuses ?? []).reduce(
          (a: number, c: any) => a + (c.restartCount ?? 0),
          0,
        ),
    ],
    age,
    ['IP', 'string', 1, (p) => none(p.status?.podIP)],
    ['Node', 'string', 1, (p) => none(p.spec?.nodeName)],
    ['Nominated Node', 'string', 1, (p) => none(p.status?.nominatedNodeName)],
    ['Readiness Gates', 'string', 1, () => '<none>'],
  ],
  Deployment: [
    name,
    ['Ready', 'string', 0, (d) => `${d.status?.readyReplicas ?? 0}/${d.spec?.replicas ?? 1}`],
    ['Up-to-date', 'integer', 0, (d) => d.status?.updatedReplicas ?? 0],
    ['Available', 'integer', 0, (d) => d.status?.availableReplicas ?? 0],
    age,
    [
      'Containers',
      'string',
      1,
      (d) =>
        containers(d.spec)
          .map((c) => c.name)
          .join(','),
    ],
    [
      'Images',
      'string',
      1,
      (d) =>
        containers(d.spec)
          .map((c) => c.image)
          .join(','),
    ],
    ['Selector', 'string', 1, (d) => selector(d.spec?.selector?.matchLabels)],
  ],
  ReplicaSet: [
    name,
    ['Desired', 'integer', 0, (r) => r.spec?.replicas ?? 1],
    ['Current', 'integer', 0, (r) => r.status?.replicas ?? 0],
    ['Ready', 'integer', 0, (r) => r.status?.readyReplicas ?? 0],
    age,
    [
      'Containers',
      'string',
      1,
      (r) =>
        containers(r.spec)
          .map((c) => c.name)
          .join(','),
    ],
    [
      'Images',
      'string',
      1,
      (r) =>
        containers(r.spec)
          .map((c) => c.image)
          .join(','),
    ],
    ['Selector', 'string', 1, (r) => selector(r.spec?.selector?.matchLabels)],
  ],
  Service: [
    name,
    ['Type', 'string', 0, (s) => s.spec?.type ?? 'ClusterIP'],
    ['Cluster-IP', 'string', 0, (s) => none(s.spec?.clusterIP)],
    ['External-IP', 'string', 0, (s) => none((s.spec?.externalIPs ?? []).join(','))],
    [
      'Port(s)',
      'string',
      0,
      (s) =>
        none(
          (s.spec?.ports ?? [])
            .map(
              (p: any) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol ?? 'TCP'}`,
            )
            .join(','),
        ),
    ],
    age,
    ['Selector', 'string', 1, (s) => selector(s.spec?.selector)],
  ],
  Namespace: [name, ['Status', 'string', 0, (n) => n.status?.phase ?? 'Active'], age],
  ConfigMap: [name, ['Data', 'integer', 0, count], age],
  Secret: [
    name,
    ['Type', 'string', 0, (s) => s.type ?? 'Opaque'],
    ['Data', 'integer', 0, count],
    age,
  ],
  ServiceAccount: [name, ['Secrets', 'integer', 0, (s) => (s.secrets ?? []).length], age],
  Endpoints: [
    name,
    [
      'Endpoints',
      'string',
      0,
      (e) =>
        none(
          (e.subsets ?? [])
            .flatMap((s: any) =>
              (s.addresses ?? []).flatMap((a: any) =>
                (s.ports ?? []).map((p: any) => `${a.ip}:${p.port}`),
              ),
            )
            .join(','),
        ),
    ],
    age,
  ],
  CustomResourceDefinition: [name, ['Created At', 'date', 0, (c) => c.metadata.creationTimestamp]],
};
