import { mkdtemp, readFile, rm, stat, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigurationError } from '../actions/lib/errors.js';
import { memoryLogger } from '../actions/lib/log.js';
import { knownAddresses, parseHostList } from '../actions/lib/inventory/addresses.js';
import { ruleGroup, DEFAULT_GROUP_RULES } from '../actions/lib/inventory/groups.js';
import { renderInventory } from '../actions/lib/inventory/render.js';
import {
  INVENTORY_FILE,
  NEW_HOSTS_FILE,
  updateInventory,
} from '../actions/lib/inventory/update.js';
import { ansibleInventory, inventoryConfig, vm } from './inventory-helpers.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'pve-gitops-inv-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const fleet = () => [
  vm('k8s-w1', { k3s: { role: 'agent', join: 'k8s-cp1' }, ciuser: 'debian' }),
  vm('k8s-cp1', {
    staticIp: '192.0.2.10',
    k3s: { role: 'server' },
    disks: [
      { slot: 'scsi0', sizeBytes: 1, size: '32G', storage: 'local-lvm' },
      { slot: 'scsi1', sizeBytes: 1, size: '100G', storage: 'local-lvm', mount: '/var/lib/data' },
    ],
  }),
  vm('haproxy-1', { staticIp: '192.0.2.2' }),
  vm('talos-a-cp1', { staticIp: '192.0.2.20' }),
  vm('talos-a-w1', { staticIp: '192.0.2.21' }),
  vm('k8s-w2', { k3s: { role: 'agent', join: 'https://k3s.example.test:6443' } }),
  vm('misc'),
];

async function parse(ini: string) {
  const file = path.join(dir, 'k8s.ini');
  await writeFile(file, ini);
  return ansibleInventory(file);
}

describe('group rules', () => {
  it('use glob semantics where * matches any run of characters and the whole name must match', () => {
    const rules = [
      { match: 'vm?', group: 'literal_question_mark' },
      { match: 'k8s-*', group: 'k3s' },
    ];
    expect(ruleGroup(rules, 'k8s-a/b')).toBe('k3s');
    expect(ruleGroup(rules, 'xk8s-foo')).toBeUndefined();
    expect(ruleGroup(rules, 'vm1')).toBeUndefined();
    expect(ruleGroup(rules, 'vm?')).toBe('literal_question_mark');
    expect(ruleGroup(DEFAULT_GROUP_RULES, 'talos-a-cp1')).toBe('talos_control_plane');
    expect(ruleGroup(DEFAULT_GROUP_RULES, 'talos-cp1')).toBeUndefined();
    expect(ruleGroup(DEFAULT_GROUP_RULES, 'talos-x-w3')).toBe('talos_workers');
    expect(ruleGroup(DEFAULT_GROUP_RULES, 'web-1')).toBeUndefined();
  });

  it('let the first matching configured rule win', async () => {
    const r = renderInventory({
      vms: [vm('k8s-edge', { staticIp: '192.0.2.5' }), vm('k8s-x', { staticIp: '192.0.2.6' })],
      config: inventoryConfig({
        groups: [
          { match: 'k8s-edge', group: 'edge' },
          { match: 'k8s-*', group: 'kube' },
        ],
      }),
      addresses: [],
    });
    const inv = await parse(r.ini);
    expect(inv.groups.edge).toEqual(['k8s-edge']);
    expect(inv.groups.kube).toEqual(['k8s-x']);
    expect(inv.groups.k3s).toBeUndefined();
  });
});

