import { afterAll, beforeAll, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  entryOf,
  normaliseK3sKubeconfig,
  parseKubeconfig,
  type KubeconfigEntry,
} from '../actions/lib/kubeconfig/kubeconfig.js';
import { getKubeconfig } from '../actions/lib/kubeconfig/get.js';
import { waitForNodesReady } from '../actions/lib/kubeconfig/readiness.js';
import {
  publishKubeconfig,
  readStoredKubeconfig,
  type KubeconfigLocation,
} from '../actions/lib/kubeconfig/store.js';
import { VaultClient } from '../actions/lib/kubeconfig/vault-client.js';
import { memoryLogger } from '../actions/lib/log.js';
import { startKubeApi, type KubeApiSim } from '../sim/kube/index.js';
import { startVaultSim, type VaultSim } from '../sim/vault/index.js';

let vault: VaultSim;
let a: KubeApiSim;
let b: KubeApiSim;
const loc = (path: string): KubeconfigLocation => ({ mount: 'kv', path, key: 'KUBECONFIG' });

beforeAll(async () => {
  vault = await startVaultSim();
  [a, b] = await Promise.all([
    startKubeApi({ name: 'k8s-a', host: '127.0.0.1', port: 0, readyDelayMs: 300 }),
    startKubeApi({ name: 'k8s-b', host: '127.0.0.1', port: 0, readyDelayMs: 0 }),
  ]);
  a.registerNode({ name: 'k8s-a', role: 'server', ip: '127.0.0.1' });
  b.registerNode({ name: 'k8s-b', role: 'server', ip: '127.0.0.1' });
});
afterAll(async () => {
  await Promise.all([vault.stop(), a.stop(), b.stop()]);
});

const client = () => new VaultClient({ addr: vault.addr, token: vault.rootToken });
const entry = (sim: KubeApiSim, name: string): KubeconfigEntry =>
  normaliseK3sKubeconfig(sim.kubeconfig({ server: `https://127.0.0.1:${sim.port}` }), {
    name,
    address: '127.0.0.1',
    source: `k3s.yaml of ${name}`,
  });

it('normalises a k3s.yaml: names after the VM, 127.0.0.1 replaced by its address, port kept', () => {
  const e = normaliseK3sKubeconfig(a.kubeconfig({ server: 'https://127.0.0.1:6443' }), {
    name: 'k8s-a',
    address: '127.0.9.4',
    source: 'x',
  });
  expect(e.name).toBe('k8s-a');
  expect(e.cluster.server).toBe('https://127.0.9.4:6443');
  expect(e.user['client-key-data']).toBeTruthy();
});

it('publishes two clusters at once without losing either (check-and-set retry)', async () => {
  const l = loc('race/KUBECONFIG');
  const logs = [memoryLogger(), memoryLogger()];
  const vc = [client(), client()];
  // Both read version 0 before either writes: one must meet a conflict and merge again.
  const [ra, rb] = await Promise.all([
    publishKubeconfig({
      vault: vc[0],
      location: l,
      entries: [entry(a, 'k8s-a')],
      log: logs[0],
      sleep: async () => {},
    }),
    publishKubeconfig({
      vault: vc[1],
      location: l,
      entries: [entry(b, 'k8s-b')],
      log: logs[1],
      sleep: async () => {},
    }),
  ]);
  expect(ra.conflicts + rb.conflicts).toBeGreaterThanOrEqual(1);
  const stored = await readStoredKubeconfig(client(), l);
  expect(stored.config.contexts.map((c) => c.name).sort()).toEqual(['k8s-a', 'k8s-b']);
  expect(stored.version).toBe(2);
});

it('keeps an unrelated context and other keys; republishing replaces only that context', async () => {
  const l = loc('keep/KUBECONFIG');
  const other = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'prod',
        cluster: { server: 'https://prod.example:6443', 'certificate-authority-data': 'Q0E=' },
      },
    ],
    users: [{ name: 'prod', user: { token: 'prod-token-secret' } }],
    contexts: [{ name: 'prod', context: { cluster: 'prod', user: 'prod' } }],
    'current-context': 'prod',
  };
  await client().writeKv2('kv', l.path, { KUBECONFIG: JSON.stringify(other), OTHER: 'kept' }, 0);
  await publishKubeconfig({
    vault: client(),
    location: l,
    entries: [entry(a, 'k8s-a')],
    log: memoryLogger(),
  });
  const old = entry(b, 'k8s-a');
  await publishKubeconfig({ vault: client(), location: l, entries: [old], log: memoryLogger() });
  const secret = await client().readKv2('kv', l.path);
  expect(secret?.data.OTHER).toBe('kept');
  const cfg = parseKubeconfig(String(secret?.data.KUBECONFIG), 'x');
  expect(cfg['current-context']).toBe('prod');
  expect(cfg.contexts.map((c) => c.name)).toEqual(['prod', 'k8s-a']);
  expect(cfg.users.find((u) => u.name === 'prod')?.user.token).toBe('prod-token-secret');
  expect(entryOf(cfg, 'k8s-a')?.cluster.server).toBe(old.cluster.server);
  expect(entryOf(cfg, 'k8s-a')?.user).toEqual(old.user);
});

