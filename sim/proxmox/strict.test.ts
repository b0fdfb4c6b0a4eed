// Where real Proxmox VE refuses, the simulator refuses too, in PVE's words. Sources, checked
// with the search tool: qemu-server src/PVE/API2/Qemu.pm ($check_vm_modify_config_perm,
// create_disks, resize_vm, clone_vm), src/PVE/QemuServer.pm (destroy_vm), pve-storage
// src/PVE/Storage.pm (storage_config, storage_check_enabled) and LVMPlugin.pm (alloc_image).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultFixture } from './fixture.js';
import { startProxmoxSim, type ClusterFixture, type ProxmoxSim } from './index.js';
import { simClient, waitTask } from './test-client.js';

const fixture: ClusterFixture = {
  ...defaultFixture,
  storages: [
    ...defaultFixture.storages,
    // A thick LVM volume group with 10 GiB free, and a thin pool far smaller than its volumes.
    { id: 'thick', type: 'lvm', content: ['images'], totalGiB: 20, usedGiB: 10 },
    { id: 'tiny-thin', type: 'lvmthin', content: ['images'], totalGiB: 2, usedGiB: 1 },
    { id: 'small-dir', type: 'dir', content: ['images'], totalGiB: 3, usedGiB: 0 },
  ],
  vms: [
    ...(defaultFixture.vms ?? []),
    { vmid: 9100, node: 'pve1', name: 'big-tpl', template: true, diskGiB: 16 },
  ],
};

let sim: ProxmoxSim;
let call: ReturnType<typeof simClient>;

beforeAll(async () => {
  sim = await startProxmoxSim({ timeScale: 0.01, fixture });
  call = simClient(sim);
});
afterAll(() => sim.stop());

async function clone(src: number, newid: number, extra: Record<string, string | number> = {}) {
  const r = await call('POST', `/nodes/pve1/qemu/${src}/clone`, { newid, ...extra });
  expect(r.status, r.reason).toBe(200);
  return waitTask(call, r.data as string);
}

describe('root-only config keys', () => {
  it('refuses args, hookscript and lock from any token, even root@pam!x, and takes them from root@pam', async () => {
    expect(await clone(9000, 300)).toBe('OK');
    for (const [k, v] of [
      ['args', '-no-reboot'],
      ['hookscript', 'local:snippets/hook.pl'],
      ['lock', 'backup'],
    ]) {
      const r = await call('PUT', '/nodes/pve1/qemu/300/config', { [k]: v });
      expect([r.status, r.reason]).toEqual([500, `only root can set '${k}' config`]);
    }
    // The asynchronous POST checks before it forks: an answer, not a failed task.
    const post = await call('POST', '/nodes/pve1/qemu/300/config', { hookscript: 'x' });
    expect([post.status, post.reason]).toEqual([500, `only root can set 'hookscript' config`]);
    const postDisk = await call('POST', '/nodes/pve1/qemu/300/config', { scsi3: 'local:1' });
    expect([postDisk.status, postDisk.body?.errors]).toEqual([
      400,
      { storage: `storage 'local' does not support vm images` },
    ]);
    const del = await call('PUT', '/nodes/pve1/qemu/300/config', { delete: 'args' });
    expect(del.reason).toBe(`only root can set 'args' config`);
    const create = await call('POST', '/nodes/pve1/qemu', { vmid: 301, args: '-S' });
    expect([create.status, create.reason]).toEqual([500, `only root can set 'args' config`]);
    expect(sim.cluster.vm(301)).toBeUndefined();
    // root@pam through a ticket is root.
    const t = await call(
      'POST',
      '/access/ticket',
      { username: 'root@pam', password: sim.password },
      { auth: null },
    );
    const { ticket, CSRFPreventionToken } = t.data as Record<string, string>;
    const ok = await call(
      'PUT',
      '/nodes/pve1/qemu/300/config',
      { args: '-no-reboot' },
      {
        auth: null,
        headers: {
          Cookie: `PVEAuthCookie=${encodeURIComponent(ticket)}`,
          CSRFPreventionToken,
        },
      },
    );
    expect(ok.status).toBe(200);
    expect(sim.cluster.vm(300)?.config.args).toBe('-no-reboot');
    // Ordinary keys stay open to the token.
    const tags = await call('PUT', '/nodes/pve1/qemu/300/config', { tags: 'a', memory: '1024' });
    expect(tags.status).toBe(200);
  });
});

describe('templates and linked clones', () => {
  it('fails the destroy task of a template a linked clone builds on, and keeps it', async () => {
    expect(await clone(9000, 310)).toBe('OK');
    const del = await call('DELETE', '/nodes/pve1/qemu/9000');
    expect(await waitTask(call, del.data as string)).toBe(
      `base volume 'local-lvm:base-9000-disk-0' is still in use by linked cloned`,
    );
    expect(sim.cluster.vm(9000)?.config.template).toBe(1);
    await waitTask(call, (await call('DELETE', '/nodes/pve1/qemu/310')).data as string);
    await waitTask(call, (await call('DELETE', '/nodes/pve1/qemu/300')).data as string);
    const again = await call('DELETE', '/nodes/pve1/qemu/9000');
    expect(await waitTask(call, again.data as string)).toBe('OK');
    expect(sim.cluster.vm(9000)).toBeUndefined();
  });
});

