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

/**
 * Why a pod cannot go to a node, in the scheduler's words (its filter plugins: NodeUnschedulable,
 * TaintToleration, NodeAffinity), or undefined when it fits. A NotReady node carries the
 * not-ready taint, so it is refused as the taint.
 */
function unfit(p: any, n: any): string | undefined {
  if (n.spec?.unschedulable) return 'node(s) were unschedulable';
  const tolerated = (taint: any) =>
    (p.spec.tolerations ?? []).some(
      (t: any) =>
        (!t.key && t.operator === 'Exists') ||
        (t.key === taint.key &&
          (t.operator === 'Exists' || t.value === taint.value) &&
          (!t.effect || t.effect === taint.effect)),
    );
  const taint = (n.spec?.taints ?? []).find(
    (t: any) => t.effect !== 'PreferNoSchedule' && !tolerated(t),
  );
  if (taint) return `node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`;
  if (!Object.entries(p.spec.nodeSelector ?? {}).every(([k, v]) => n.metadata.labels?.[k] === v))
    return "node(s) didn't match Pod's node affinity/selector";
  return isReady(n) ? undefined : 'node(s) were not ready';
}

/** `0/3 nodes are available: 1 node(s) …, 2 node(s) ….` with the reasons counted and sorted. */
function unschedulable(p: any, nodes: any[]): string {
  const counts = new Map<string, number>();
  for (const n of nodes) {
    const why = unfit(p, n) ?? '';
    counts.set(why, (counts.get(why) ?? 0) + 1);
  }
  const parts = [...counts].map(([why, c]) => `${c} ${why}`).sort();
  return `0/${nodes.length} nodes are available: ${parts.join(', ')}.`;
}

/** The scheduler and the kubelet in one: bind a pending pod to a fitting node, then run it. */
export function reconcilePod(s: ObjectStore, p: any, nodes: any[]) {
  const t = iso();
  if (!p.spec.nodeName) {
    const fit = nodes.filter((n) => !unfit(p, n));
    if (!fit.length) {
      const message = nodes.length
        ? unschedulable(p, nodes)
        : 'no nodes available to schedule pods';
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
