import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startKubeManager, type KubeManager } from '../sim/kube/index.js';
import { baseEnv, run } from './kube-helpers.js';

let m: KubeManager;
const dir = mkdtempSync(path.join(tmpdir(), 'kube-installer-'));
const installer = path.join(dir, 'k3s-install.sh');
const server = path.join(dir, 'server');
const agent = path.join(dir, 'agent');
// A 127.x address of its own, as a simulated VM has; port 0 so suites never collide on 6443.
const serverIp = `127.66.${Math.floor(Math.random() * 200) + 1}.10`;

beforeAll(async () => {
  // NotReady long enough to be seen after the installer returns, even on a busy machine.
  m = await startKubeManager({ apiPort: 0, readyDelayMs: 2500 });
  const res = await fetch(m.installerUrl);
  writeFileSync(installer, await res.text(), { mode: 0o700 });
});
afterAll(async () => {
  await m.stop();
  rmSync(dir, { recursive: true, force: true });
});

const install = (root: string, env: Record<string, string>) =>
  run(installer, [], {
    ...baseEnv(),
    K3S_SIM_ROOT: root,
    INSTALL_K3S_VERSION: 'v1.31.4+k3s1',
    ...env,
  });

it('installs a first server: files k3s writes, a node token, a kubeconfig for 127.0.0.1', async () => {
  const r = await install(server, {
    INSTALL_K3S_EXEC: 'server --cluster-init',
    K3S_NODE_NAME: 'k8s-sim',
    SSH_CONNECTION: `127.0.0.1 40000 ${serverIp} 22`,
  });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.stdout).toContain('[INFO]  Using v1.31.4+k3s1 as release');
  const kc = path.join(server, 'etc/rancher/k3s/k3s.yaml');
  expect(statSync(kc).mode & 0o777).toBe(0o600);
  const doc = parse(readFileSync(kc, 'utf8')) as {
    clusters: Array<{ name: string; cluster: { server: string } }>;
  };
  expect(doc.clusters[0].name).toBe('default');
  expect(doc.clusters[0].cluster.server).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  const token = readFileSync(
    path.join(server, 'var/lib/rancher/k3s/server/node-token'),
    'utf8',
  ).trim();
  expect(token).toMatch(/^K10[0-9a-f]{64}::server:[0-9a-f]{32}$/);
  expect(statSync(path.join(server, 'var/lib/rancher/k3s/server/node-token')).mode & 0o777).toBe(
    0o600,
  );
  const cluster = m.clusterOf('k8s-sim');
  expect(cluster?.host).toBe(serverIp);
  expect(statSync(path.join(server, 'usr/local/bin/k3s')).mode & 0o111).toBeTruthy();
});

