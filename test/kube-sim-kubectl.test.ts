import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubeApi, type KubeApiSim } from '../sim/kube/index.js';
import { run } from './kube-helpers.js';

// Debian's kubectl (kubernetes-client, 1.20) at /usr/bin/kubectl; KUBECTL names another one.
const KUBECTL = process.env.KUBECTL ?? '/usr/bin/kubectl';
const dir = mkdtempSync(path.join(tmpdir(), 'kube-sim-kubectl-'));
const kubeconfig = path.join(dir, 'kubeconfig');
const manifest = readFileSync('demo/k8s/hello.yaml', 'utf8');
let k: KubeApiSim;

// HOME in the temp dir: kubectl keeps its discovery cache there, not in the user's home.
const env = () => ({ PATH: process.env.PATH, HOME: dir, KUBECONFIG: kubeconfig, LANG: 'C.UTF-8' });
const kubectl = (...args: string[]) => run(KUBECTL, args, env());
const file = (name: string, text: string) => {
  writeFileSync(path.join(dir, name), text);
  return path.join(dir, name);
};

beforeAll(async () => {
  k = await startKubeApi({ name: 'k8s-ctl', port: 0, readyDelayMs: 0 });
  k.registerNode({ name: 'k8s-ctl', role: 'server', ip: '127.0.0.1', clusterInit: true });
  k.registerNode({ name: 'k8s-ctl-w1', role: 'agent', ip: '127.0.0.2' });
  k.registerNode({ name: 'k8s-ctl-w2', role: 'agent', ip: '127.0.0.3' });
  writeFileSync(kubeconfig, k.kubeconfig(), { mode: 0o600 });
});
afterAll(async () => {
  await k.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('kubectl against the simulated k3s cluster', () => {
  it('prints the server-side columns of get nodes -o wide (Table output)', async () => {
    const r = await kubectl('get', 'nodes', '-o', 'wide');
    expect(r.stderr).toBe('');
    const lines = r.stdout.trim().split('\n');
    expect(lines[0].split(/\s{2,}/)).toEqual([
      'NAME',
      'STATUS',
      'ROLES',
      'AGE',
      'VERSION',
      'INTERNAL-IP',
      'EXTERNAL-IP',
      'OS-IMAGE',
      'KERNEL-VERSION',
      'CONTAINER-RUNTIME',
    ]);
    // k3s labels its first server control-plane, etcd (embedded etcd) and master.
    expect(lines[1]).toMatch(
      /^k8s-ctl\s+Ready\s+control-plane,etcd,master\s+\S+\s+v1\.31\.4\+k3s1\s+127\.0\.0\.1\s+<none>/,
    );
    expect(lines[3]).toMatch(
      /^k8s-ctl-w2\s+Ready\s+<none>\s+\S+\s+v1\.31\.4\+k3s1\s+127\.0\.0\.3\s/,
    );
  });

  it('waits for Ready on the node it names, not on another one', async () => {
    k.setReady('k8s-ctl-w2', false);
    const r = await kubectl('wait', '--for=condition=Ready', 'node/k8s-ctl-w2', '--timeout=2s');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('timed out waiting for the condition on nodes/k8s-ctl-w2');
    const waiting = kubectl('wait', '--for=condition=Ready', 'node/k8s-ctl-w2', '--timeout=30s');
    setTimeout(() => k.setReady('k8s-ctl-w2', true), 500);
    const ok = await waiting;
    expect(ok.stdout.trim()).toBe('node/k8s-ctl-w2 condition met');
    expect(ok.code).toBe(0);
  });

  it('shows where the API runs (cluster-info reads the kubernetes and kube-dns services)', async () => {
    const r = await kubectl('cluster-info');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /Kubernetes (control plane|master).* is running at .*https:\/\/127\.0\.0\.1:\d+/,
    );
    expect(r.stdout).toMatch(
      /CoreDNS.* is running at .*\/api\/v1\/namespaces\/kube-system\/services\/kube-dns:dns\/proxy/,
    );
  });

  it('refuses a manifest with an unknown field (validation against /openapi/v2), creating nothing', async () => {
    const bad = file('bad.yaml', manifest.replace('replicas: 2', 'replicas: 2\n  replicass: 3'));
    const r = await kubectl('apply', '-f', bad);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('unknown field "replicass"');
    expect((await kubectl('get', 'deployments', '-o', 'name')).stdout).toBe('');
  });

  it('applies a Deployment and a Service, rolls out, and runs the pods on the nodes', async () => {
    const f = file('hello.yaml', manifest);
    const r = await kubectl('apply', '-f', f);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('deployment.apps/hello created\nservice/hello created\n');
    const rollout = await kubectl('rollout', 'status', 'deployment/hello', '--timeout=30s');
    expect(rollout.stdout).toContain('deployment "hello" successfully rolled out');
    const pods = await kubectl('get', 'pods', '-o', 'wide', '-l', 'app=hello');
    const rows = pods.stdout.trim().split('\n').slice(1);
    expect(rows).toHaveLength(2);
    for (const row of rows)
      expect(row).toMatch(
        /^hello-\w+-\w{5}\s+1\/1\s+Running\s+0\s+\S+\s+10\.42\.\d+\.\d+\s+k8s-ctl(-w\d)?\s/,
      );
    const svc = await kubectl('get', 'service', 'hello');
    expect(svc.stdout).toMatch(/hello\s+ClusterIP\s+10\.43\.\d+\.\d+\s+<none>\s+80\/TCP/);
    // Applying the same file again changes nothing; a new image rolls out a new ReplicaSet.
    expect((await kubectl('apply', '-f', f)).stdout).toBe(
      'deployment.apps/hello unchanged\nservice/hello unchanged\n',
    );
    const v2 = file('hello-v2.yaml', manifest.replace('nginx:1.27', 'nginx:1.28'));
    expect((await kubectl('apply', '-f', v2)).stdout).toContain('deployment.apps/hello configured');
    expect(
      (await kubectl('rollout', 'status', 'deployment/hello', '--timeout=30s')).stdout,
    ).toContain('successfully rolled out');
    const images = await kubectl(
      'get',
      'pods',
      '-l',
      'app=hello',
      '-o',
      'jsonpath={.items[*].spec.containers[0].image}',
    );
    expect(images.stdout.split(' ')).toEqual(['nginx:1.28', 'nginx:1.28']);
    const rs = await kubectl(
      'get',
      'replicasets',
      '-l',
      'app=hello',
      '-o',
      'jsonpath={.items[*].spec.replicas}',
    );
    expect(rs.stdout.split(' ').sort()).toEqual(['0', '2']);
  });

  it('diffs and dry-runs on the server without changing anything', async () => {
    const v3 = file(
      'hello-v3.yaml',
      manifest.replace('nginx:1.27', 'nginx:1.28').replace('replicas: 2', 'replicas: 4'),
    );
    // kubectl diff exits 1 when there are differences (kubectl diff --help).
    const diff = await kubectl('diff', '-f', v3);
    expect(diff.code).toBe(1);
    expect(diff.stdout).toMatch(/^- {2}replicas: 2$/m);
    expect(diff.stdout).toMatch(/^\+ {2}replicas: 4$/m);
    const dry = await kubectl('apply', '-f', v3, '--dry-run=server');
    expect(dry.stdout).toContain('deployment.apps/hello configured (server dry run)');
    expect(
      (await kubectl('get', 'deployment', 'hello', '-o', 'jsonpath={.spec.replicas}')).stdout,
    ).toBe('2');
  });

  it('rolls back to the first ReplicaSet, which becomes revision 3', async () => {
    expect((await kubectl('rollout', 'undo', 'deployment/hello')).stdout).toBe(
      'deployment.apps/hello rolled back\n',
    );
    expect(
      (await kubectl('rollout', 'status', 'deployment/hello', '--timeout=30s')).stdout,
    ).toContain('successfully rolled out');
    const rs = await kubectl(
      'get',
      'replicasets',
      '-l',
      'app=hello',
      '-o',
      'jsonpath={range .items[*]}{.spec.template.spec.containers[0].image}={.spec.replicas}@{.metadata.annotations.deployment\\.kubernetes\\.io/revision} {end}',
    );
    expect(rs.stdout.trim().split(' ').sort()).toEqual(['nginx:1.27=2@3', 'nginx:1.28=0@2']);
  });

  it('watches pods (get --watch) and sees a scaled-up pod arrive', async () => {
    const child = spawn(
      KUBECTL,
      ['get', 'pods', '-l', 'app=hello', '--watch', '--output-watch-events'],
      { env: env() },
    );
    let out = '';
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const seen = (re: RegExp) =>
      new Promise<void>((resolve, reject) => {
        const look = () => (re.test(out) ? resolve() : undefined);
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          look();
        });
        child.once('exit', () => reject(new Error(`kubectl get --watch ended: ${err}\n${out}`)));
        look();
      });
    await seen(/ADDED\s+hello-\S+\s+1\/1\s+Running/);
    const before = new Set(out.match(/hello-\w+-\w{5}/g));
    expect((await kubectl('scale', 'deployment/hello', '--replicas=3')).stdout).toContain('scaled');
    await seen(/ADDED\s+hello-\w+-\w{5}\s+0\/1\s+Pending[\s\S]*MODIFIED/);
    child.kill();
    const after = new Set(out.match(/hello-\w+-\w{5}/g));
    expect(after.size).toBe(before.size + 1);
    expect(err).toBe('');
  });

  it('deletes the Deployment and its ReplicaSets and pods with it (garbage collection)', async () => {
    const r = await kubectl('delete', 'deployment', 'hello');
    expect(r.stdout).toBe('deployment.apps "hello" deleted\n');
    // Background propagation: the garbage collector removes them soon after, as in a real cluster.
    for (
      let i = 0;
      i < 100 && (await kubectl('get', 'pods', '-l', 'app=hello', '-o', 'name')).stdout;
      i++
    )
      await new Promise((r) => setTimeout(r, 100));
    const left = await kubectl('get', 'pods,replicasets', '-l', 'app=hello');
    expect(left.stdout).toBe('');
    expect(left.stderr).toContain('No resources found in default namespace.');
    const missing = await kubectl('get', 'deployment', 'hello');
    expect(missing.stderr).toBe(
      'Error from server (NotFound): deployments.apps "hello" not found\n',
    );
  });

  it('serves a CRD: established, printer columns, schema validation, gone with its objects', async () => {
    const crd = file(
      'crd.yaml',
      [
        'apiVersion: apiextensions.k8s.io/v1',
        'kind: CustomResourceDefinition',
        'metadata: {name: widgets.example.com}',
        'spec:',
        '  group: example.com',
        '  scope: Namespaced',
        '  names: {plural: widgets, singular: widget, kind: Widget, shortNames: [wd]}',
        '  versions:',
        '    - name: v1',
        '      served: true',
        '      storage: true',
        '      schema:',
        '        openAPIV3Schema:',
        '          type: object',
        '          properties:',
        '            spec: {type: object, properties: {size: {type: integer}}}',
        '      additionalPrinterColumns: [{name: Size, type: integer, jsonPath: .spec.size}]',
        '',
      ].join('\n'),
    );
    expect((await kubectl('apply', '-f', crd)).stdout).toContain('widgets.example.com created');
    const est = await kubectl(
      'wait',
      '--for=condition=established',
      'crd/widgets.example.com',
      '--timeout=20s',
    );
    expect(est.stdout).toBe(
      'customresourcedefinition.apiextensions.k8s.io/widgets.example.com condition met\n',
    );
    const cr = (size: string) =>
      `apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w1}\nspec: {size: ${size}}\n`;
    expect((await kubectl('apply', '-f', file('w1.yaml', cr('3')))).stdout).toBe(
      'widget.example.com/w1 created\n',
    );
    expect((await kubectl('get', 'wd')).stdout).toMatch(/^NAME\s+SIZE\s+AGE\nw1\s+3\s+\S+\n$/);
    const bad = await kubectl('apply', '-f', file('w1-bad.yaml', cr('"three"')));
    expect(bad.stderr).toContain(
      'invalid type for com.example.v1.Widget.spec.size: got "string", expected "integer"',
    );
    await kubectl('delete', '-f', crd);
    expect(
      (await kubectl('get', '--raw', '/apis/example.com/v1/namespaces/default/widgets')).stderr,
    ).toContain('NotFound');
    // Created again, the CRD starts empty: its objects went with it.
    await kubectl('apply', '-f', crd);
    await kubectl(
      'wait',
      '--for=condition=established',
      'crd/widgets.example.com',
      '--timeout=20s',
    );
    expect(
      (await kubectl('get', '--raw', '/apis/example.com/v1/namespaces/default/widgets')).stdout,
    ).toContain('"items":[]');
  });

  it('treats the kubeconfig user as cluster-admin (auth can-i)', async () => {
    const r = await kubectl('auth', 'can-i', '*', '*', '--all-namespaces');
    expect(r.stdout).toBe('yes\n');
  });

  it('empties and removes a deleted namespace', async () => {
    await kubectl('create', 'namespace', 'team');
    expect(
      (await kubectl('-n', 'team', 'create', 'configmap', 'x', '--from-literal=a=b')).stdout,
    ).toBe('configmap/x created\n');
    // Each new namespace gets its default ServiceAccount, as from the real controllers.
    expect((await kubectl('-n', 'team', 'get', 'serviceaccounts', '-o', 'name')).stdout).toBe(
      'serviceaccount/default\n',
    );
    const r = await kubectl('delete', 'namespace', 'team');
    expect(r.stdout).toBe('namespace "team" deleted\n');
    expect((await kubectl('get', 'namespace', 'team')).stderr).toContain(
      'namespaces "team" not found',
    );
    expect((await kubectl('-n', 'team', 'get', 'configmaps', '-o', 'name')).stdout).toBe('');
  });

  it('answers an unknown token with 401 Unauthorized', async () => {
    const bad = k.kubeconfig({ auth: 'token' }).replace(k.bearerToken, 'not-the-token');
    writeFileSync(path.join(dir, 'bad-kubeconfig'), bad, { mode: 0o600 });
    const r = await run(KUBECTL, ['get', 'nodes'], {
      ...env(),
      KUBECONFIG: path.join(dir, 'bad-kubeconfig'),
    });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('error: You must be logged in to the server (Unauthorized)');
  });
});
