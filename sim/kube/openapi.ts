import type { PatchOperation } from './protobuf.js';
import type { ResourceType } from './resources.js';

/**
 * The OpenAPI v2 schemas kubectl validates manifests against (`kubectl apply` with
 * validation): every served built-in kind with its common fields, unknown fields refused,
 * and each CustomResourceDefinition's own schema. Rarely written sub-objects (probes,
 * affinity, volume sources) are left open (any value), so valid manifests always pass.
 */
type S = Record<string, unknown>;
const str: S = { type: 'string' };
const int: S = { type: 'integer', format: 'int32' };
const bool: S = { type: 'boolean' };
const any: S = {};
const obj = (properties: Record<string, S>, required?: string[]): S => ({
  type: 'object',
  properties,
  ...(required ? { required } : {}),
});
const map = (v: S): S => ({ type: 'object', additionalProperties: v });
const arr = (items: S): S => ({ type: 'array', items });
/** A list merged by key in strategic merge patches: kubectl reads these extensions. */
const keyed = (items: S, key: string): S => ({
  ...arr(items),
  'x-kubernetes-patch-merge-key': key,
  'x-kubernetes-patch-strategy': 'merge',
});

const meta = obj({
  name: str,
  generateName: str,
  namespace: str,
  selfLink: str,
  uid: str,
  resourceVersion: str,
  generation: { type: 'integer', format: 'int64' },
  creationTimestamp: str,
  deletionTimestamp: str,
  deletionGracePeriodSeconds: int,
  labels: map(str),
  annotations: map(str),
  ownerReferences: arr(
    obj(
      {
        apiVersion: str,
        kind: str,
        name: str,
        uid: str,
        controller: bool,
        blockOwnerDeletion: bool,
      },
      ['apiVersion', 'kind', 'name', 'uid'],
    ),
  ),
  finalizers: arr(str),
  managedFields: arr(any),
});
const container = obj(
  {
    name: str,
    image: str,
    command: arr(str),
    args: arr(str),
    workingDir: str,
    ports: keyed(
      obj({ name: str, containerPort: int, protocol: str, hostPort: int, hostIP: str }, [
        'containerPort',
      ]),
      'containerPort',
    ),
    env: keyed(obj({ name: str, value: str, valueFrom: any }, ['name']), 'name'),
    envFrom: arr(any),
    resources: any,
    resizePolicy: arr(any),
    volumeMounts: keyed(
      obj(
        {
          name: str,
          mountPath: str,
          readOnly: bool,
          subPath: str,
          subPathExpr: str,
          mountPropagation: str,
          recursiveReadOnly: str,
        },
        ['name', 'mountPath'],
      ),
      'mountPath',
    ),
    volumeDevices: arr(any),
    livenessProbe: any,
    readinessProbe: any,
    startupProbe: any,
    lifecycle: any,
    terminationMessagePath: str,
    terminationMessagePolicy: str,
    imagePullPolicy: str,
    securityContext: any,
    stdin: bool,
    stdinOnce: bool,
    tty: bool,
    restartPolicy: str,
  },
  ['name'],
);
const podSpec = obj(
  {
    containers: keyed(container, 'name'),
    initContainers: keyed(container, 'name'),
    ephemeralContainers: arr(any),
    volumes: keyed(any, 'name'),
    restartPolicy: str,
    terminationGracePeriodSeconds: int,
    activeDeadlineSeconds: int,
    dnsPolicy: str,
    nodeSelector: map(str),
    serviceAccountName: str,
    serviceAccount: str,
    automountServiceAccountToken: bool,
    nodeName: str,
    hostNetwork: bool,
    hostPID: bool,
    hostIPC: bool,
    shareProcessNamespace: bool,
    securityContext: any,
    imagePullSecrets: keyed(obj({ name: str }), 'name'),
    hostname: str,
    subdomain: str,
    affinity: any,
    schedulerName: str,
    tolerations: arr(any),
    hostAliases: arr(any),
    priorityClassName: str,
    priority: int,
    dnsConfig: any,
    readinessGates: arr(any),
    runtimeClassName: str,
    enableServiceLinks: bool,
    preemptionPolicy: str,
    overhead: any,
    topologySpreadConstraints: arr(any),
    setHostnameAsFQDN: bool,
    os: any,
    hostUsers: bool,
    schedulingGates: arr(any),
    resourceClaims: arr(any),
    resources: any,
  },
  ['containers'],
);
const template = obj({ metadata: meta, spec: podSpec });
const selector = obj({ matchLabels: map(str), matchExpressions: arr(any) });
const SPECS: Record<string, Record<string, S>> = {
  Pod: { spec: podSpec, status: any },
  Deployment: {
    spec: obj(
      {
        replicas: int,
        selector,
        template,
        strategy: any,
        minReadySeconds: int,
        revisionHistoryLimit: int,
        paused: bool,
        progressDeadlineSeconds: int,
      },
      ['selector', 'template'],
    ),
    status: any,
  },
  ReplicaSet: {
    spec: obj({ replicas: int, minReadySeconds: int, selector, template }, ['selector']),
    status: any,
  },
  Service: {
    spec: obj({
      ports: keyed(
        obj(
          {
            name: str,
            protocol: str,
            appProtocol: str,
            port: int,
            targetPort: { type: 'string', format: 'int-or-string' },
            nodePort: int,
          },
          ['port'],
        ),
        'port',
      ),
      selector: map(str),
      clusterIP: str,
      clusterIPs: arr(str),
      type: str,
      externalIPs: arr(str),
      sessionAffinity: str,
      loadBalancerIP: str,
      loadBalancerSourceRanges: arr(str),
      externalName: str,
      externalTrafficPolicy: str,
      healthCheckNodePort: int,
      publishNotReadyAddresses: bool,
      sessionAffinityConfig: any,
      ipFamilies: arr(str),
      ipFamilyPolicy: str,
      allocateLoadBalancerNodePorts: bool,
      loadBalancerClass: str,
      internalTrafficPolicy: str,
      trafficDistribution: str,
    }),
    status: any,
  },
  ConfigMap: { data: map(str), binaryData: map(str), immutable: bool },
  Secret: { data: map(str), stringData: map(str), type: str, immutable: bool },
  ServiceAccount: {
    secrets: arr(any),
    imagePullSecrets: arr(any),
    automountServiceAccountToken: bool,
  },
  Namespace: { spec: obj({ finalizers: arr(str) }), status: any },
};

