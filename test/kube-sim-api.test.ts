/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return -- raw API answers are JSON, checked by the expectations */
import {
  ApiextensionsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  Watch,
  type V1Node,
} from '@kubernetes/client-node';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubeApi, type KubeApiSim } from '../sim/kube/index.js';

let k: KubeApiSim;
const kc = new KubeConfig();

beforeAll(async () => {
  k = await startKubeApi({
    name: 'k8s-api',
    port: 0,
    readyDelayMs: 0,
    watchHistory: 30,
    bookmarkMs: 200,
  });
  k.registerNode({ name: 'k8s-api', role: 'server', ip: '127.0.0.1', clusterInit: true });
  k.registerNode({ name: 'k8s-api-w1', role: 'agent', ip: '127.0.0.2' });
  k.registerNode({ name: 'k8s-api-w2', role: 'agent', ip: '127.0.0.3' });
  kc.loadFromString(k.kubeconfig());
});
afterAll(() => k.stop());

/** One raw HTTPS call with the admin token, answering status, content type and parsed body. */
function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  return new Promise<{ code: number; type: string; body: any }>((resolve, reject) => {
    const req = request(
      `${k.url}${path}`,
      {
        method,
        ca: k.caPem,
        headers: {
          Authorization: `Bearer ${k.bearerToken}`,
          'Content-Type': 'application/json',
          ...headers,
        },
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => {
          const type = String(res.headers['content-type'] ?? '');
          const lines = text.trim().split('\n');
          const parse = (t: string) => (t ? JSON.parse(t) : undefined);
          resolve({
            code: res.statusCode ?? 0,
            type,
            body: lines.length > 1 ? lines.map(parse) : parse(lines[0]),
          });
        });
      },
    );
    req.once('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}
const cm = (name: string, labels?: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, labels },
  data: { a: '1' },
});

