import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../config/load.js';
import { memoryLogger } from '../log.js';
import type { VmSpec } from '../vm/types.js';
import { publishNewClusters } from './publish.js';
import type { VaultClient } from './vault-client.js';

const k3sYaml = (server: string) => `apiVersion: v1
kind: Config
clusters:
- cluster: {certificate-authority-data: Q0E=, server: '${server}'}
  name: default
users:
- name: default
  user: {token: abcdefgh}
contexts:
- context: {cluster: default, user: default}
  name: default
`;

describe('publishNewClusters in simulator mode', () => {
  it('refuses a server in k3s.yaml that is not loopback, before contacting it', async () => {
    const vm = { name: 'k8s-a', k3s: { role: 'server' } } as unknown as VmSpec;
    const run = publishNewClusters({
      hosts: [{ name: 'k8s-a', ip: '127.0.0.5' }],
      vms: [vm],
      config: DEFAULT_CONFIG,
      vault: {} as VaultClient,
      location: { mount: 'kv', path: 'p', key: 'KUBECONFIG' },
      ssh: { privateKey: 'k', knownHosts: '', trustOnFirstUse: true },
      simulator: true,
      readyTimeoutMs: 1,
      log: memoryLogger(),
      fetchKubeconfig: () => Promise.resolve(k3sYaml('https://192.168.1.10:6443')),
    });
    await expect(run).rejects.toThrow(
      /Simulator mode: .*k3s\.yaml of k8s-a names the server https:\/\/192\.168\.1\.10:6443, which is not a loopback address/,
    );
  });
});
