// Ansible's community.general 6.6 (Debian) Proxmox modules and inventory plugin against the
// simulator as PVE 9 and 8: proxmox_kvm, proxmox_nic, proxmox_disk (add, update, resize, move,
// detach), proxmox_snap and the `community.general.proxmox` inventory. What PVE refuses fails
// here too: `proxmox_default_behavior: compatibility` sends `args`, which only root@pam itself
// may set (qemu-server src/PVE/API2/Qemu.pm $check_vm_modify_config_perm).
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultFixture } from '../sim/proxmox/fixture.js';
import { startProxmoxSim, type ProxmoxSim } from '../sim/proxmox/index.js';

const dir = mkdtempSync(path.join(tmpdir(), 'pve-ansible-'));
const sims: ProxmoxSim[] = [];
afterAll(async () => {
  for (const s of sims) await s.stop();
  rmSync(dir, { recursive: true, force: true });
});

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv) {
  return new Promise<{ stdout: string; stderr: string }>((resolve) => {
    execFile(cmd, args, { env, encoding: 'utf8', timeout: 180_000 }, (_e, stdout, stderr) =>
      resolve({ stdout, stderr }),
    );
  });
}

const api = `api_host: "{{ lookup('env', 'SIM_HOST') }}"
        api_user: root@pam
        api_token_id: pve-gitops
        api_token_secret: "{{ lookup('env', 'SIM_SECRET') }}"
        validate_certs: true`;

const playbook = `- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: create with the old defaults, which send args
      community.general.proxmox_kvm:
        ${api}
        node: pve1
        vmid: 420
        name: ans-compat
        proxmox_default_behavior: compatibility
        timeout: 30
      register: compat
      ignore_errors: true
    - ansible.builtin.assert:
        that: "'only root can set \\\\'args\\\\' config' in compat.msg"
    - community.general.proxmox_kvm:
        ${api}
        node: pve1
        clone: ubuntu-24.04-cloudinit
        vmid: 9000
        newid: 421
        name: ans-1
        full: false
        timeout: 30
    - community.general.proxmox_nic:
        ${api}
        vmid: 421
        interface: net1
        bridge: vmbr1
        model: virtio
    - community.general.proxmox_disk:
        ${api}
        vmid: 421
        disk: scsi1
        storage: local-lvm
        size: 2
        state: present
    - community.general.proxmox_disk:
        ${api}
        vmid: 421
        disk: scsi1
        cache: writeback
        state: present
    - community.general.proxmox_disk:
        ${api}
        vmid: 421
        disk: scsi1
        size: +1G
        state: resized
    - community.general.proxmox_disk:
        ${api}
        vmid: 421
        disk: scsi1
        target_storage: local-zfs
        state: moved
        timeout: 30
    - community.general.proxmox_disk:
        ${api}
        vmid: 421
        disk: scsi1
        state: detached
    - community.general.proxmox_snap:
        ${api}
        vmid: 421
        snapname: before
        state: present
        timeout: 30
    - community.general.proxmox_snap:
        ${api}
        vmid: 421
        snapname: before
        state: rollback
        timeout: 30
    - community.general.proxmox_snap:
        ${api}
        vmid: 421
        snapname: before
        state: absent
        timeout: 30
    - community.general.proxmox_kvm:
        ${api}
        node: pve1
        vmid: 421
        state: started
        timeout: 30
`;

describe.each([9, 8] as const)('Ansible community.general against PVE %i', (major) => {
  it('runs proxmox_kvm, proxmox_nic, proxmox_disk, proxmox_snap and the inventory plugin', async () => {
    const sim = await startProxmoxSim({
      timeScale: 0.01,
      pveVersion: major,
      fixture: {
        ...defaultFixture,
        storages: [
          ...defaultFixture.storages,
          { id: 'local-zfs', type: 'zfspool', content: ['images', 'rootdir'], totalGiB: 200 },
        ],
      },
    });
    sims.push(sim);
    const ca = path.join(dir, `ca-${major}.pem`);
    writeFileSync(ca, sim.caPem, { mode: 0o600 });
    const file = path.join(dir, `play-${major}.yml`);
    writeFileSync(file, playbook);
    // The token secret travels in the environment, never in argv or a file.
    const env = {
      PATH: process.env.PATH,
      HOME: dir,
      SIM_HOST: new URL(sim.url).host,
      SIM_SECRET: sim.tokenSecret,
      REQUESTS_CA_BUNDLE: ca,
      ANSIBLE_NOCOLOR: '1',
      ANSIBLE_LOCAL_TEMP: path.join(dir, 'tmp'),
    };
    const r = await run(
      'ansible-playbook',
      ['-i', 'localhost,', '-e', 'ansible_python_interpreter=/usr/bin/python3', file],
      env,
    );
    expect(r.stdout).toMatch(/failed=0 .*ignored=1/);
    expect(r.stdout).toMatch(/ok=13\s+changed=11/);
    expect(sim.cluster.vm(420)).toBeUndefined();
    await sim.cluster.settle();
    const vm = sim.cluster.vm(421)!;
    expect(vm.status).toBe('running');
    expect(String(vm.config.net1)).toMatch(/^virtio=[0-9A-F:]{17},bridge=vmbr1$/);
    expect(vm.config.scsi1).toBeUndefined();
    expect([vm.config.unused0, vm.config.unused1]).toEqual([
      'local-lvm:vm-421-disk-1',
      'local-zfs:vm-421-disk-0',
    ]);
    expect(vm.snapshots).toEqual({});

    const inv = path.join(dir, `inv-${major}.proxmox.yml`);
    writeFileSync(
      inv,
      `plugin: community.general.proxmox\nurl: https://${new URL(sim.url).host}\nuser: root@pam\ntoken_id: pve-gitops\nvalidate_certs: true\nwant_facts: true\n`,
    );
    const list = await run('ansible-inventory', ['-i', inv, '--list'], {
      ...env,
      PROXMOX_TOKEN_SECRET: sim.tokenSecret,
    });
    const out = JSON.parse(list.stdout) as {
      _meta: { hostvars: Record<string, Record<string, unknown>> };
      [group: string]: unknown;
    };
    expect(out._meta.hostvars['ans-1']).toMatchObject({
      proxmox_vmid: 421,
      proxmox_status: 'running',
    });
    expect((out.proxmox_pve1_qemu as { hosts: string[] }).hosts).toContain('ans-1');
    expect((out.proxmox_all_running as { hosts: string[] }).hosts).toEqual(['ans-1']);
    expect((out.proxmox_nodes as { hosts: string[] }).hosts).toEqual([
      'pve1',
      'pve2',
      'still-fawn',
    ]);
  });
});
