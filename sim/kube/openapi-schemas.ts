/**
 * The built-in kinds' schemas kubectl validates manifests against: every served built-in
 * kind with its common fields, unknown fields refused. Rarely written sub-objects (probes,
 * affinity, volume sources) are left open (any value), so valid manifests always pass.
 */
export type S = Record<string, unknown>;
export const str: S = { type: 'string' };
const int: S = { type: 'integer', format: 'int32' };
const bool: S = { type: 'boolean' };
export const any: S = {};
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

export const meta = obj({
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
export const SPECS: Record<string, Record<string, S>> = {
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
