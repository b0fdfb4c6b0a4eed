import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startKubeApi, type KubeApiSim } from '../sim/kube/index.js';
import { baseEnv, run } from './kube-helpers.js';

// python3-kubernetes (Debian, 22.x): its own typical calls — create, list with a label
// selector and paging, watch until pods run, and a watch from an expired resourceVersion.
const PY = String.raw`
import json, sys
from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException
config.load_kube_config(config_file=sys.argv[1])
v1, apps, out = client.CoreV1Api(), client.AppsV1Api(), {}
def status(f):
    try:
        f()
        return None
    except ApiException as e:
        return [e.status, json.loads(e.body)["reason"] if e.body else e.reason]
cm = client.V1ConfigMap(metadata=client.V1ObjectMeta(name="settings", labels={"team": "a"}), data={"k": "v"})
out["created"] = v1.create_namespaced_config_map("default", cm).metadata.name
v1.create_namespaced_config_map("default", client.V1ConfigMap(metadata=client.V1ObjectMeta(name="other", labels={"team": "b"})))
out["again"] = status(lambda: v1.create_namespaced_config_map("default", cm))
out["missing"] = status(lambda: v1.read_namespaced_config_map("nope", "default"))
out["teamA"] = [c.metadata.name for c in v1.list_namespaced_config_map("default", label_selector="team=a").items]
out["labelled"] = [c.metadata.name for c in v1.list_namespaced_config_map("default", label_selector="team").items]
first = v1.list_namespaced_config_map("default", limit=2)
rest = v1.list_namespaced_config_map("default", limit=2, _continue=first.metadata._continue)
out["pages"] = [[c.metadata.name for c in first.items], [c.metadata.name for c in rest.items], rest.metadata._continue]
apps.create_namespaced_deployment("default", {
    "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "py"},
    "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "py"}},
             "template": {"metadata": {"labels": {"app": "py"}},
                          "spec": {"containers": [{"name": "c", "image": "busybox:1.36"}]}}}})
running, w = {}, watch.Watch()
for ev in w.stream(v1.list_namespaced_pod, "default", label_selector="app=py", timeout_seconds=60):
    p = ev["object"]
    if p.status.phase == "Running":
        running[p.metadata.name] = p.spec.node_name
    if len(running) == 2:
        w.stop()
out["running"] = sorted(running.values())
def expired():
    for _ in watch.Watch().stream(v1.list_namespaced_config_map, "default", resource_version="1", timeout_seconds=5):
        pass
try:
    expired()
    out["expired"] = None
except ApiException as e:
    out["expired"] = [e.status, e.reason]
print(json.dumps(out))
`;

let k: KubeApiSim;
const dir = mkdtempSync(path.join(tmpdir(), 'kube-sim-python-'));
beforeAll(async () => {
  // A short history: by the end, resourceVersion 1 is long gone, as on a busy real cluster.
  k = await startKubeApi({ name: 'k8s-py', port: 0, readyDelayMs: 0, watchHistory: 20 });
  k.registerNode({ name: 'k8s-py', role: 'server', ip: '127.0.0.1', clusterInit: true });
  k.registerNode({ name: 'k8s-py-w1', role: 'agent', ip: '127.0.0.2' });
  writeFileSync(path.join(dir, 'kubeconfig'), k.kubeconfig(), { mode: 0o600 });
});
afterAll(async () => {
  await k.stop();
  rmSync(dir, { recursive: true, force: true });
});

it('serves python3-kubernetes: create, selectors, paging, watch, 404/409/410', async () => {
  const r = await run('/usr/bin/python3', ['-c', PY, path.join(dir, 'kubeconfig')], baseEnv());
  expect(r.stderr).toBe('');
  const out = JSON.parse(r.stdout) as Record<string, unknown>;
  expect(out.created).toBe('settings');
  // Reasons of k8s.io/apimachinery/pkg/api/errors: AlreadyExists 409, NotFound 404.
  expect(out.again).toEqual([409, 'AlreadyExists']);
  expect(out.missing).toEqual([404, 'NotFound']);
  expect(out.teamA).toEqual(['settings']);
  expect(out.labelled).toEqual(['other', 'settings']);
  // kube-root-ca.crt (made for every namespace), other, settings: two pages, then no token.
  expect(out.pages).toEqual([['kube-root-ca.crt', 'other'], ['settings'], null]);
  const running = out.running as string[];
  expect(running).toHaveLength(2);
  for (const n of running) expect(['k8s-py', 'k8s-py-w1']).toContain(n);
  // The watch cache answers an expired resourceVersion with an ERROR event, code 410 Expired;
  // the client retries once, then raises it.
  expect(out.expired).toEqual([
    410,
    expect.stringMatching(/^Expired: too old resource version: 1 \(\d+\)$/),
  ]);
});
