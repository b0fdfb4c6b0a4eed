import { randomBytes } from 'node:crypto';
import { ApiError, badRequest, invalid, notFound } from './errors.js';
import { BUILTIN, type ResourceType } from './resources.js';
import type { KubeObject, ObjectStore } from './store.js';

/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-return -- defaulting walks loosely typed specs: objects are JSON of many kinds */
const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const NAMESPACES = BUILTIN.find((t) => t.kind === 'Namespace')!;
/** Kinds whose names must be DNS labels rather than subdomains (apimachinery validation). */
const LABEL_NAMED = new Set(['Namespace', 'Service']);

/** Random suffix characters as the API server's generateName (no vowels, no 0/1/3). */
export const suffix = (n: number) =>
  [...randomBytes(n)].map((b) => 'bcdfghjklmnpqrstvwxz2456789'[b % 27]).join('');

/** 10.43.0.0/16, k3s's default service CIDR; .1 is the kubernetes service, .10 kube-dns. */
function allocateClusterIp(store: ObjectStore, svc: ResourceType): string {
  const used = new Set(store.list(svc).map((s: any) => s.spec?.clusterIP));
  for (let i = 11; i < 65000; i++) {
    const ip = `10.43.${i >> 8}.${i & 255}`;
    if (!used.has(ip)) return ip;
  }
  throw new ApiError(500, 'InternalError', 'range is full');
}

function defaultPodSpec(spec: any) {
  spec.restartPolicy ??= 'Always';
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.schedulerName ??= 'default-scheduler';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.securityContext ??= {};
  for (const c of spec.containers ?? []) {
    c.imagePullPolicy ??= /:latest$|^[^:]+$/.test(c.image ?? '') ? 'Always' : 'IfNotPresent';
    c.terminationMessagePath ??= '/dev/termination-log';
    c.terminationMessagePolicy ??= 'File';
    c.resources ??= {};
    for (const p of c.ports ?? []) p.protocol ??= 'TCP';
  }
}

/** Null fields dropped, as decoding into Go structs does (`creationTimestamp: null` from kubectl). */
function dropNulls(v: unknown): void {
  if (Array.isArray(v)) v.forEach(dropNulls);
  else if (v && typeof v === 'object')
    for (const [k, x] of Object.entries(v)) {
      if (x === null) delete (v as Record<string, unknown>)[k];
      else dropNulls(x);
    }
}

/**
 * What the API server's admission and defaulting do to an object before it is stored:
 * name checks, generateName, the namespace must exist, and per-kind defaults (cluster IPs,
 * Deployment strategy, Pod phase, Secret stringData). Throws the real 404/422 answers.
 */
export function admit(
  store: ObjectStore,
  t: ResourceType,
  o: KubeObject,
  old?: KubeObject,
): KubeObject {
  const creating = !old;
  dropNulls(o);
  const md = o.metadata;
  if (creating && !md.name && md.generateName) md.name = `${md.generateName}${suffix(5)}`;
  if (!md.name)
    throw invalid(t, '', 'metadata.name', 'Required value: name or generateName is required');
  const re = LABEL_NAMED.has(t.kind) ? LABEL : SUBDOMAIN;
  if (!re.test(md.name) || md.name.length > 253)
    throw invalid(
      t,
      md.name,
      'metadata.name',
      `Invalid value: "${md.name}": a lowercase RFC 1123 ${re === LABEL ? 'label' : 'subdomain'} must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character`,
    );
  if (t.namespaced && creating && !store.get(NAMESPACES, undefined, md.namespace ?? ''))
    throw notFound(NAMESPACES, md.namespace ?? '');
  const x = o as any;
  switch (t.kind) {
    case 'CustomResourceDefinition': {
      const spec = x.spec ?? {};
      const want = `${spec.names?.plural ?? ''}.${spec.group ?? ''}`;
      if (md.name !== want)
        throw invalid(
          t,
          md.name,
          'metadata.name',
          `Invalid value: "${md.name}": must be spec.names.plural+"."+spec.group`,
        );
      break;
    }
    case 'Namespace':
      md.labels = { ...md.labels, 'kubernetes.io/metadata.name': md.name };
      x.spec = { finalizers: ['kubernetes'], ...x.spec };
      x.status = { phase: 'Active', ...x.status };
      break;
    case 'Service': {
      const s = (x.spec ??= {});
      s.type ??= 'ClusterIP';
      s.sessionAffinity ??= 'None';
      if (creating && !s.clusterIP) s.clusterIP = allocateClusterIp(store, t);
      s.clusterIPs ??= s.clusterIP === 'None' ? ['None'] : [s.clusterIP];
      s.ipFamilies ??= ['IPv4'];
      s.ipFamilyPolicy ??= 'SingleStack';
      for (const p of s.ports ?? []) {
        p.protocol ??= 'TCP';
        p.targetPort ??= p.port;
        if ((s.type === 'NodePort' || s.type === 'LoadBalancer') && !p.nodePort)
          p.nodePort = 30000 + Math.floor(Math.random() * 2768);
      }
      x.status ??= { loadBalancer: {} };
      break;
    }
    case 'Secret':
      x.type ??= 'Opaque';
      // The decoder refuses data that is not base64 before anything is stored.
      for (const v of Object.values(x.data ?? {}))
        if (typeof v !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(v) || v.length % 4 !== 0)
          throw badRequest(
            `Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte ${typeof v === 'string' ? Math.max(0, v.search(/[^A-Za-z0-9+/=]/)) : 0}`,
          );
      if (x.stringData) {
        x.data = { ...x.data };
        for (const [k, v] of Object.entries(x.stringData))
          x.data[k] = Buffer.from(String(v)).toString('base64');
        delete x.stringData;
      }
      break;
    case 'Pod':
      defaultPodSpec((x.spec ??= {}));
      x.spec.serviceAccountName ??= 'default';
      if (creating) x.status = { phase: 'Pending', qosClass: 'BestEffort' };
      break;
    case 'Deployment':
    case 'ReplicaSet': {
      const s = (x.spec ??= {});
      s.replicas ??= 1;
      s.revisionHistoryLimit ??= 10;
      if (t.kind === 'Deployment') {
        s.progressDeadlineSeconds ??= 600;
        s.strategy ??= {
          type: 'RollingUpdate',
          rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' },
        };
      }
      const labels = s.template?.metadata?.labels ?? {};
      const match = s.selector?.matchLabels ?? {};
      if (!s.selector) throw invalid(t, md.name, 'spec.selector', 'Required value');
      // apps/v1 selectors are immutable (ValidateDeploymentUpdate, ValidateReplicaSetUpdate).
      const before = (old as any)?.spec?.selector;
      if (before && JSON.stringify(before) !== JSON.stringify(s.selector)) {
        const labelsOf = Object.entries(s.selector.matchLabels ?? {}).map(
          ([k, v]) => `"${k}":"${String(v)}"`,
        );
        throw invalid(
          t,
          md.name,
          'spec.selector',
          `Invalid value: v1.LabelSelector{MatchLabels:map[string]string{${labelsOf.join(', ')}}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable`,
        );
      }
      if (Object.entries(match).some(([k, v]) => labels[k] !== v))
        throw invalid(
          t,
          md.name,
          'spec.template.metadata.labels',
          `Invalid value: ${JSON.stringify(labels)}: \`selector\` does not match template \`labels\``,
        );
      defaultPodSpec((s.template.spec ??= {}));
      if (creating) x.status ??= {};
      break;
    }
  }
  return o;
}