describe('renderInventory, read back with the real ansible-inventory', () => {
  it('puts hosts in rule groups and k3s role groups with their variables', async () => {
    const r = renderInventory({
      vms: fleet(),
      config: inventoryConfig({
        vars: { k3s_version: 'v1.30.0+k3s1', cluster_domain: 'lab.test' },
        static_hosts: [
          { name: 'nas', ip: '192.0.2.250', groups: ['storage', 'haproxy'], user: 'admin' },
        ],
      }),
      addresses: [{ name: 'k8s-w1', ip: '192.0.2.11', new: true }],
    });
    const inv = await parse(r.ini);
    expect(inv.groups).toEqual({
      haproxy: ['haproxy-1', 'nas'],
      k3s: ['k8s-cp1', 'k8s-w1'],
      k3s_agent: ['k8s-w1'],
      k3s_server: ['k8s-cp1'],
      storage: ['nas'],
      talos_control_plane: ['talos-a-cp1'],
      talos_workers: ['talos-a-w1'],
    });
    expect(Object.keys(inv.hostvars).sort()).toEqual([
      'haproxy-1',
      'k8s-cp1',
      'k8s-w1',
      'nas',
      'talos-a-cp1',
      'talos-a-w1',
    ]);
    expect(inv.hostvars['k8s-w1']).toMatchObject({
      ansible_host: '192.0.2.11',
      ansible_user: 'debian',
      k3s_join: 'k8s-cp1',
      k3s_version: 'v1.30.0+k3s1',
      k3s_installer_url: 'https://get.k3s.io',
      cluster_domain: 'lab.test',
    });
    expect(inv.hostvars['k8s-cp1']).toMatchObject({
      ansible_host: '192.0.2.10',
      k3s_cluster_init: 'true',
      pve_gitops_mounts: 'scsi1:/var/lib/data',
    });
    expect(inv.hostvars.nas).toMatchObject({ ansible_host: '192.0.2.250', ansible_user: 'admin' });
    expect(r.newHosts).toBe('192.0.2.11,k8s-w1\n');
  });

  it('lists a VM without a known address as a comment with the reason, never as a host', async () => {
    const r = renderInventory({ vms: fleet(), config: inventoryConfig(), addresses: [] });
    expect(r.ini).toMatch(/^# k8s-w2: no address known \(.+\)$/m);
    expect(r.ini).toMatch(/^# misc: no address known/m);
    expect(r.warnings.some((w) => w.startsWith('k8s-w2 is commented out'))).toBe(true);
    const inv = await parse(r.ini);
    expect(inv.hostvars['k8s-w2']).toBeUndefined();
    expect(inv.hostvars.misc).toBeUndefined();
    expect(inv.groups.k3s_agent).toBeUndefined();
  });

  it('is deterministic whatever the input order', () => {
    const config = inventoryConfig({ vars: { b: '2', a: '1' } });
    const addresses = [
      { name: 'k8s-w2', ip: '192.0.2.12', new: true },
      { name: 'k8s-w1', ip: '192.0.2.11', new: true },
    ];
    const a = renderInventory({ vms: fleet(), config, addresses });
    const b = renderInventory({
      vms: fleet().reverse(),
      config,
      addresses: [...addresses].reverse(),
    });
    expect(b.ini).toBe(a.ini);
    expect(b.newHosts).toBe('192.0.2.11,k8s-w1\n192.0.2.12,k8s-w2\n');
    expect(a.ini.indexOf('\na=1\n')).toBeLessThan(a.ini.indexOf('\nb=2\n'));
  });

  it('refuses values that would break the file, naming where they come from', () => {
    const render = (v: ReturnType<typeof vm>) =>
      renderInventory({ vms: [v], config: inventoryConfig(), addresses: [] });
    expect(() => render(vm('k8s-a', { ciuser: 'a b' }))).toThrow(/vms\/k8s-a\.yaml: ciuser/);
    expect(() =>
      render(
        vm('k8s-a', {
          disks: [{ slot: 'scsi1', sizeBytes: 1, size: '1G', storage: 's', mount: '/x y' }],
        }),
      ),
    ).toThrow(ConfigurationError);
    expect(() =>
      renderInventory({
        vms: [vm('nas')],
        config: inventoryConfig({ static_hosts: [{ name: 'nas', ip: '192.0.2.1', groups: [] }] }),
        addresses: [],
      }),
    ).toThrow(/static_hosts 'nas'/);
    expect(() =>
      renderInventory({
        vms: [],
        config: inventoryConfig({ vars: { 'bad-key': 'x' } }),
        addresses: [],
      }),
    ).toThrow(/inventory.vars key `bad-key`/);
  });
});

describe('updateInventory', () => {
  it('keeps addresses the previous file knew, rewrites only on change, and checks', async () => {
    const log = memoryLogger();
    const vms = fleet();
    const config = inventoryConfig();
    const first = await updateInventory({
      repoDir: dir,
      vms,
      config,
      newHosts: [{ name: 'k8s-w1', ip: '192.0.2.11', new: true }],
      log,
    });
    expect(first.changed).toEqual([INVENTORY_FILE, NEW_HOSTS_FILE]);
    expect(await readFile(path.join(dir, NEW_HOSTS_FILE), 'utf8')).toBe('192.0.2.11,k8s-w1\n');
    expect(log.lines.some((l) => l.includes('misc is commented out'))).toBe(true);

    // A later run without a cluster still knows k8s-w1's DHCP address from the file.
    const ini = path.join(dir, INVENTORY_FILE);
    const before = (await stat(ini)).mtimeMs;
    await new Promise((r) => setTimeout(r, 20));
    const again = await updateInventory({ repoDir: dir, vms, config });
    expect(again.changed).toEqual([]);
    expect((await stat(ini)).mtimeMs).toBe(before);
    expect(knownAddresses(await readFile(ini, 'utf8'))).toContainEqual({
      name: 'k8s-w1',
      ip: '192.0.2.11',
      new: false,
    });
    expect(await updateInventory({ repoDir: dir, vms, config, check: true })).toMatchObject({
      changed: [],
    });

    // A new VM makes the file stale: check reports it and writes nothing.
    const more = [...vms, vm('haproxy-2', { staticIp: '192.0.2.3' })];
    const stale = await updateInventory({ repoDir: dir, vms: more, config, check: true });
    expect(stale.changed).toEqual([INVENTORY_FILE]);
    expect(await readFile(ini, 'utf8')).not.toContain('haproxy-2');
    const written = await updateInventory({ repoDir: dir, vms: more, config, newHosts: [] });
    expect(written.changed).toEqual([INVENTORY_FILE, NEW_HOSTS_FILE]);
    expect(await readFile(path.join(dir, NEW_HOSTS_FILE), 'utf8')).toBe('');
    expect((await parse(await readFile(ini, 'utf8'))).groups.haproxy).toEqual([
      'haproxy-1',
      'haproxy-2',
    ]);
  });

  it('reports a missing file as out of date', async () => {
    await mkdir(path.join(dir, 'inventory'));
    const r = await updateInventory({
      repoDir: dir,
      vms: [],
      config: inventoryConfig(),
      check: true,
    });
    expect(r.changed).toEqual([INVENTORY_FILE]);
  });
});

describe('parseHostList', () => {
  it('reads the IP,name form and the JSON form, setting aside hosts without an address', () => {
    expect(parseHostList('192.0.2.1,k8s-a\n\n192.0.2.2,k8s-b\n', 'x').hosts).toEqual([
      { ip: '192.0.2.1', name: 'k8s-a', new: true },
      { ip: '192.0.2.2', name: 'k8s-b', new: true },
    ]);
    const json = parseHostList(
      JSON.stringify([
        { name: 'k8s-a', address: '192.0.2.1' },
        { name: 'k8s-b', ip: null },
      ]),
      'apply output',
    );
    expect(json).toEqual({
      hosts: [{ name: 'k8s-a', ip: '192.0.2.1', new: true }],
      withoutAddress: ['k8s-b'],
    });
    expect(() => parseHostList('192.0.2.1,k8s-a;rm -rf /', 'new-hosts')).toThrow(/new-hosts:1/);
    expect(parseHostList('  ', 'x').hosts).toEqual([]);
  });

  it('reads the whole output of apply --json through its newHosts, and says when it has none', () => {
    const applied = JSON.stringify({
      message: 'Applied: 1 to create',
      newHosts: [{ name: 'k8s-a', vmid: 100, node: 'pve1', ip: '192.0.2.1', new: true }],
    });
    expect(parseHostList(applied, 'apply.json').hosts).toEqual([
      { name: 'k8s-a', ip: '192.0.2.1', new: true },
    ]);
    expect(() => parseHostList('{"plan": {}}', 'apply.json')).toThrow(
      'apply.json has no newHosts list (pve-gitops apply --json).',
    );
  });
});
