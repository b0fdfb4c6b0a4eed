// One door (issue 12): the checks validate makes are the ones the later steps make. Each later
// step (inventory rendering, the Vault location) is fed the values validate refuses and must
// refuse them with the same phrase.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mergeConfig } from '../config/load.js';
import { renderInventory } from '../inventory/render.js';
import { locationOf } from '../kubeconfig/vault-env.js';
import { groupNameProblem, hostNameProblem, inventoryValueProblem } from './ansible-names.js';
import { loadRepository } from './load.js';
import { mountPointProblem, vaultSegmentsProblem } from './paths.js';
import { escapeInvisible } from './show-value.js';
import { toVmSpec } from './normalize.js';

const work = mkdtempSync(path.join(tmpdir(), 'door-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the shared checks', () => {
  it('mount points: absolute, normalised, never a system directory', () => {
    for (const ok of ['/mnt/data', '/var/lib/longhorn', '/srv/nfs', '/data', '/home/backup'])
      expect(mountPointProblem(ok), ok).toBeUndefined();
    for (const bad of ['/', '/etc', '/etc/ssl', '/usr/local', '/boot', '/proc/1', '/var', '/home'])
      expect(mountPointProblem(bad), bad).toMatch(/system directory/);
    for (const bad of ['/mnt//x', '/mnt/./x', '/mnt/../etc', '/mnt/x/'])
      expect(mountPointProblem(bad), bad).toMatch(/normalised/);
    for (const bad of ['mnt', "/mnt/a'b", '/mnt/$(id)', '/mnt/a b'])
      expect(mountPointProblem(bad), bad).toMatch(/absolute path of letters/);
  });

  it('Ansible names: no =, whitespace, [ or reserved names', () => {
    expect(hostNameProblem('nas-1.example')).toBeUndefined();
    for (const bad of ['a=b', 'a b', 'a\nb', '[all:vars]', 'a:b', '-a'])
      expect(hostNameProblem(bad), bad).toMatch(/not an inventory host name/);
    for (const bad of ['all', 'ungrouped', 'localhost'])
      expect(hostNameProblem(bad)).toBe('is reserved by Ansible');
    expect(groupNameProblem('talos_workers')).toBeUndefined();
    for (const bad of ['k3s-x', '1st', 'a]', 'a b']) expect(groupNameProblem(bad)).toMatch(/not/);
    expect(groupNameProblem('all')).toBe('is reserved by Ansible');
    expect(inventoryValueProblem('https://get.k3s.io')).toBeUndefined();
    for (const bad of ['a b', "'", '"', '$(id)', '`id`', '{{x}}', 'a#b', 'a;b', 'a\\b'])
      expect(inventoryValueProblem(bad), bad).toMatch(/cannot go into/);
  });

  it('Vault paths: plain segments only', () => {
    expect(vaultSegmentsProblem('cluster-secret-store/secrets/KUBECONFIG', 'path')).toBeUndefined();
    expect(vaultSegmentsProblem('/kv/', 'mount')).toBeUndefined();
    for (const bad of ['../../sys/mounts', 'a/./b', 'a//b', 'x?version=1#x', 'a b', 'a%2e'])
      expect(vaultSegmentsProblem(bad, 'path'), bad).toMatch(/plain path segments/);
    expect(vaultSegmentsProblem('a/b', 'key')).toMatch(/one plain name/);
  });

  it('invisible characters are written as \\u{…}', () => {
    expect(escapeInvisible('k8s\u200b-a\u202e\t')).toBe('k8s\\u{200B}-a\\u{202E}\\u{0009}');
    expect(escapeInvisible('a\nb', { keepNewlines: true })).toBe('a\nb');
  });
});

describe('the later steps refuse what validate refuses, with the same phrase', () => {
  it('the Vault location (kubeconfig publish and get)', () => {
    // `?version=1#x` used to pass: only whitespace and `..` were refused.
    expect(() => locationOf({ mount: 'kv', path: 'x?version=1#x', key: 'K' })).toThrow(
      /^The Vault path `x\?version=1#x` of pve-gitops.yaml must be plain path segments/,
    );
    expect(() => locationOf(undefined, { path: '../../sys/mounts' })).toThrow(
      /^The Vault path `\.\.\/\.\.\/sys\/mounts` given must be plain path segments/,
    );
  });

  it('the inventory renderer', () => {
    const config = mergeConfig({
      inventory: {
        static_hosts: [{ name: 'ansible_connection=local', ip: '10.0.0.9', groups: [] }],
      },
    });
    expect(() => renderInventory({ vms: [], config, addresses: [] })).toThrow(
      /static_hosts name `ansible_connection=local` is not an inventory host name/,
    );
    const vm = toVmSpec(
      { name: 'k8s-a', disks: { scsi1: { size: '1G', mount: '/etc' } } },
      'vms/k8s-a.yaml',
      mergeConfig(),
    );
    expect(() => renderInventory({ vms: [vm], config: mergeConfig(), addresses: [] })).toThrow(
      /disks\.scsi1\.mount `\/etc` is the system directory \/etc/,
    );
    const haproxy = toVmSpec({ name: 'haproxy' }, 'vms/haproxy.yaml', mergeConfig());
    expect(() => renderInventory({ vms: [haproxy], config: mergeConfig(), addresses: [] })).toThrow(
      /The inventory host haproxy has the name of an inventory group/,
    );
  });
});

describe('validate shows what it read', () => {
  it('escapes a zero-width space in a message and in the --json report alike', async () => {
    const dir = path.join(work, 'zw');
    mkdirSync(path.join(dir, 'vms'), { recursive: true });
    writeFileSync(path.join(dir, 'vms/k8s-a.yaml'), 'name: "k8s-a\u200b"\ntarget_node: pve1\n');
    const repo = await loadRepository(dir);
    expect(repo.diagnostics.map((d) => d.message).join('\n')).toContain('\\u{200B}');
    expect(repo.diagnostics.map((d) => d.message).join('\n')).not.toContain('\u200b');
  });
});