it('refuses an agent with a wrong token, then joins one with the right token; Ready via client-node', async () => {
  const c = m.clusterOf('k8s-sim')!;
  const good = readFileSync(
    path.join(server, 'var/lib/rancher/k3s/server/node-token'),
    'utf8',
  ).trim();
  const badHash = await install(agent, {
    K3S_URL: c.url,
    K3S_TOKEN: `K10${'0'.repeat(64)}::server:x`,
    K3S_NODE_NAME: 'k8s-sim-w1',
  });
  expect(badHash.code).not.toBe(0);
  expect(badHash.stderr).toContain('token CA hash does not match');
  const badSecret = await install(agent, {
    K3S_URL: c.url,
    K3S_TOKEN: 'not-the-secret',
    K3S_NODE_NAME: 'k8s-sim-w1',
  });
  expect(badSecret.code).not.toBe(0);
  expect(badSecret.stderr).toContain('401');
  const noToken = await install(agent, { K3S_URL: c.url, K3S_NODE_NAME: 'k8s-sim-w1' });
  expect(noToken.code).not.toBe(0);
  expect(c.nodes().map((n) => n.name)).toEqual(['k8s-sim']);

  const ok = await install(agent, {
    K3S_URL: c.url,
    K3S_TOKEN: good,
    K3S_NODE_NAME: 'k8s-sim-w1',
    K3S_NODE_IP: '127.66.0.11',
  });
  expect(ok.stderr).toBe('');
  expect(ok.code).toBe(0);
  expect(ok.stdout).toContain('k3s-agent');

  const kc = new KubeConfig();
  kc.loadFromString(
    readFileSync(path.join(server, 'etc/rancher/k3s/k3s.yaml'), 'utf8').replace(
      '127.0.0.1',
      serverIp,
    ),
  );
  const api = kc.makeApiClient(CoreV1Api);
  const ready = async () => {
    const list = await api.listNode();
    return list.items.map(
      (n) => `${n.metadata?.name}=${n.status?.conditions?.find((x) => x.type === 'Ready')?.status}`,
    );
  };
  expect((await ready()).sort()).toContain('k8s-sim-w1=False');
  let seen: string[] = [];
  for (let i = 0; i < 150; i++) {
    seen = await ready();
    if (seen.every((s) => s.endsWith('=True'))) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(seen.sort()).toEqual(['k8s-sim-w1=True', 'k8s-sim=True']);
  const w1 = await api.readNode({ name: 'k8s-sim-w1' });
  expect(w1.status?.addresses?.[0]?.address).toBe('127.66.0.11');
  expect(w1.metadata?.labels?.['node-role.kubernetes.io/control-plane']).toBeUndefined();
});

it('answers k3s kubectl get nodes on the server through the stub', async () => {
  const r = await run(
    path.join(server, 'usr/local/bin/k3s'),
    ['kubectl', 'get', 'nodes'],
    baseEnv(),
  );
  expect(r.code).toBe(0);
  expect(r.stdout.split('\n')[0]).toMatch(/^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION$/);
  expect(r.stdout).toMatch(/k8s-sim\s+Ready\s+control-plane,etcd,master/);
  expect(r.stdout).toMatch(/k8s-sim-w1\s+Ready\s+<none>/);
});

it('rejects a request without credentials with a Kubernetes Status', async () => {
  const c = m.clusterOf('k8s-sim')!;
  const kc = new KubeConfig();
  const anon = parse(c.kubeconfig()) as Record<string, unknown> & {
    users: Array<{ user: Record<string, string> }>;
  };
  anon.users[0].user = {};
  kc.loadFromString(JSON.stringify(anon));
  await expect(kc.makeApiClient(CoreV1Api).listNode()).rejects.toThrow(/401|Unauthorized/);
});

it('serves python3-kubernetes with the cluster kubeconfig (client certificate)', async () => {
  const c = m.clusterOf('k8s-sim')!;
  const file = path.join(dir, 'kubeconfig.yaml');
  writeFileSync(file, c.kubeconfig(), { mode: 0o600 });
  const py = [
    'import sys',
    'from kubernetes import client, config',
    'config.load_kube_config(config_file=sys.argv[1])',
    'v1 = client.CoreV1Api()',
    'for n in v1.list_node().items:',
    '    print(n.metadata.name, [c.status for c in n.status.conditions if c.type == "Ready"][0])',
    'print(client.VersionApi().get_code().git_version)',
  ].join('\n');
  const r = await run('/usr/bin/python3', ['-c', py, file], baseEnv());
  expect(r.stderr).toBe('');
  expect(r.stdout.trim().split('\n').sort()).toEqual([
    'k8s-sim True',
    'k8s-sim-w1 True',
    'v1.31.4+k3s1',
  ]);
});

// k3s reads the join token from K3S_TOKEN_FILE or --token-file as well as K3S_TOKEN
// (docs.k3s.io/cli/agent, "--token-file value | K3S_TOKEN_FILE"); the k3s role relies on it
// so that the token is never in an environment Ansible writes onto a command line.
it('joins an agent whose token is in K3S_TOKEN_FILE or --token-file, refusing a missing file', async () => {
  const c = m.clusterOf('k8s-sim')!;
  const good = readFileSync(
    path.join(server, 'var/lib/rancher/k3s/server/node-token'),
    'utf8',
  ).trim();
  const tokenFile = path.join(dir, 'join-token');
  writeFileSync(tokenFile, `${good}\n`, { mode: 0o600 });
  const missing = await install(path.join(dir, 'agent-2'), {
    K3S_URL: c.url,
    K3S_TOKEN_FILE: path.join(dir, 'no-such-token'),
    K3S_NODE_NAME: 'k8s-sim-w2',
  });
  expect(missing.code).not.toBe(0);
  expect(missing.stderr).toContain('failed to read token file');
  const viaEnv = await install(path.join(dir, 'agent-2'), {
    K3S_URL: c.url,
    K3S_TOKEN_FILE: tokenFile,
    K3S_NODE_NAME: 'k8s-sim-w2',
    K3S_NODE_IP: '127.66.0.12',
  });
  expect(viaEnv.stderr).toBe('');
  expect(viaEnv.code).toBe(0);
  const viaArg = await install(path.join(dir, 'agent-3'), {
    K3S_URL: c.url,
    INSTALL_K3S_EXEC: `agent --token-file ${tokenFile}`,
    K3S_NODE_NAME: 'k8s-sim-w3',
    K3S_NODE_IP: '127.66.0.13',
  });
  expect(viaArg.stderr).toBe('');
  expect(viaArg.code).toBe(0);
  expect(c.nodes().map((n) => n.name)).toEqual(
    expect.arrayContaining(['k8s-sim-w2', 'k8s-sim-w3']),
  );
});
