import { BUILTIN } from './resources.js';
import type { ObjectStore } from './store.js';

const T = (kind: string) => BUILTIN.find((t) => t.kind === kind)!;

/**
 * The objects a fresh k3s cluster has before anyone deploys: its namespaces, the `kubernetes`
 * service (10.43.0.1, k3s's service CIDR), CoreDNS as `kube-dns` (10.43.0.10, labelled
 * `kubernetes.io/cluster-service` so `kubectl cluster-info` lists it), the coredns Deployment,
 * and the `cluster-admin` role bound to `system:masters`, the group of the admin certificate.
 */
export function seedCluster(s: ObjectStore, apiHost: string, apiPort: number): void {
  if (s.get(T('Namespace'), undefined, 'default')) return;
  for (const name of ['default', 'kube-system', 'kube-public', 'kube-node-lease'])
    s.create(T('Namespace'), {
      metadata: { name, labels: { 'kubernetes.io/metadata.name': name } },
      spec: { finalizers: ['kubernetes'] },
      status: { phase: 'Active' },
    });
  s.create(T('Service'), {
    metadata: {
      name: 'kubernetes',
      namespace: 'default',
      labels: { component: 'apiserver', provider: 'kubernetes' },
    },
    spec: {
      type: 'ClusterIP',
      clusterIP: '10.43.0.1',
      clusterIPs: ['10.43.0.1'],
      ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }],
      sessionAffinity: 'None',
      ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'SingleStack',
    },
    status: { loadBalancer: {} },
  });
  s.create(T('Endpoints'), {
    metadata: { name: 'kubernetes', namespace: 'default' },
    subsets: [
      { addresses: [{ ip: apiHost }], ports: [{ name: 'https', port: apiPort, protocol: 'TCP' }] },
    ],
  });
  const dns = { 'k8s-app': 'kube-dns' };
  s.create(T('Service'), {
    metadata: {
      name: 'kube-dns',
      namespace: 'kube-system',
      labels: { ...dns, 'kubernetes.io/cluster-service': 'true', 'kubernetes.io/name': 'CoreDNS' },
    },
    spec: {
      type: 'ClusterIP',
      clusterIP: '10.43.0.10',
      clusterIPs: ['10.43.0.10'],
      selector: dns,
      ports: [
        { name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 },
        { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 },
        { name: 'metrics', port: 9153, protocol: 'TCP', targetPort: 9153 },
      ],
      sessionAffinity: 'None',
      ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'SingleStack',
    },
    status: { loadBalancer: {} },
  });
  s.create(T('Deployment'), {
    metadata: {
      name: 'coredns',
      namespace: 'kube-system',
      labels: { ...dns, 'kubernetes.io/name': 'CoreDNS' },
    },
    spec: {
      replicas: 1,
      revisionHistoryLimit: 0,
      progressDeadlineSeconds: 600,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: '25%' } },
      selector: { matchLabels: dns },
      template: {
        metadata: { labels: dns },
        spec: {
          priorityClassName: 'system-cluster-critical',
          serviceAccountName: 'coredns',
          nodeSelector: { 'kubernetes.io/os': 'linux' },
          tolerations: [
            { key: 'CriticalAddonsOnly', operator: 'Exists' },
            {
              key: 'node-role.kubernetes.io/control-plane',
              operator: 'Exists',
              effect: 'NoSchedule',
            },
            { key: 'node-role.kubernetes.io/master', operator: 'Exists', effect: 'NoSchedule' },
          ],
          containers: [
            {
              name: 'coredns',
              image: 'rancher/mirrored-coredns-coredns:1.12.0',
              args: ['-conf', '/etc/coredns/Corefile'],
              ports: [
                { name: 'dns', containerPort: 53, protocol: 'UDP' },
                { name: 'dns-tcp', containerPort: 53, protocol: 'TCP' },
                { name: 'metrics', containerPort: 9153, protocol: 'TCP' },
              ],
            },
          ],
        },
      },
    },
    status: {},
  });
  s.create(T('ClusterRole'), {
    metadata: { name: 'cluster-admin', labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults' } },
    rules: [
      { apiGroups: ['*'], resources: ['*'], verbs: ['*'] },
      { nonResourceURLs: ['*'], verbs: ['*'] },
    ],
  });
  s.create(T('ClusterRoleBinding'), {
    metadata: { name: 'cluster-admin', labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults' } },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'system:masters' }],
  });
}
