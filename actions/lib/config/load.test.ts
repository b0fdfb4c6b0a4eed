import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, loadConfig, mergeConfig } from './load.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'config-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('loadConfig', () => {
  it('gives every default without a file', async () => {
    const { config, diagnostics, file } = await loadConfig(dir);
    expect(diagnostics).toEqual([]);
    expect(file).toBeUndefined();
    expect(config).toEqual(DEFAULT_CONFIG);
    expect(config.defaults).toMatchObject({
      storage: 'local-lvm',
      bridge: 'vmbr0',
      template: 'ubuntu-24.04-cloudinit',
      ciuser: 'ubuntu',
      cores: 2,
      sockets: 1,
      memory: 2048,
      cpu_type: 'host',
    });
    expect(config.inventory.groups.map((g) => `${g.match}>${g.group}`)).toEqual([
      'haproxy-*>haproxy',
      'talos-*-cp*>talos_control_plane',
      'talos-*-w*>talos_workers',
      'k8s-*>k3s',
    ]);
    expect(config.vault).toEqual({
      mount: 'kv',
      path: 'cluster-secret-store/secrets/KUBECONFIG',
      key: 'KUBECONFIG',
    });
    expect(config.concurrency).toEqual({ per_node: 2, per_storage: 1, total: 8 });
    expect(config.health).toEqual({
      boot_grace_seconds: 300,
      agent_timeout_seconds: 120,
      max_recreate: 1,
      max_unhealthy_percent: 40,
    });
    expect(config.prune.enabled).toBe(false);
    expect(config.k3s.installer_url).toBe('https://get.k3s.io');
  });

  it('merges a partial file over the defaults, key by key', async () => {
    await writeFile(
      path.join(dir, 'pve-gitops.yaml'),
      'defaults:\n  memory: 4096\nnodes:\n  - name: pve1\nconcurrency: {total: 3}\n',
    );
    const { config, diagnostics } = await loadConfig(dir);
    expect(diagnostics).toEqual([]);
    expect(config.defaults.memory).toBe(4096);
    expect(config.defaults.cores).toBe(2);
    expect(config.nodes).toEqual([{ name: 'pve1', memory_overcommit: 1, cpu_overcommit: 4 }]);
    expect(config.concurrency).toEqual({ per_node: 2, per_storage: 1, total: 3 });
  });

  it('treats a comments-only file as all defaults', async () => {
    await writeFile(path.join(dir, 'pve-gitops.yaml'), '# nothing yet\n');
    expect((await loadConfig(dir)).config).toEqual(DEFAULT_CONFIG);
  });

  it('reports unknown keys and wrong types at their place and falls back to defaults', async () => {
    await writeFile(
      path.join(dir, 'pve-gitops.yaml'),
      'defaults:\n  memroy: 4096\nconcurrency:\n  total: many\n',
    );
    const { config, diagnostics } = await loadConfig(dir);
    expect(config).toEqual(DEFAULT_CONFIG);
    expect(diagnostics.map((d) => `${d.file}:${d.line}:${d.col}: ${d.message}`)).toEqual([
      'pve-gitops.yaml:2:3: Unknown key `memroy` in `defaults`; did you mean `memory`?',
      'pve-gitops.yaml:4:10: `concurrency.total` must be a whole number, not "many".',
    ]);
  });

  it('requires the defaults to be allowed by the lists', async () => {
    await writeFile(
      path.join(dir, 'pve-gitops.yaml'),
      'storages: [ceph]\nnodes: [{name: a}, {name: a}]\n',
    );
    const { diagnostics } = await loadConfig(dir);
    expect(diagnostics.map((d) => `${d.line}:${d.col}: ${d.message}`)).toEqual([
      '1:1: defaults.storage local-lvm (the built-in default) is not in `storages`; add it there or change defaults.storage.',
      '2:27: Node a is listed twice in `nodes`.',
    ]);
  });

  it('never lets a merge change DEFAULT_CONFIG', () => {
    const merged = mergeConfig({});
    merged.inventory.groups.push({ match: 'x', group: 'y' });
    expect(DEFAULT_CONFIG.inventory.groups).toHaveLength(4);
  });
});