it('refuses to overwrite a broken kubeconfig in Vault and leaves it as it was', async () => {
  const l = loc('broken/KUBECONFIG');
  await client().writeKv2('kv', l.path, { KUBECONFIG: 'clusters: {not: a list}\n' }, 0);
  await expect(
    publishKubeconfig({
      vault: client(),
      location: l,
      entries: [entry(a, 'k8s-a')],
      log: memoryLogger(),
    }),
  ).rejects.toThrow(/not a valid kubeconfig: clusters is not a list; refusing to overwrite it/);
  const after = await client().readKv2('kv', l.path);
  expect(after).toEqual({ data: { KUBECONFIG: 'clusters: {not: a list}\n' }, version: 1 });
});

it('names a missing permission in one sentence without the token', async () => {
  vault.writePolicy('ro', 'path "kv/data/*" { capabilities = ["read"] }');
  const t = vault.createToken(['ro']);
  const err = await publishKubeconfig({
    vault: new VaultClient({ addr: vault.addr, token: t }),
    location: loc('ro/K'),
    entries: [entry(a, 'k8s-a')],
    log: memoryLogger(),
  }).then(
    () => 'published',
    (e: Error) => e.message,
  );
  expect(err).toContain('Vault denied the token permission to write kv/data/ro/K');
  expect(err).not.toContain(t);
});

it('writes after a deleted latest version with its number as cas', async () => {
  const l = loc('deleted/KUBECONFIG');
  await publishKubeconfig({
    vault: client(),
    location: l,
    entries: [entry(a, 'k8s-a')],
    log: memoryLogger(),
  });
  await fetch(`${vault.addr}/v1/kv/data/${l.path}`, {
    method: 'DELETE',
    headers: { 'X-Vault-Token': vault.rootToken },
  });
  const r = await publishKubeconfig({
    vault: client(),
    location: l,
    entries: [entry(b, 'k8s-b')],
    log: memoryLogger(),
  });
  expect(r).toMatchObject({ version: 2, contexts: ['k8s-b'], conflicts: 0 });
});

it('waits for the nodes to be Ready, then gets only the asked context', async () => {
  const log = memoryLogger();
  const e = entry(a, 'k8s-a');
  a.setReady('k8s-a', false);
  // The node turns Ready during the first wait, after a poll saw it NotReady (no race with a timer).
  let waits = 0;
  const sleep = (ms: number) => {
    if (waits++ === 0) a.setReady('k8s-a', true);
    return new Promise<void>((r) => setTimeout(r, ms));
  };
  await waitForNodesReady({
    entry: e,
    expect: ['k8s-a'],
    log,
    intervalMs: 50,
    timeoutMs: 10_000,
    sleep,
  });
  expect(waits).toBe(1);
  expect(log.lines.some((l) => l.includes('not Ready: k8s-a'))).toBe(true);
  a.setReady('k8s-a', false);
  await expect(
    waitForNodesReady({ entry: e, expect: ['k8s-a'], log, intervalMs: 50, timeoutMs: 200 }),
  ).rejects.toThrow(/was not Ready after/);
  a.setReady('k8s-a', true);
  const { text } = await getKubeconfig({
    vault: client(),
    location: loc('race/KUBECONFIG'),
    contexts: ['k8s-b'],
  });
  const doc = parse(text) as {
    contexts: Array<{ name: string }>;
    clusters: unknown[];
    users: unknown[];
  };
  expect(doc.contexts.map((c) => c.name)).toEqual(['k8s-b']);
  expect(doc.clusters).toHaveLength(1);
  expect(doc.users).toHaveLength(1);
  await expect(
    getKubeconfig({ vault: client(), location: loc('race/KUBECONFIG'), contexts: ['nope'] }),
  ).rejects.toThrow(
    /^There is no context 'nope' in Vault kv\/race\/KUBECONFIG \(key KUBECONFIG\) \(contexts: k8s-[ab], k8s-[ab]\)\.$/,
  );
});