/** A CRD's openAPIV3Schema as v2 validation reads it: structure only, open where it says so. */
function fromCrd(s: S | undefined): S {
  if (!s || s['x-kubernetes-preserve-unknown-fields'] || s['x-kubernetes-int-or-string'])
    return any;
  const out: S = {};
  if (typeof s.type === 'string') out.type = s.type;
  if (s.properties)
    out.properties = Object.fromEntries(
      Object.entries(s.properties as Record<string, S>).map(([k, v]) => [k, fromCrd(v)]),
    );
  if (s.items && typeof s.items === 'object') out.items = fromCrd(s.items as S);
  if (s.additionalProperties && typeof s.additionalProperties === 'object')
    out.additionalProperties = fromCrd(s.additionalProperties as S);
  if (Array.isArray(s.required)) out.required = s.required;
  return out;
}

const defName = (t: ResourceType) => {
  const g = t.group ? t.group.split('.').reverse().join('.') : 'io.k8s.api.core';
  const prefix = t.group === 'apps' ? 'io.k8s.api.apps' : t.group === '' ? 'io.k8s.api.core' : g;
  return `${prefix}.${t.version}.${t.kind}`;
};

/** The swagger 2.0 document served at /openapi/v2. */
export function openApiV2(types: ResourceType[], version: string) {
  const definitions: Record<string, S> = {
    'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta': meta,
  };
  for (const t of types) {
    const own = t.schema
      ? (fromCrd(t.schema).properties as Record<string, S> | undefined)
      : SPECS[t.kind];
    if (!own && !t.schema) continue;
    definitions[defName(t)] = {
      type: 'object',
      properties: { ...own, apiVersion: str, kind: str, metadata: meta },
      'x-kubernetes-group-version-kind': [{ group: t.group, kind: t.kind, version: t.version }],
    };
  }
  // Each resource's PATCH, carrying its kind and the `dryRun` parameter (server-side dry run
  // is served). `fieldValidation` is left out: kubectl then validates on its side, as intended.
  const paths: Record<string, { patch: PatchOperation }> = {};
  for (const t of types) {
    const base = t.group ? `/apis/${t.group}/${t.version}` : '/api/v1';
    const p = `${base}${t.namespaced ? '/namespaces/{namespace}' : ''}/${t.resource}/{name}`;
    paths[p] = {
      patch: {
        'x-kubernetes-group-version-kind': { group: t.group, kind: t.kind, version: t.version },
        parameters: ['dryRun', 'fieldManager'].map((name) => ({
          name,
          in: 'query',
          type: 'string',
          uniqueItems: true,
        })),
        responses: { '200': { description: 'OK' } },
      },
    };
  }
  return { swagger: '2.0', info: { title: 'Kubernetes', version }, paths, definitions };
}
