import type { SimNode } from './cluster-state.js';

const iso = (ms: number) =>
  new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

export function versionInfo(version: string) {
  const m = /^v(\d+)\.(\d+)/.exec(version);
  return {
    major: m?.[1] ?? '1',
    minor: m?.[2] ?? '31',
    gitVersion: version,
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '2024-12-12T00:00:00Z',
    goVersion: 'go1.22.9',
    compiler: 'gc',
    platform: 'linux/amd64',
  };
}

export function apiResources() {
  const r = (name: string, kind: string, namespaced: boolean) => ({
    name,
    singularName: kind.toLowerCase(),
    namespaced,
    kind,
    verbs: ['get', 'list'],
  });
  return {
    kind: 'APIResourceList',
    groupVersion: 'v1',
    resources: [r('nodes', 'Node', false), r('namespaces', 'Namespace', false)],
  };
}

/** The Node object: Ready False until `readyAt`, then True, with transition times. */
export function renderNode(n: SimNode, index = 0) {
  const now = Date.now();
  const forced = n.notReadySince !== undefined;
  const ready = !forced && now >= n.readyAt;
  const transition = forced ? n.notReadySince! : ready ? n.readyAt : n.createdAt;
  const cond = (type: string, reason: string, message: string) => ({
    type,
    status: 'False',
    lastHeartbeatTime: iso(now),
    lastTransitionTime: iso(n.createdAt),
    reason,
    message,
  });
  const labels: Record<string, string> = {
    'beta.kubernetes.io/arch': 'amd64',
    'beta.kubernetes.io/os': 'linux',
    'kubernetes.io/arch': 'amd64',
    'kubernetes.io/hostname': n.name,
    'kubernetes.io/os': 'linux',
    'node.kubernetes.io/instance-type': 'k3s',
    'beta.kubernetes.io/instance-type': 'k3s',
  };
  if (n.role === 'server') {
    labels['node-role.kubernetes.io/control-plane'] = 'true';
    labels['node-role.kubernetes.io/master'] = 'true';
    if (n.clusterInit) labels['node-role.kubernetes.io/etcd'] = 'true';
  }
  return {
    kind: 'Node',
    apiVersion: 'v1',
    metadata: {
      name: n.name,
      uid: n.uid,
      resourceVersion: String(Math.floor(now / 1000)),
      creationTimestamp: iso(n.createdAt),
      labels,
      // What k3s's agent annotates every node with (`kubectl describe node` on a k3s cluster).
      annotations: {
        'alpha.kubernetes.io/provided-node-ip': n.ip,
        'flannel.alpha.coreos.com/backend-type': 'vxlan',
        'flannel.alpha.coreos.com/kube-subnet-manager': 'true',
        'flannel.alpha.coreos.com/public-ip': n.ip,
        'k3s.io/hostname': n.name,
        'k3s.io/internal-ip': n.ip,
        'k3s.io/node-args': JSON.stringify(
          n.role === 'server'
            ? ['server', ...(n.clusterInit ? ['--cluster-init'] : [])]
            : ['agent'],
        ),
        'node.alpha.kubernetes.io/ttl': '0',
      },
    },
    spec: {
      podCIDR: `10.42.${index}.0/24`,
      podCIDRs: [`10.42.${index}.0/24`],
      providerID: `k3s://${n.name}`,
      // The node lifecycle controller taints a node that is not Ready; k3s adds no other taint.
      ...(ready ? {} : { taints: [{ key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' }] }),
    },
    status: {
      capacity: { cpu: '2', memory: '2030940Ki', pods: '110' },
      allocatable: { cpu: '2', memory: '2030940Ki', pods: '110' },
      conditions: [
        cond(
          'MemoryPressure',
          'KubeletHasSufficientMemory',
          'kubelet has sufficient memory available',
        ),
        cond('DiskPressure', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
        cond('PIDPressure', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
        {
          type: 'Ready',
          status: ready ? 'True' : 'False',
          lastHeartbeatTime: iso(now),
          lastTransitionTime: iso(transition),
          reason: ready ? 'KubeletReady' : 'KubeletNotReady',
          message: ready
            ? 'kubelet is posting ready status'
            : 'container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady',
        },
      ],
      addresses: [
        { type: 'InternalIP', address: n.ip },
        { type: 'Hostname', address: n.name },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        architecture: 'amd64',
        bootID: n.uid,
        containerRuntimeVersion: 'containerd://1.7.23-k3s2',
        kernelVersion: '6.1.0-sim',
        kubeProxyVersion: n.version,
        kubeletVersion: n.version,
        machineID: n.uid.replace(/-/g, ''),
        operatingSystem: 'linux',
        osImage: 'Ubuntu 24.04.1 LTS',
        systemUUID: n.uid,
      },
    },
  };
}

export function renderNamespaces(createdAt: number) {
  return ['default', 'kube-node-lease', 'kube-public', 'kube-system'].map((name) => ({
    kind: 'Namespace',
    apiVersion: 'v1',
    metadata: {
      name,
      uid: `00000000-0000-4000-8000-${name.length.toString().padStart(12, '0')}`,
      resourceVersion: '1',
      creationTimestamp: iso(createdAt),
      labels: { 'kubernetes.io/metadata.name': name },
    },
    spec: { finalizers: ['kubernetes'] },
    status: { phase: 'Active' },
  }));
}
