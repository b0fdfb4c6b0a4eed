// Our own Proxmox client against the stricter simulator: what real PVE refuses surfaces as
// one clear error, a resize is a task to wait for, and a 400 is not retried. Sources: qemu-server
// src/PVE/API2/Qemu.pm ($check_vm_modify_config_perm, resize_vm, clone_vm, create_disks).
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ProxmoxClient } from '../actions/lib/proxmox/client.js';
import { proxmoxClientFor } from '../sim/proxmox/client-for.js';
import { startProxmoxSim, type ProxmoxSim } from '../sim/proxmox/index.js';

let sim: ProxmoxSim;
let client: ProxmoxClient;

beforeAll(async () => {
  sim = await startProxmoxSim({ timeScale: 0.01 });
  client = proxmoxClientFor(sim);
  await client.waitForTask(await client.clone('pve1', 9000, { newid: 700, name: 'strict' }));
});
afterAll(async () => {
  await client.close();
  await sim.stop();
});

it('refuses a root-only key from the token in PVE’s words', async () => {
  await expect(client.putConfig('pve1', 700, { args: '-no-reboot' })).rejects.toThrow(
    "only root can set 'args' config",
  );
  expect(sim.cluster.vm(700)?.config.args).toBeUndefined();
});

it('waits for a resize task and reports its failure', async () => {
  const grow = await client.resize('pve1', 700, 'scsi0', '+2G');
  expect(grow).toMatch(/^UPID:pve1:.*:resize:700:/);
  await client.waitForTask(grow!);
  expect(String((await client.getConfig('pve1', 700)).scsi0)).toContain('size=6G');
  const shrink = await client.resize('pve1', 700, 'scsi0', '1G');
  await expect(client.waitForTask(shrink!)).rejects.toThrow('shrinking disks is not supported');
});

it('gets a clone to a storage without images as one 400, not retried', async () => {
  const before = sim.stats()['POST /nodes/{node}/qemu/{vmid}/clone'] ?? 0;
  await expect(
    client.clone('pve1', 9000, { newid: 701, name: 'x', full: true, storage: 'local' }),
  ).rejects.toThrow("storage 'local' does not support vm images");
  expect(sim.stats()['POST /nodes/{node}/qemu/{vmid}/clone']).toBe(before + 1);
});

it('creates a VM whose cloud-init drive and disks are allocated volumes', async () => {
  await client.waitForTask(
    await client.create('pve1', 702, {
      name: 'fresh',
      scsi0: 'local-lvm:4',
      ide2: 'local-lvm:cloudinit',
    }),
  );
  const cfg = await client.getConfig('pve1', 702);
  expect([cfg.scsi0, cfg.ide2]).toEqual([
    'local-lvm:vm-702-disk-0,size=4G',
    'local-lvm:vm-702-cloudinit,media=cdrom',
  ]);
});

it('reports a template that a linked clone still uses as a failed destroy, and keeps it', async () => {
  await expect(client.waitForTask(await client.deleteVm('pve1', 9000))).rejects.toThrow(
    "base volume 'local-lvm:base-9000-disk-0' is still in use by linked cloned",
  );
  expect(sim.cluster.vm(9000)?.config.template).toBe(1);
});