describe('discovery and the Status answers of the real API server', () => {
  it('lists the groups and resources clients discover', async () => {
    const groups = (await call('GET', '/apis')).body;
    expect(groups.groups.map((g: { name: string }) => g.name)).toEqual([
      'apps',
      'apiextensions.k8s.io',
      'coordination.k8s.io',
      'rbac.authorization.k8s.io',
      'authorization.k8s.io',
    ]);
    const apps = (await call('GET', '/apis/apps/v1')).body;
    const dep = apps.resources.find((r: { name: string }) => r.name === 'deployments');
    expect(dep).toMatchObject({
      kind: 'Deployment',
      namespaced: true,
      shortNames: ['deploy'],
      categories: ['all'],
    });
    expect(dep.verbs).toEqual(
      expect.arrayContaining(['create', 'get', 'list', 'watch', 'patch', 'update', 'delete']),
    );
    expect(apps.resources.map((r: { name: string }) => r.name)).toContain('deployments/scale');
    const v1 = (await call('GET', '/api/v1')).body;
    expect(v1.resources.map((r: { name: string }) => r.name)).toEqual(
      expect.arrayContaining([
        'pods',
        'services',
        'configmaps',
        'secrets',
        'serviceaccounts',
        'namespaces',
        'nodes',
      ]),
    );
  });

  // Wordings of k8s.io/apimachinery/pkg/api/errors/errors.go (NewNotFound, NewAlreadyExists,
  // NewConflict, NewMethodNotSupported) and the generic 404 of the API server's mux.
  it('answers 404, 405 and 409 with Kubernetes Status bodies', async () => {
    const missing = await call('GET', '/apis/apps/v1/namespaces/default/deployments/nope');
    expect(missing.code).toBe(404);
    expect(missing.body).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'deployments.apps "nope" not found',
      reason: 'NotFound',
      details: { name: 'nope', group: 'apps', kind: 'deployments' },
      code: 404,
    });
    const path = await call('GET', '/apis/batch/v1/jobs');
    expect(path.body).toMatchObject({
      code: 404,
      reason: 'NotFound',
      message: 'the server could not find the requested resource',
    });
    const post = await call('POST', '/api/v1', {});
    expect(post.body).toMatchObject({ code: 405, reason: 'MethodNotAllowed' });
    const noNs = await call('POST', '/api/v1/namespaces/nowhere/configmaps', cm('x'));
    expect(noNs.body).toMatchObject({ code: 404, message: 'namespaces "nowhere" not found' });
    expect((await call('POST', '/api/v1/namespaces/default/configmaps', cm('one'))).code).toBe(201);
    const again = await call('POST', '/api/v1/namespaces/default/configmaps', cm('one'));
    expect(again.body).toMatchObject({
      code: 409,
      reason: 'AlreadyExists',
      message: 'configmaps "one" already exists',
    });
    const current = (await call('GET', '/api/v1/namespaces/default/configmaps/one')).body;
    const updated = await call('PUT', '/api/v1/namespaces/default/configmaps/one', {
      ...current,
      data: { a: '2' },
    });
    expect(Number(updated.body.metadata.resourceVersion)).toBeGreaterThan(
      Number(current.metadata.resourceVersion),
    );
    const stale = await call('PUT', '/api/v1/namespaces/default/configmaps/one', {
      ...current,
      data: { a: '3' },
    });
    expect(stale.body).toMatchObject({
      code: 409,
      reason: 'Conflict',
      message:
        'Operation cannot be fulfilled on configmaps "one": the object has been modified; please apply your changes to the latest version and try again',
    });
    const field = await call('GET', '/api/v1/pods?fieldSelector=spec.foo%3Dbar');
    expect(field.body).toMatchObject({
      code: 400,
      reason: 'BadRequest',
      message: 'field label not supported: spec.foo',
    });
  });

  // Validation of k8s.io/kubernetes/pkg/apis/apps/validation (immutable selector) and the
  // JSON decoder's refusal of bad base64 in a Secret.
  it('refuses a changed Deployment selector (422) and a Secret that is not base64 (400)', async () => {
    const dep = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'sel' },
      spec: {
        selector: { matchLabels: { app: 'a' } },
        template: {
          metadata: { labels: { app: 'a', v: 'b' } },
          spec: { containers: [{ name: 'c', image: 'busybox' }] },
        },
      },
    };
    expect((await call('POST', '/apis/apps/v1/namespaces/default/deployments', dep)).code).toBe(
      201,
    );
    const changed = {
      ...dep,
      spec: { ...dep.spec, selector: { matchLabels: { app: 'a', v: 'b' } } },
    };
    const r = await call('PUT', '/apis/apps/v1/namespaces/default/deployments/sel', changed);
    expect(r.code).toBe(422);
    expect(r.body.reason).toBe('Invalid');
    expect(r.body.message).toMatch(
      /^Deployment\.apps "sel" is invalid: spec\.selector: Invalid value: .*: field is immutable$/,
    );
    const secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's' },
      data: { k: 'not base64!' },
    };
    const bad = await call('POST', '/api/v1/namespaces/default/secrets', secret);
    expect(bad.body).toMatchObject({
      code: 400,
      reason: 'BadRequest',
      message: expect.stringContaining('illegal base64 data'),
    });
    const good = await call('POST', '/api/v1/namespaces/default/secrets', {
      ...secret,
      data: undefined,
      stringData: { k: 'v' },
    });
    expect(good.body.data).toEqual({ k: Buffer.from('v').toString('base64') });
  });

  it('answers an unknown token 401 with a Status body', async () => {
    const r = await call('GET', '/api/v1/nodes', undefined, { Authorization: 'Bearer nope' });
    expect(r.code).toBe(401);
    expect(r.body).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'Unauthorized',
      reason: 'Unauthorized',
      code: 401,
    });
  });
});

