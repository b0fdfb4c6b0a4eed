import { createHash, randomBytes } from 'node:crypto';
import { BUILTIN } from './resources.js';
import type { ObjectStore } from './store.js';

/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-call -- the kubelet reads loosely typed specs: objects are JSON of many kinds */
const POD = BUILTIN.find((t) => t.kind === 'Pod')!;
const iso = () =>
  new Date(Math.floor(Date.now() / 1000) * 1000).toISOString().replace('.000Z', 'Z');

/** True when an object's Ready condition is True (nodes and pods). */
export const isReady = (o: any) =>
  (o.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True');

/** Whether a pod tolerates a node's NoSchedule/NoExecute taints and matches its nodeSelector. */
function fits(p: any, n: any): boolean {
  if (!isReady(n) || n.spec?.unschedulable) return false;
  const tolerated = (taint: any) =>
    (p.spec.tolerations ?? []).some(
      (t: any) =>
        (!t.key && t.operator === 'Exists') ||
        (t.key === taint.key &&
          (t.operator === 'Exists' || t.value === taint.value) &&
          (!t.effect || t.effect === taint.effect)),
    );
  if ((n.spec?.taints ?? []).some((t: any) => t.effect !== 'PreferNoSchedule' && !tolerated(t)))
    return false;
  return Object.entries(p.spec.nodeSelector ?? {}).every(([k, v]) => n.metadata.labels?.[k] === v);
}

/** The scheduler and the kubelet in one: bind a pending pod to a fitting node, then run it. */
export function reconcilePod(s: ObjectStore, p: any, nodes: any[]) {
  const t = iso();
  if (!p.spec.nodeName) {
    const fit = nodes.filter((n) => fits(p, n));
    if (!fit.length) {
      const message = `0/${nodes.length} nodes are available: ${nodes.length} node(s) were not ready or had untolerated taints.`;
      if (p.status?.conditions?.[0]?.message !== message)
        s.update(POD, {
          ...p,
          status: {
            ...p.status,
            conditions: [
              {
                type: 'PodScheduled',
                status: 'False',
                reason: 'Unschedulable',
                message,
                lastTransitionTime: t,
              },
            ],
          },
        });
      return;
    }
    const load = (n: any) =>
      s.list(POD).filter((x: any) => x.spec.nodeName === n.metadata.name).length;
    const node = fit.sort(
      (a, b) => load(a) - load(b) || a.metadata.name.localeCompare(b.metadata.name),
    )[0];
    s.update(POD, {
      ...p,
      spec: { ...p.spec, nodeName: node.metadata.name },
      status: {
        ...p.status,
        conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: t }],
      },
    });
    return;
  }
  const node = nodes.find((n) => n.metadata.name === p.spec.nodeName);
  if (p.status?.phase !== 'Pending' || !node || !isReady(node)) return;
  const cidr = String(node.spec?.podCIDR ?? '10.42.0.0/24').split('.');
  const taken = new Set(s.list(POD).map((x: any) => x.status?.podIP));
  let host = 2;
  while (taken.has(`${cidr[0]}.${cidr[1]}.${cidr[2]}.${host}`)) host++;
  const ip = `${cidr[0]}.${cidr[1]}.${cidr[2]}.${host}`;
  const ok = (type: string) => ({ type, status: 'True', lastTransitionTime: t });
  s.update(POD, {
    ...p,
    status: {
      phase: 'Running',
      conditions: [ok('Initialized'), ok('Ready'), ok('ContainersReady'), ok('PodScheduled')],
      hostIP: node.status.addresses.find((a: any) => a.type === 'InternalIP')?.address,
      podIP: ip,
      podIPs: [{ ip }],
      startTime: t,
      qosClass: p.status?.qosClass ?? 'BestEffort',
      containerStatuses: (p.spec.containers ?? []).map((c: any) => ({
        name: c.name,
        state: { running: { startedAt: t } },
        lastState: {},
        ready: true,
        restartCount: 0,
        image: c.image,
        imageID: `${c.image}@sha256:${createHash('sha256')
          .update(c.image ?? '')
          .digest('hex')}`,
        containerID: `containerd://${randomBytes(32).toString('hex')}`,
        started: true,
      })),
    },
  });
}