describe('storage capacity per storage type', () => {
  it('fails a full clone onto LVM or dir without room; a thin pool overcommits', async () => {
    expect(await clone(9100, 320, { full: 1, storage: 'thick' })).toBe(
      'clone failed: not enough free space (10485760 < 16777216)',
    );
    expect(sim.cluster.vm(320)).toBeUndefined();
    expect(await clone(9100, 321, { full: 1, storage: 'small-dir' })).toMatch(
      /^clone failed: qemu-img: .*No space left on device$/,
    );
    expect(await clone(9100, 322, { full: 1, storage: 'tiny-thin' })).toBe('OK');
    expect(String(sim.cluster.vm(322)?.config.scsi0)).toBe('tiny-thin:vm-322-disk-0,size=16G');
  });

  it('refuses a new disk that does not fit, synchronously for a config update', async () => {
    const r = await call('PUT', '/nodes/pve1/qemu/322/config', { scsi1: 'thick:11' });
    expect([r.status, r.reason]).toEqual([500, 'not enough free space (10485760 < 11534336)']);
    const ok = await call('PUT', '/nodes/pve1/qemu/322/config', { scsi1: 'thick:4' });
    expect(ok.status).toBe(200);
    expect(sim.cluster.vm(322)?.config.scsi1).toBe('thick:vm-322-disk-0,size=4G');
  });
});

describe('storages a clone or disk names', () => {
  it('answers 400 errors.storage for a storage without images and PVE wording for unknown ones', async () => {
    const iso = await call('POST', '/nodes/pve1/qemu/9100/clone', {
      newid: 330,
      full: 1,
      storage: 'local',
    });
    expect([iso.status, iso.reason, iso.body?.errors]).toEqual([
      400,
      'Parameter verification failed.',
      { storage: `storage 'local' does not support vm images` },
    ]);
    const none = await call('POST', '/nodes/pve1/qemu/9100/clone', {
      newid: 330,
      full: 1,
      storage: 'nope',
    });
    expect([none.status, none.reason]).toEqual([500, `storage 'nope' does not exist`]);
    const disk = await call('PUT', '/nodes/pve1/qemu/322/config', { scsi2: 'local:4' });
    expect([disk.status, disk.body?.errors]).toEqual([
      400,
      { storage: `storage 'local' does not support vm images` },
    ]);
  });
});

describe('disk allocation', () => {
  it('allocates the cloud-init drive and new disks as volumes, as create_disks does', async () => {
    const r = await call('POST', '/nodes/pve1/qemu', {
      vmid: 340,
      name: 'fresh',
      scsi0: 'local-lvm:8',
      scsi1: 'local-lvm:2,discard=on',
      ide2: 'local-lvm:cloudinit',
      virtio0: 'small-dir:1',
    });
    expect(await waitTask(call, r.data as string)).toBe('OK');
    const cfg = sim.cluster.vm(340)!.config;
    expect([cfg.scsi0, cfg.scsi1, cfg.ide2, cfg.virtio0]).toEqual([
      'local-lvm:vm-340-disk-0,size=8G',
      'local-lvm:vm-340-disk-1,discard=on,size=2G',
      'local-lvm:vm-340-cloudinit,media=cdrom',
      'small-dir:340/vm-340-disk-0.raw,size=1G',
    ]);
    const second = await call('PUT', '/nodes/pve1/qemu/340/config', {
      ide0: 'local-lvm:cloudinit',
    });
    expect(second.reason).toBe(`ide0 - cloud-init drive is already attached at 'ide2'`);
  });
});

describe('resize', () => {
  it('answers a resize task whose end is the failure', async () => {
    const cases: [Record<string, string>, string][] = [
      [{ disk: 'scsi0', size: '1G' }, 'shrinking disks is not supported'],
      [{ disk: 'scsi9', size: '+1G' }, `disk 'scsi9' does not exist`],
      [{ disk: 'ide2', size: '+1G' }, `you can't resize a cdrom`],
      [{ disk: 'scsi0', size: '+1G' }, 'OK'],
    ];
    for (const [body, end] of cases) {
      const r = await call('PUT', '/nodes/pve1/qemu/340/resize', body);
      expect(r.status).toBe(200);
      expect((r.data as string).split(':')[5]).toBe('resize');
      expect(await waitTask(call, r.data as string)).toBe(end);
    }
    expect(sim.cluster.vm(340)?.config.scsi0).toBe('local-lvm:vm-340-disk-0,size=9G');
    sim.cluster.vm(340)!.config.lock = 'backup';
    const locked = await call('PUT', '/nodes/pve1/qemu/340/resize', { disk: 'scsi0', size: '+1G' });
    expect(await waitTask(call, locked.data as string)).toBe('VM is locked (backup)');
    delete sim.cluster.vm(340)!.config.lock;
  });
});