describe('@kubernetes/client-node against the simulated cluster', () => {
  it('selects nodes by field and by k3s label, and sees the labels k3s sets', async () => {
    const core = kc.makeApiClient(CoreV1Api);
    const one = await core.listNode({ fieldSelector: 'metadata.name=k8s-api-w2' });
    expect(one.items.map((n: V1Node) => n.metadata?.name)).toEqual(['k8s-api-w2']);
    const cp = await core.listNode({ labelSelector: 'node-role.kubernetes.io/control-plane=true' });
    expect(cp.items.map((n: V1Node) => n.metadata?.name)).toEqual(['k8s-api']);
    const server = cp.items[0];
    expect(server.metadata?.labels).toMatchObject({
      'node-role.kubernetes.io/etcd': 'true',
      'node-role.kubernetes.io/master': 'true',
      'node.kubernetes.io/instance-type': 'k3s',
      'kubernetes.io/hostname': 'k8s-api',
    });
    expect(server.metadata?.annotations).toMatchObject({
      'k3s.io/hostname': 'k8s-api',
      'k3s.io/internal-ip': '127.0.0.1',
    });
    const workers = await core.listNode({
      labelSelector: '!node-role.kubernetes.io/control-plane',
    });
    expect(workers.items.map((n: V1Node) => n.metadata?.name)).toEqual([
      'k8s-api-w1',
      'k8s-api-w2',
    ]);
    // A node that is not Ready carries the not-ready taint, so nothing is scheduled there.
    k.setReady('k8s-api-w1', false);
    const w1 = await core.readNode({ name: 'k8s-api-w1' });
    expect(w1.spec?.taints).toEqual([
      { key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' },
    ]);
    k.setReady('k8s-api-w1', true);
    expect((await core.readNode({ name: 'k8s-api-w1' })).spec?.taints).toBeUndefined();
  });

  it('schedules a pod on the node its selector names, and leaves an unmatched one Pending', async () => {
    const core = kc.makeApiClient(CoreV1Api);
    const pod = (name: string, host: string) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name },
      spec: {
        nodeSelector: { 'kubernetes.io/hostname': host },
        containers: [{ name: 'c', image: 'busybox:1.36' }],
      },
    });
    await core.createNamespacedPod({ namespace: 'default', body: pod('pinned', 'k8s-api-w2') });
    await core.createNamespacedPod({ namespace: 'default', body: pod('stranded', 'elsewhere') });
    const settled = async (
      name: string,
      done: (p: Awaited<ReturnType<typeof core.readNamespacedPod>>) => boolean,
    ) => {
      for (let i = 0; i < 200; i++) {
        const p = await core.readNamespacedPod({ namespace: 'default', name });
        if (done(p)) return p;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`pod ${name} never settled`);
    };
    const pinned = await settled('pinned', (p) => p.status?.phase === 'Running');
    expect(pinned.spec?.nodeName).toBe('k8s-api-w2');
    expect(pinned.status?.hostIP).toBe('127.0.0.3');
    expect(pinned.status?.podIP).toMatch(/^10\.42\.2\.\d+$/);
    const stranded = await settled('stranded', (p) => !!p.status?.conditions?.length);
    expect(stranded.status?.phase).toBe('Pending');
    // The scheduler's wording (kube-scheduler's FitError with the NodeAffinity reason).
    expect(stranded.status?.conditions?.[0]).toMatchObject({
      type: 'PodScheduled',
      status: 'False',
      reason: 'Unschedulable',
      message: "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector.",
    });
  });

  it('pages with limit and continue', async () => {
    const core = kc.makeApiClient(CoreV1Api);
    for (const n of ['p1', 'p2', 'p3'])
      await core.createNamespacedConfigMap({ namespace: 'default', body: cm(n, { page: 'yes' }) });
    const first = await core.listNamespacedConfigMap({
      namespace: 'default',
      labelSelector: 'page',
      limit: 2,
    });
    expect(first.items.map((c) => c.metadata?.name)).toEqual(['p1', 'p2']);
    expect(first.metadata?.remainingItemCount).toBe(1);
    const next = await core.listNamespacedConfigMap({
      namespace: 'default',
      labelSelector: 'page',
      limit: 2,
      _continue: first.metadata?._continue,
    });
    expect(next.items.map((c) => c.metadata?.name)).toEqual(['p3']);
    expect(next.metadata?._continue).toBeUndefined();
  });

  it('watches with bookmarks, then answers an expired resourceVersion 410 Expired', async () => {
    const events: Array<[string, string]> = [];
    const watcher = new Watch(kc);
    let seen: () => void = () => {};
    const both = new Promise<void>((r) => (seen = r));
    const ctl = await watcher.watch(
      '/api/v1/namespaces/default/configmaps',
      {
        allowWatchBookmarks: true,
        labelSelector: 'watched=yes',
        resourceVersion: String(k.api.store.rv),
      },
      (type, obj: { metadata: { name?: string; resourceVersion: string } }) => {
        events.push([type, obj.metadata.name ?? obj.metadata.resourceVersion]);
        if (events.some(([t]) => t === 'BOOKMARK') && events.some(([t]) => t === 'ADDED')) seen();
      },
      () => {},
    );
    const core = kc.makeApiClient(CoreV1Api);
    await core.createNamespacedConfigMap({ namespace: 'default', body: cm('unwatched') });
    await core.createNamespacedConfigMap({
      namespace: 'default',
      body: cm('watched', { watched: 'yes' }),
    });
    await both;
    ctl.abort();
    expect(events.filter(([t]) => t === 'ADDED')).toEqual([['ADDED', 'watched']]);
    // Thirty more changes push resourceVersion 2 out of the kept history.
    for (let i = 0; i < 30; i++)
      await core.createNamespacedConfigMap({ namespace: 'default', body: cm(`fill-${i}`) });
    const expired = await call(
      'GET',
      '/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=2&timeoutSeconds=5',
    );
    expect(expired.code).toBe(200);
    expect(expired.body).toMatchObject({
      type: 'ERROR',
      object: {
        kind: 'Status',
        code: 410,
        reason: 'Expired',
        message: expect.stringMatching(/^too old resource version: 2 \(\d+\)$/),
      },
    });
    const token = Buffer.from(
      JSON.stringify({ v: 'meta.k8s.io/v1', rv: 2, start: 'default/a' }),
    ).toString('base64');
    const list = await call(
      'GET',
      `/api/v1/namespaces/default/configmaps?limit=1&continue=${token}`,
    );
    expect(list.code).toBe(410);
    expect(list.body).toMatchObject({
      reason: 'Expired',
      message: expect.stringContaining('The provided continue parameter is too old'),
    });
  });

  it('stores a CustomResourceDefinition and serves its resources', async () => {
    const ext = kc.makeApiClient(ApiextensionsV1Api);
    await ext.createCustomResourceDefinition({
      body: {
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: { name: 'widgets.example.com' },
        spec: {
          group: 'example.com',
          scope: 'Namespaced',
          names: { plural: 'widgets', singular: 'widget', kind: 'Widget', shortNames: ['wd'] },
          versions: [
            {
              name: 'v1',
              served: true,
              storage: true,
              schema: {
                openAPIV3Schema: {
                  type: 'object',
                  properties: {
                    spec: { type: 'object', properties: { size: { type: 'integer' } } },
                  },
                },
              },
            },
          ],
        },
      },
    });
    const discovery = (await call('GET', '/apis/example.com/v1')).body;
    expect(discovery.resources[0]).toMatchObject({
      name: 'widgets',
      kind: 'Widget',
      namespaced: true,
    });
    const custom = kc.makeApiClient(CustomObjectsApi);
    await custom.createNamespacedCustomObject({
      group: 'example.com',
      version: 'v1',
      namespace: 'default',
      plural: 'widgets',
      body: {
        apiVersion: 'example.com/v1',
        kind: 'Widget',
        metadata: { name: 'w1' },
        spec: { size: 3 },
      },
    });
    const list = (await custom.listNamespacedCustomObject({
      group: 'example.com',
      version: 'v1',
      namespace: 'default',
      plural: 'widgets',
    })) as { items: Array<{ spec: { size: number } }> };
    expect(list.items.map((w) => w.spec.size)).toEqual([3]);
    // Custom resources take JSON and merge patches only, as the real server says.
    const smp = await call(
      'PATCH',
      '/apis/example.com/v1/namespaces/default/widgets/w1',
      { spec: { size: 4 } },
      { 'Content-Type': 'application/strategic-merge-patch+json' },
    );
    expect(smp.body).toMatchObject({ code: 415, reason: 'UnsupportedMediaType' });
    const merge = await call(
      'PATCH',
      '/apis/example.com/v1/namespaces/default/widgets/w1',
      { spec: { size: 4 } },
      { 'Content-Type': 'application/merge-patch+json' },
    );
    expect(merge.body.spec.size).toBe(4);
  });

  it('answers Table output for kubectl get', async () => {
    const t = await call('GET', '/api/v1/nodes', undefined, {
      Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json',
    });
    expect(t.body.kind).toBe('Table');
    expect(
      t.body.columnDefinitions.map(
        (c: { name: string; priority: number }) => `${c.name}:${c.priority}`,
      ),
    ).toEqual([
      'Name:0',
      'Status:0',
      'Roles:0',
      'Age:0',
      'Version:0',
      'Internal-IP:1',
      'External-IP:1',
      'OS-Image:1',
      'Kernel-Version:1',
      'Container-Runtime:1',
    ]);
    expect(t.body.rows[0].cells.slice(0, 3)).toEqual([
      'k8s-api',
      'Ready',
      'control-plane,etcd,master',
    ]);
    expect(t.body.rows[0].object).toMatchObject({
      kind: 'PartialObjectMetadata',
      metadata: { name: 'k8s-api' },
    });
  });
});

