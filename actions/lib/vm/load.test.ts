import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigurationError } from '../errors.js';
import { formatDiagnostic } from './diagnostics.js';
import { loadRepository, loadValidRepository } from './load.js';

const projectRoot = path.resolve(import.meta.dirname, '../../..');
const temps: string[] = [];
afterEach(async () => {
  await Promise.all(temps.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

/** A temporary repository holding exactly `files` (path → content). */
async function repo(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'vm-load-'));
  temps.push(dir);
  await mkdir(path.join(dir, 'vms'));
  for (const [rel, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await writeFile(path.join(dir, rel), text);
  }
  return dir;
}

const vm = (name: string, extra = '') => `name: ${name}\ntarget_node: pve1\n${extra}`;

async function lines(files: Record<string, string>): Promise<string[]> {
  return (await loadRepository(await repo(files))).diagnostics.map(formatDiagnostic);
}

describe('the example repository', () => {
  it('is valid and yields specs with every default applied', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'vm-examples-'));
    temps.push(dir);
    await cp(path.join(projectRoot, 'vms'), path.join(dir, 'vms'), { recursive: true });
    await cp(path.join(projectRoot, 'pve-gitops.yaml'), path.join(dir, 'pve-gitops.yaml'));
    const r = await loadRepository(dir);
    expect(r.diagnostics.map(formatDiagnostic)).toEqual([]);
    expect(r.vms.map((v) => v.name)).toEqual([
      'haproxy-prod',
      'k8s-observability',
      'k8s-observability-w1',
      'talos-prod-cp01',
      'talos-prod-w01',
    ]);
    const obs = r.vms.find((v) => v.name === 'k8s-observability')!;
    expect(obs).toMatchObject({
      file: 'vms/k8s-observability.yaml',
      node: 'pve1',
      sockets: 2,
      agent: true,
      staticIp: '192.168.1.50',
      tags: ['k8s', 'observability', 'pve-gitops'],
      k3s: { role: 'server' },
    });
    expect(obs.disks).toEqual([
      { slot: 'scsi0', size: '32G', sizeBytes: 32 * 1024 ** 3, storage: 'local-lvm' },
      {
        slot: 'scsi1',
        size: '100G',
        sizeBytes: 100 * 1024 ** 3,
        storage: 'local-lvm',
        mount: '/mnt/storage',
      },
    ]);
    const w1 = r.vms.find((v) => v.name === 'k8s-observability-w1')!;
    expect(w1.k3s).toEqual({ role: 'agent', join: 'k8s-observability' });
    const cp01 = r.vms.find((v) => v.name === 'talos-prod-cp01')!;
    expect(cp01).toMatchObject({
      cores: 2,
      sockets: 1,
      cpuType: 'host',
      template: 'ubuntu-24.04-cloudinit',
      ciuser: 'ubuntu',
      fullClone: true,
      onboot: true,
      state: 'running',
      protected: false,
      remediation: 'recreate',
    });
    expect(cp01.network).toEqual({ bridge: 'vmbr0', model: 'virtio', firewall: false });
  });

  it('point editors at the schemas in their first line', async () => {
    const files = (await readdir(path.join(projectRoot, 'vms'))).filter((f) => f.endsWith('.yaml'));
    expect(files).toHaveLength(5);
    for (const f of files) {
      const first = (await readFile(path.join(projectRoot, 'vms', f), 'utf8')).split('\n')[0];
      expect(`${f}: ${first}`).toBe(
        `${f}: # yaml-language-server: $schema=../schemas/vm.schema.json`,
      );
    }
    const config = await readFile(path.join(projectRoot, 'pve-gitops.yaml'), 'utf8');
    expect(config.split('\n')[0]).toBe(
      '# yaml-language-server: $schema=./schemas/config.schema.json',
    );
    // the relative paths resolve to the schemas themselves
    expect(
      JSON.parse(
        await readFile(path.join(projectRoot, 'vms', '../schemas/vm.schema.json'), 'utf8'),
      ),
    ).toHaveProperty('$schema', 'https://json-schema.org/draft/2020-12/schema');
    await expect(
      readFile(path.join(projectRoot, './schemas/config.schema.json'), 'utf8'),
    ).resolves.toContain('"$schema"');
  });
});

