// The base role's mount tasks, run for real: simulated VMs skip them (they are this machine),
// so nothing showed that community.general.filesystem and ansible.posix.mount resolve and
// work. Here a simulated host (real sshd in private mount and UTS namespaces) gets a disk: a
// loop device over a file, linked where Proxmox puts a virtio-scsi disk
// (/dev/disk/by-id/scsi-0QEMU_QEMU_HARDDISK_drive-scsi1), with a private /etc/fstab and /mnt.
// Ansible formats the disk and mounts it; the machine's own fstab and mounts are untouched.
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startSshHost, type SshHost } from '../sim/hosts/ssh-host.js';
import { keyPair, randomLoopback } from './provision-helpers.js';

const run = promisify(execFile);
const playbooks = path.resolve(import.meta.dirname, '..', 'playbooks');
const DEVICE = '/dev/disk/by-id/scsi-0QEMU_QEMU_HARDDISK_drive-scsi1';

let dir: string;
let loop: string;
let host: SshHost;
let key: ReturnType<typeof keyPair>;
const ip = randomLoopback();

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'pve-gitops-mount-'));
  key = keyPair(dir);
  const image = path.join(dir, 'scsi1.img');
  execFileSync('truncate', ['-s', '64M', image]);
  loop = execFileSync('losetup', ['--find', '--show', image], { encoding: 'utf8' }).trim();
  for (const d of ['mnt', 'etc']) mkdirSync(path.join(dir, d));
  writeFileSync(path.join(dir, 'etc', 'fstab'), '# the simulated VM’s fstab\n');
  // A mount point for the namespace's private /dev/disk, as vm-hosts creates its own.
  mkdirSync('/dev/disk', { recursive: true });
  host = await startSshHost({
    address: ip,
    authorizedKey: key.publicKey,
    hostname: 'k8s-disk',
    dir: path.join(dir, 'sshd'),
    namespaceSetup: [
      'mount -t tmpfs tmpfs /dev/disk',
      'mkdir /dev/disk/by-id',
      `ln -s ${loop} ${DEVICE}`,
      `mount --bind ${dir}/etc/fstab /etc/fstab`,
      `mount --bind ${dir}/mnt /mnt`,
    ].join(' && '),
  });
}, 60_000);

afterAll(async () => {
  await host?.stop();
  if (loop) execFileSync('losetup', ['--detach', loop]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function play() {
  const inv = path.join(dir, 'hosts.ini');
  writeFileSync(
    inv,
    `k8s-disk ansible_host=${ip} ansible_port=${host.port} ansible_user=root ` +
      `ansible_ssh_private_key_file=${key.file} ansible_python_interpreter=/usr/bin/python3 ` +
      `pve_gitops_mounts=scsi1:/mnt/data\n`,
  );
  const book = path.join(dir, 'base.yml');
  writeFileSync(book, '---\n- name: Base\n  hosts: all\n  gather_facts: false\n  roles: [base]\n');
  writeFileSync(path.join(dir, 'known_hosts'), `${host.hostKeyLine}\n`);
  return run('ansible-playbook', ['-i', inv, book], {
    cwd: dir,
    env: {
      ...process.env,
      ANSIBLE_ROLES_PATH: path.join(playbooks, 'roles'),
      ANSIBLE_SSH_ARGS: `-o UserKnownHostsFile=${dir}/known_hosts -o StrictHostKeyChecking=yes`,
      ANSIBLE_NOCOLOR: '1',
    },
  });
}

const onHost = (cmd: string) =>
  execFileSync(
    'ssh',
    [
      '-i',
      key.file,
      '-p',
      String(host.port),
      '-o',
      `UserKnownHostsFile=${dir}/known_hosts`,
      '-o',
      'StrictHostKeyChecking=yes',
      '-o',
      'BatchMode=yes',
      `root@${ip}`,
      cmd,
    ],
    { encoding: 'utf8' },
  ).trim();

describe('the base role mounts a VM’s extra disk', () => {
  it('formats the blank disk, mounts it with nofail and records it in the VM’s fstab', async () => {
    const first = await play();
    expect(first.stdout).toMatch(
      /k8s-disk\s+: ok=\d+\s+changed=[1-9]\d*\s+unreachable=0\s+failed=0/,
    );
    expect(
      execFileSync('blkid', ['-o', 'value', '-s', 'TYPE', loop], { encoding: 'utf8' }).trim(),
    ).toBe('ext4');
    expect(onHost('findmnt -n -o SOURCE,FSTYPE /mnt/data')).toBe(`${loop} ext4`);
    expect(readFileSync(path.join(dir, 'etc', 'fstab'), 'utf8')).toContain(
      `${DEVICE} /mnt/data ext4 defaults,nofail 0 0`,
    );
    // The machine itself is untouched: its own fstab, no mount of the loop device here.
    expect(readFileSync('/etc/fstab', 'utf8')).not.toContain(DEVICE);
    // findmnt exits 1 when it finds no such mount.
    expect(spawnSync('findmnt', ['-n', '-S', loop]).status).toBe(1);
  }, 180_000);

  it('changes nothing on a second run (never formats a disk that has a filesystem)', async () => {
    onHost('touch /mnt/data/keep');
    const again = await play();
    expect(again.stdout).toMatch(/k8s-disk\s+: ok=\d+\s+changed=0\s+unreachable=0\s+failed=0/);
    expect(onHost('ls /mnt/data')).toContain('keep');
  }, 180_000);
});

describe('playbooks/requirements.yml', () => {
  it('lists every collection the playbooks use beyond ansible.builtin', () => {
    const text = execFileSync(
      'grep',
      ['-rhoE', '^\\s*-?\\s*[a-z_]+\\.[a-z_]+\\.[a-z_]+:', playbooks],
      {
        encoding: 'utf8',
      },
    );
    const used = [
      ...new Set(
        text
          .split('\n')
          .map((l) => l.replace(/^[\s-]*/, '').replace(/:$/, ''))
          .filter(Boolean)
          .map((m) => m.split('.').slice(0, 2).join('.'))
          .filter((c) => c !== 'ansible.builtin'),
      ),
    ].sort();
    const req = parse(readFileSync(path.join(playbooks, 'requirements.yml'), 'utf8')) as {
      collections: Array<{ name: string }>;
    };
    expect(used).toEqual(['ansible.posix', 'community.general']);
    expect(req.collections.map((c) => c.name).sort()).toEqual(used);
  });
});