it('keeps deployed objects across a restart with a state dir', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'kube-sim-state-'));
  try {
    const first = await startKubeApi({
      name: 'k8s-keep',
      host: '127.0.0.1',
      port: 0,
      readyDelayMs: 0,
      stateDir: dir,
    });
    const one = new KubeConfig();
    one.loadFromString(first.kubeconfig());
    const made = await one
      .makeApiClient(CoreV1Api)
      .createNamespacedConfigMap({ namespace: 'default', body: cm('kept') });
    await first.stop();
    const again = await startKubeApi({
      name: 'k8s-keep',
      host: '127.0.0.1',
      port: 0,
      readyDelayMs: 0,
      stateDir: dir,
    });
    const two = new KubeConfig();
    two.loadFromString(again.kubeconfig());
    const core = two.makeApiClient(CoreV1Api);
    const kept = await core.readNamespacedConfigMap({ namespace: 'default', name: 'kept' });
    expect(kept.metadata?.uid).toBe(made.metadata?.uid);
    // resourceVersions keep growing: clients holding an old one see a newer one, never a reuse.
    const next = await core.createNamespacedConfigMap({ namespace: 'default', body: cm('next') });
    expect(Number(next.metadata?.resourceVersion)).toBeGreaterThan(
      Number(made.metadata?.resourceVersion),
    );
    await again.stop();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
