import { spawnSync } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';

// The three shapes of docs/reference/terraform-era-format.md, with cipassword, vm_state,
// skip_ipv6, boot, serial, null fields, a dotted name and an excluded file.
const cli = path.resolve('actions/cli/dist/index.cjs');
const FIXTURES = path.resolve('test/fixtures/terraform-era');
const work = mkdtempSync(path.join(tmpdir(), 'pve-gitops-import-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const run = (args: string[], cwd = work) =>
  spawnSync(process.execPath, ['--', cli, ...args], {
    cwd,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: work },
  });

function repo(name: string): string {
  const dir = path.join(work, name);
  mkdirSync(path.join(dir, 'vms'), { recursive: true });
  return dir;
}

describe('pve-gitops import terraform', () => {
  it('prints the files and what it drops, writes nothing, never copies cipassword', () => {
    const dir = repo('dry');
    const r = run(['import', 'terraform', FIXTURES, '--repo', dir]);
    expect(r.status, r.stderr).toBe(0);
    expect(readdirSync(path.join(dir, 'vms'))).toEqual([]);
    expect(r.stdout + r.stderr).not.toContain('hunter2-do-not-copy');
    expect(r.stderr).toMatch(/dropped cipassword: .*CI_CLOUDINIT_PASSWORD/);
    expect(r.stderr).toMatch(/Skipped .*k8s-home\.yaml/);
    const files = r.stdout.split(/^# --- /m).filter(Boolean);
    expect(files.map((f) => f.split('\n')[0]).sort()).toEqual([
      'vms/haproxy-1.yaml',
      'vms/k8s-lab.yaml',
      'vms/talos-a-w1.lab.yaml',
    ]);
  });

  it("carries that pipeline's defaults explicitly where ours differ", () => {
    const r = run(['import', 'terraform', FIXTURES, '--repo', repo('values')]);
    const byName = Object.fromEntries(
      r.stdout
        .split(/^# --- vms\/(.*)\.yaml\n/m)
        .slice(1)
        .reduce<Array<[string, Record<string, unknown>]>>(
          (acc, cur, i, all) =>
            i % 2 === 0 ? [...acc, [cur, parse(all[i + 1]) as Record<string, unknown>]] : acc,
          [],
        ),
    );
    // Shape A: agent on, cores 2 and memory 2048 are our defaults too; linked clone and
    // firewall are theirs; the mount and both disks kept; the terraform tag dropped.
    expect(byName['haproxy-1']).toEqual({
      name: 'haproxy-1',
      target_node: 'pve1',
      full_clone: false,
      ipconfig0: 'ip=127.0.20.11/8,gw=127.0.0.1',
      ciuser: 'ubuntu',
      network: { firewall: true },
      disks: {
        scsi0: { size: '32G', storage: 'local-lvm' },
        scsi1: { size: '20G', storage: 'local-lvm', mount: '/mnt/storage' },
      },
    });
    // Shape B: their defaults (1 core, 1024 MiB, no agent) written out; stopped; the
    // cloud-init drive and Terraform-only flags dropped.
    expect(byName['k8s-lab']).toEqual({
      name: 'k8s-lab',
      target_node: 'pve2',
      cores: 1,
      memory: 1024,
      full_clone: false,
      agent: false,
      state: 'stopped',
      disks: { scsi0: { size: '32G', storage: 'local-lvm' } },
    });
    // Shape C: the list form; the ISO dropped; a full clone stays our default.
    expect(byName['talos-a-w1.lab']).toMatchObject({
      cores: 1,
      memory: 4096,
      agent: false,
      network: { firewall: true },
      disks: { scsi0: { size: '40G', storage: 'local-lvm' } },
    });
    expect(byName['talos-a-w1.lab']).not.toHaveProperty('full_clone');
    for (const f of ['boot', 'serial', 'skip_ipv6', 'define_connection_info', 'scsihw'])
      expect(r.stderr).toMatch(new RegExp(`dropped ${f}: `));
  });

  it('writes files that validate, and refuses to overwrite without --force', () => {
    const src = path.join(work, 'src');
    cpSync(FIXTURES, src, { recursive: true });
    rmSync(path.join(src, 'vms', 'talos-a-w1.lab.yaml'));
    const dir = repo('write');
    const w = run(['import', 'terraform', src, '--write', '--repo', dir]);
    expect(w.status, w.stderr).toBe(0);
    expect(w.stdout).toBe('Wrote 2 VM files to vms/; the repository validates.\n');
    expect(readFileSync(path.join(dir, 'vms', 'k8s-lab.yaml'), 'utf8')).toMatch(
      /^# Imported from .*k8s-lab\.yaml by pve-gitops import terraform\.\nname: k8s-lab\n/,
    );
    expect(run(['validate', '--repo', dir]).status).toBe(0);
    const again = run(['import', 'terraform', src, '--write', '--repo', dir]);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain('vms/haproxy-1.yaml exists already; nothing was written');
    expect(run(['import', 'terraform', src, '--write', '--force', '--repo', dir]).status).toBe(0);
  });

  it('names the file of a bad input and writes nothing', () => {
    const src = path.join(work, 'bad');
    mkdirSync(path.join(src, 'vms'), { recursive: true });
    cpSync(path.join(FIXTURES, 'vms', 'haproxy-1.yaml'), path.join(src, 'vms', 'a.yaml'));
    cpSync(path.join(FIXTURES, 'vms', 'k8s-lab.yaml'), path.join(src, 'vms', 'b.yaml'));
    writeFileSync(path.join(src, 'vms', 'c.yaml'), 'name: c\ntarget_node: pve1\ndisks: 7\n');
    const dir = repo('bad-out');
    const r = run(['import', 'terraform', src, '--write', '--repo', dir]);
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toMatch(/^error: .*c\.yaml: disks is neither a map nor a list; /);
    expect(readdirSync(path.join(dir, 'vms'))).toEqual([]);
  });
});