describe('loadRepository', () => {
  it('applies pve-gitops.yaml defaults and normalises tags, agent and MAC', async () => {
    const dir = await repo({
      'pve-gitops.yaml': 'defaults: {memory: 1024, storage: ceph, nameserver: 10.0.0.1}\n',
      'vms/a.yaml': vm(
        'a',
        'agent: 0\ntags: [Web, web, Alpha]\nnetwork: {mac: "bc:24:11:2e:c5:4a"}\ndisks: {virtio1: {size: 1T}, scsi10: {size: 512M}, scsi2: {size: 4K}}\nprotected: true\n',
      ),
    });
    const [a] = (await loadRepository(dir)).vms;
    expect(a).toMatchObject({
      memory: 1024,
      agent: false,
      nameserver: '10.0.0.1',
      tags: ['alpha', 'pve-gitops', 'web'],
      remediation: 'restart',
    });
    expect(a.network.mac).toBe('BC:24:11:2E:C5:4A');
    expect(a.disks.map((d) => `${d.slot}:${d.sizeBytes}:${d.storage}`)).toEqual([
      'scsi2:4096:ceph',
      'scsi10:536870912:ceph',
      `virtio1:${1024 ** 4}:ceph`,
    ]);
  });

  it('reports an unknown key with a suggestion and a wrong type, at their places', async () => {
    expect(await lines({ 'vms/b.yaml': vm('b', 'onboot: yes\n') })).toEqual([
      'vms/b.yaml:3:9: `onboot` must be true or false, not "yes" (YAML 1.2 reads yes/no/on/off as text: write true or false).',
    ]);
    expect(await lines({ 'vms/a.yaml': vm('a', 'corse: 2\nmemory: lots\n') })).toEqual([
      'vms/a.yaml:3:1: Unknown key `corse`; did you mean `cores`?',
      'vms/a.yaml:4:9: `memory` must be a whole number, not "lots".',
    ]);
  });

  it('refuses a name with / or .. and a name that is not its file name', async () => {
    expect(
      await lines({
        'vms/x.yaml': 'name: ../etc\ntarget_node: pve1\n',
        'vms/y.yaml': 'name: a/b\ntarget_node: pve1\n',
      }),
    ).toEqual([
      expect.stringMatching(
        /^vms\/x\.yaml:1:7: `name` must be an RFC 1123 label.*not "\.\.\/etc"\.$/,
      ),
      expect.stringMatching(/^vms\/y\.yaml:1:7: `name` must be an RFC 1123 label.*not "a\/b"\.$/),
    ]);
    expect(await lines({ 'vms/web.yaml': vm('db') })).toEqual([
      'vms/web.yaml:1:7: `name: db` does not match the file name web.yaml; rename the file to db.yaml or set `name: web`.',
    ]);
    expect(await lines({ 'vms/a.yaml': vm('a'.repeat(64)) })).toEqual([
      expect.stringMatching(
        /^vms\/a\.yaml:1:7: `name` must be at most 63 characters long, not 64\.$/,
      ),
    ]);
  });

  it('reports a list instead of a mapping and an empty file', async () => {
    expect(await lines({ 'vms/a.yaml': '- name: a\n', 'vms/b.yaml': '' })).toEqual([
      'vms/a.yaml:1:1: The file must be a mapping of settings (key: value), not a list.',
      'vms/b.yaml:1:1: This file is empty; it must be a mapping of settings such as `name: ...`.',
    ]);
  });

  it('checks ipconfig0: garbage and a gateway outside the subnet', async () => {
    expect(
      await lines({
        'vms/a.yaml': vm('a', 'ipconfig0: garbage\n'),
        'vms/b.yaml': vm('b', 'ipconfig0: ip=192.168.1.50/24,gw=192.168.2.1\n'),
      }),
    ).toEqual([
      'vms/a.yaml:3:12: `ipconfig0` has an unknown part `garbage`; use ip=<CIDR>|dhcp, gw=, ip6=auto|dhcp|<CIDR> and gw6=, separated by commas.',
      'vms/b.yaml:3:12: `ipconfig0` has gateway 192.168.2.1 outside the subnet of 192.168.1.50/24.',
    ]);
  });

  it('names both places when two files share a name, VMID, static IP or MAC', async () => {
    const r = await loadRepository(
      await repo({
        'vms/a.yaml': vm(
          'a',
          'vmid: 300\nipconfig0: ip=10.0.0.5/24\nnetwork: {mac: "02:00:00:00:00:01"}\n',
        ),
        'vms/b.yaml': vm(
          'b',
          'vmid: 300\nipconfig0: ip=10.0.0.5/24,gw=10.0.0.1\nnetwork: {mac: "02:00:00:00:00:01"}\n',
        ),
        'vms/c.yaml': vm('c'),
        'vms/c.yml': vm('c'),
      }),
    );
    expect(r.diagnostics.map(formatDiagnostic)).toEqual([
      'vms/a.yaml:3:7: VMID 300 is also used by vms/b.yaml:3; each VM needs its own.',
      'vms/a.yaml:4:12: Static IP 10.0.0.5 is also used by vms/b.yaml:4; each VM needs its own.',
      'vms/a.yaml:5:16: MAC address 02:00:00:00:00:01 is also used by vms/b.yaml:5; each VM needs its own.',
      'vms/b.yaml:3:7: VMID 300 is also used by vms/a.yaml:3; each VM needs its own.',
      'vms/b.yaml:4:12: Static IP 10.0.0.5 is also used by vms/a.yaml:4; each VM needs its own.',
      'vms/b.yaml:5:16: MAC address 02:00:00:00:00:01 is also used by vms/a.yaml:5; each VM needs its own.',
      'vms/c.yaml:1:7: Name c is also used by vms/c.yml:1; each VM needs its own.',
      'vms/c.yml:1:7: Name c is also used by vms/c.yaml:1; each VM needs its own.',
    ]);
    expect(r.vms).toEqual([]);
    expect(r.diagnostics.every((d) => d.vm && d.severity === 'error')).toBe(true);
  });

  it('still checks the name, duplicates and ipconfig0 of a file the schema refused', async () => {
    const r = await loadRepository(
      await repo({
        'vms/a.yaml': vm('a', 'vmid: 300\nipconfig0: ip=10.0.0.5/24\nmemroy: 1024\n'),
        'vms/b.yaml':
          'name: bee\ntarget_node: pve1\nvmid: 300\nipconfig0: ip=10.0.0.5/24,gw=10.0.9.1\ncores: many\n',
        'vms/c.yaml': vm('c', 'vmid: 301\n'),
      }),
    );
    expect(r.diagnostics.map(formatDiagnostic)).toEqual([
      'vms/a.yaml:3:7: VMID 300 is also used by vms/b.yaml:3; each VM needs its own.',
      'vms/a.yaml:5:1: Unknown key `memroy`; did you mean `memory`?',
      'vms/b.yaml:1:7: `name: bee` does not match the file name b.yaml; rename the file to bee.yaml or set `name: b`.',
      'vms/b.yaml:3:7: VMID 300 is also used by vms/a.yaml:3; each VM needs its own.',
      'vms/b.yaml:4:12: `ipconfig0` has gateway 10.0.9.1 outside the subnet of 10.0.0.5/24.',
      'vms/b.yaml:5:8: `cores` must be a whole number, not "many".',
    ]);
    // only the file without any error becomes a VM
    expect(r.vms.map((v) => v.name)).toEqual(['c']);
  });

  it('names both files when one sharing a static IP has an unknown key', async () => {
    expect(
      await lines({
        'vms/a.yaml': vm('a', 'ipconfig0: ip=10.0.0.5/24\ncolour: red\n'),
        'vms/b.yaml': vm('b', 'ipconfig0: ip=10.0.0.5/24,gw=10.0.0.1\n'),
      }),
    ).toEqual([
      'vms/a.yaml:3:12: Static IP 10.0.0.5 is also used by vms/b.yaml:3; each VM needs its own.',
      expect.stringMatching(/^vms\/a\.yaml:4:1: Unknown key `colour`/),
      'vms/b.yaml:3:12: Static IP 10.0.0.5 is also used by vms/a.yaml:3; each VM needs its own.',
    ]);
  });

  it('does not blame a k3s agent for a server file the schema refused', async () => {
    expect(
      await lines({
        'vms/k8s-a.yaml': vm('k8s-a', 'k3s: {role: server}\nextra: 1\n'),
        'vms/k8s-b.yaml': vm('k8s-b', 'k3s: {role: master}\n'),
        'vms/k8s-c.yaml': vm('k8s-c', 'k3s: {role: agent, join: k8s-a}\n'),
        'vms/k8s-d.yaml': vm('k8s-d', 'k3s: {role: agent, join: k8s-b}\n'),
      }),
    ).toEqual([
      expect.stringMatching(/^vms\/k8s-a\.yaml:4:1: Unknown key `extra`/),
      expect.stringMatching(/^vms\/k8s-b\.yaml:3:13: `k3s\.role` must be one of server, agent/),
    ]);
  });

  it('checks k3s joins', async () => {
    expect(
      await lines({
        'vms/k8s-a.yaml': vm('k8s-a', 'k3s: {role: server}\n'),
        'vms/k8s-b.yaml': vm('k8s-b', 'k3s: {role: agent, join: k8s-a}\n'),
        'vms/k8s-c.yaml': vm('k8s-c', 'k3s: {role: agent, join: k8s-aa}\n'),
        'vms/k8s-d.yaml': vm('k8s-d', 'k3s: {role: agent, join: k8s-b}\n'),
        'vms/k8s-e.yaml': vm('k8s-e', 'k3s: {role: agent}\n'),
        'vms/k8s-f.yaml': vm('k8s-f', 'k3s: {role: agent, join: "https://10.0.0.1:6443"}\n'),
        'vms/k8s-g.yaml': vm('k8s-g', 'k3s: {role: server, join: k8s-g}\n'),
      }),
    ).toEqual([
      'vms/k8s-c.yaml:3:26: `k3s.join` names k8s-aa, but there is no VM of that name in vms/; did you mean k8s-a?',
      'vms/k8s-d.yaml:3:26: `k3s.join` names k8s-b, which is not a k3s server (vms/k8s-b.yaml has no `k3s.role: server`).',
      'vms/k8s-e.yaml:3:6: `k3s.role: agent` needs `k3s.join`: the name of a server VM in vms/ or an https:// URL of a server.',
      'vms/k8s-g.yaml:3:27: `k3s.join` names this VM itself; a first server has no `join`.',
    ]);
  });

  it('checks playbooks against playbooks/ and names against the lists in pve-gitops.yaml', async () => {
    expect(
      await lines({
        'pve-gitops.yaml':
          'nodes: [{name: pve1}, {name: pve2}]\nbridges: [vmbr0]\nstorages: [local-lvm]\ntemplates: [ubuntu-24.04-cloudinit]\n',
        'playbooks/k8s.yml': '- hosts: all\n',
        'vms/a.yaml':
          'name: a\ntarget_node: pve3\nplaybook: k8s\nclone: debian\nnetwork: {bridge: vmbr1}\ndisks: {scsi0: {size: 8G, storage: local-zfs}}\n',
        'vms/b.yaml': vm('b', 'playbook: k9s\n'),
      }),
    ).toEqual([
      'vms/a.yaml:2:14: node `pve3` (target_node) is not in `nodes` of pve-gitops.yaml; did you mean pve1?',
      'vms/a.yaml:4:8: template `debian` (clone) is not in `templates` of pve-gitops.yaml; pve-gitops.yaml lists ubuntu-24.04-cloudinit.',
      'vms/a.yaml:5:19: bridge `vmbr1` (network.bridge) is not in `bridges` of pve-gitops.yaml; did you mean vmbr0?',
      'vms/a.yaml:6:36: storage `local-zfs` (disks.scsi0.storage) is not in `storages` of pve-gitops.yaml; did you mean local-lvm?',
      'vms/b.yaml:3:11: `playbook` k9s names no file playbooks/k9s.yml; did you mean k8s?',
    ]);
  });

  it('skips excluded files and files that are not YAML', async () => {
    const r = await loadRepository(
      await repo({
        'pve-gitops.yaml': "exclude: ['old-*.yaml']\n",
        'vms/a.yaml': vm('a'),
        'vms/old-b.yaml': 'this is: [not valid',
        'vms/README.md': '# notes',
      }),
    );
    expect(r.diagnostics).toEqual([]);
    expect(r.files).toEqual(['vms/a.yaml']);
  });

  it('refuses secrets and private keys without echoing them', async () => {
    const out = await lines({
      'vms/a.yaml': vm('a', 'cipassword: hunter2-secret\n'),
      'vms/b.yaml': vm(
        'b',
        'sshkeys: |\n  -----BEGIN OPENSSH PRIVATE KEY-----\n  b3BlbnNzaC1rZXktdjEAAAAA\n',
      ),
    });
    expect(out).toEqual([
      'vms/a.yaml:3:1: `cipassword` is not allowed: passwords never live in the repository; set CI_CLOUDINIT_PASSWORD in the environment.',
      expect.stringMatching(/^vms\/b\.yaml:3:10: `sshkeys` holds a private key;/),
    ]);
    expect(out.join('\n')).not.toMatch(/hunter2|b3BlbnNz/);
  });
});

describe('loadValidRepository', () => {
  it('throws one sentence with file:line:col when anything is invalid', async () => {
    const dir = await repo({
      'vms/a.yaml': vm('a', 'cores: 0\n'),
      'vms/b.yaml': vm('b', 'cores: 999\n'),
    });
    const err = await loadValidRepository(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigurationError);
    expect((err as Error).message).toBe(
      'vms/a.yaml:3:8: `cores` must be at least 1, not 0. 1 more problems: run pve-gitops validate to see them all.',
    );
  });

  it('throws when there is no vms/ folder', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'vm-empty-'));
    temps.push(dir);
    await expect(loadValidRepository(dir)).rejects.toThrow(/There is no vms\/ folder in /);
  });
});
