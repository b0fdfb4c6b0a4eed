// The simulator's permission model against PVE's rules, each from its source:
// pve-access-control AccessControl.pm roles() (propagation, deeper ACL replaces), and
// RPCEnvironment.pm permissions() (privsep token = token ∩ user), API2/AccessControl.pm
// `permissions`; 0706945 "privileges: drop VM.Monitor" (PVE 9 refuses it in a role);
// pve-manager Cluster.pm resources / API2Tools extract_node_stats (figures stripped, not nodes
// hidden); qemu-server Qemu.pm check_vm_modify_config_perm, $check_storage_access_clone,
// resize_vm and check_bridge_access.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultFixture } from './fixture.js';
import { startProxmoxSim, type ProxmoxSim } from './index.js';
import { simClient } from './test-client.js';

let sims: Record<8 | 9, ProxmoxSim>;
beforeAll(async () => {
  sims = {
    8: await startProxmoxSim({ timeScale: 0.01, pveVersion: 8 }),
    9: await startProxmoxSim({ timeScale: 0.01, pveVersion: 9 }),
  };
});
afterAll(async () => {
  await sims[8].stop();
  await sims[9].stop();
});

/** A privsep token of a fresh user; `grant` runs with USER and TOKEN substituted. */
function tokenCall(sim: ProxmoxSim, name: string, grants: string[]) {
  sim.pveum(`pveum user add ${name}@pve`);
  const { value } = sim.pveum(`pveum user token add ${name}@pve ci --privsep 1`);
  for (const g of grants)
    sim.pveum(g.replaceAll('USER', `${name}@pve`).replaceAll('TOKEN', `'${name}@pve!ci'`));
  return simClient(sim, `PVEAPIToken=${name}@pve!ci=${value}`);
}

describe('users, roles and tokens', () => {
  it('refuses VM.Monitor in a role on PVE 9 and takes it on PVE 8', () => {
    expect(() => sims[9].pveum('pveum role add Old -privs "VM.Audit VM.Monitor"')).toThrow(
      "invalid privilege 'VM.Monitor'",
    );
    expect(() => sims[8].pveum('pveum role add Old -privs "VM.Audit VM.Monitor"')).not.toThrow();
    expect(() => sims[8].pveum('pveum role add New -privs "VM.GuestAgent.Audit"')).toThrow(
      "invalid privilege 'VM.GuestAgent.Audit'",
    );
  });

  it('gives a privsep token only what both it and its user hold', async () => {
    const sim = sims[9];
    sim.pveum('pveum role add Reader -privs "VM.Audit Sys.Audit"');
    // Role on the token only: the user has nothing, so the token sees nothing.
    const tokenOnly = tokenCall(sim, 'alone', ['pveum acl modify / --tokens TOKEN --roles Reader']);
    const vms = await tokenOnly('GET', '/cluster/resources?type=vm');
    expect(vms.data).toEqual([]);
    expect((await tokenOnly('GET', '/access/permissions')).data).toEqual({});
    // Role on both: the token sees the VMs; /access/permissions says so per path.
    const both = tokenCall(sim, 'both', [
      'pveum acl modify / --users USER --roles Reader',
      'pveum acl modify / --tokens TOKEN --roles Reader',
    ]);
    const seen = (await both('GET', '/cluster/resources?type=vm')).data as unknown[];
    expect(seen).toHaveLength(3);
    const perms = (await both('GET', '/access/permissions?path=/vms/9000')).data;
    expect(perms).toEqual({ '/vms/9000': { 'Sys.Audit': 1, 'VM.Audit': 1 } });
    const tree = (await both('GET', '/access/permissions')).data as Record<string, unknown>;
    expect(Object.keys(tree).sort()).toEqual(
      ['/', '/access', '/access/groups', '/nodes', '/pool', '/sdn', '/storage', '/vms'].sort(),
    );
    // A user's ACL without propagation stays on its path.
    const flat = tokenCall(sim, 'flat', [
      'pveum acl modify / --users USER --roles Reader --propagate 0',
      'pveum acl modify / --tokens TOKEN --roles Reader',
    ]);
    expect((await flat('GET', '/cluster/resources?type=vm')).data).toEqual([]);
    // Another user's permissions (its own user's too) need Sys.Audit on /access.
    const other = await tokenOnly('GET', '/access/permissions?userid=alone@pve');
    expect([other.status, other.reason]).toEqual([
      403,
      'Permission check failed (/access, Sys.Audit)',
    ]);
  });

  it('lets a non-privsep token act with its user privileges; a deeper ACL replaces', async () => {
    const sim = sims[8];
    sim.pveum('pveum user add nps@pve');
    const { value } = sim.pveum('pveum user token add nps@pve ci --privsep 0');
    sim.pveum('pveum acl modify / -user nps@pve -role PVEAuditor');
    sim.pveum('pveum acl modify /vms/9001 -user nps@pve -role NoAccess');
    const call = simClient(sim, `PVEAPIToken=nps@pve!ci=${value}`);
    const vms = (await call('GET', '/cluster/resources?type=vm')).data as { vmid: number }[];
    expect(vms.map((v) => v.vmid).sort()).toEqual([9000, 9002]);
  });
});

describe('list filtering as PVE does it', () => {
  it('strips node figures without Sys.Audit but keeps the node; storages need Datastore.Audit', async () => {
    const sim = sims[9];
    sim.pveum('pveum role add SpaceOnly -privs "Datastore.AllocateSpace VM.Audit SDN.Use"');
    const call = tokenCall(sim, 'space', [
      'pveum acl modify / --users USER --roles SpaceOnly',
      'pveum acl modify / --tokens TOKEN --roles SpaceOnly',
    ]);
    const all = (await call('GET', '/cluster/resources')).data as Record<string, unknown>[];
    const nodes = all.filter((r) => r.type === 'node');
    expect(nodes.map((n) => n.node)).toEqual(['pve1', 'pve2', 'still-fawn']);
    expect(nodes[0]).toMatchObject({ status: 'online' });
    expect(nodes[0].maxmem).toBeUndefined();
    expect(all.filter((r) => r.type === 'storage')).toEqual([]);
    // The node's storage list takes AllocateSpace too (pve-storage Status.pm index).
    const st = (await call('GET', '/nodes/pve1/storage')).data as { storage: string }[];
    expect(st.map((s) => s.storage).sort()).toEqual(['local', 'local-lvm']);
    const nets = (await call('GET', '/nodes/pve1/network?type=any_bridge')).data as {
      iface: string;
    }[];
    expect(nets.map((n) => n.iface).sort()).toEqual(['vmbr0', 'vmbr1']);
  });

  it('hides bridges without SDN.Audit or SDN.Use on the localnetwork zone', async () => {
    const sim = sims[9];
    sim.pveum('pveum role add NetOne -privs "SDN.Use"');
    const call = tokenCall(sim, 'net', [
      'pveum acl modify /sdn/zones/localnetwork/vmbr1 --users USER --roles NetOne',
      'pveum acl modify /sdn/zones/localnetwork/vmbr1 --tokens TOKEN --roles NetOne',
    ]);
    const nets = (await call('GET', '/nodes/pve1/network?type=any_bridge')).data as {
      iface: string;
    }[];
    expect(nets.map((n) => n.iface)).toEqual(['vmbr1']);
  });
});

describe('checks PVE makes in code', () => {
  const most =
    'VM.Allocate VM.Clone VM.Audit VM.Config.CPU VM.Config.Memory VM.Config.Options VM.Config.Disk VM.Config.Cloudinit VM.Config.Network Sys.Audit Datastore.Audit';
  it('clone needs Datastore.AllocateSpace and SDN.Use; nothing is created without them', async () => {
    const sim = sims[8];
    sim.pveum(`pveum role add Most -privs "${most}"`);
    const call = tokenCall(sim, 'most', [
      'pveum acl modify / --users USER --roles Most',
      'pveum acl modify / --tokens TOKEN --roles Most',
    ]);
    const r = await call('POST', '/nodes/pve1/qemu/9000/clone', { newid: 321, name: 'x' });
    expect([r.status, r.reason]).toEqual([
      403,
      'Permission check failed (/storage/local-lvm, Datastore.AllocateSpace)',
    ]);
    expect(sim.cluster.vm(321)).toBeUndefined();
    sim.pveum('pveum role add Space -privs "Datastore.AllocateSpace"');
    sim.pveum("pveum acl modify /storage --users most@pve --tokens 'most@pve!ci' --roles Space");
    const r2 = await call('POST', '/nodes/pve1/qemu/9000/clone', { newid: 321, name: 'x' });
    expect(r2.reason).toBe('Permission check failed (/sdn/zones/localnetwork/vmbr0, SDN.Use)');
    expect(sim.cluster.vm(321)).toBeUndefined();
  });

  it('config keys each need their own privilege; a NIC needs SDN.Use on its bridge and VLAN', async () => {
    const sim = sims[9];
    sim.pveum(`pveum role add Cfg -privs "VM.Audit VM.Config.Options VM.Config.Network"`);
    const call = tokenCall(sim, 'cfg', [
      'pveum acl modify / --users USER --roles Cfg',
      'pveum acl modify / --tokens TOKEN --roles Cfg',
    ]);
    const put = (body: Record<string, string | number>) =>
      call('PUT', '/nodes/pve1/qemu/9000/config', body);
    expect((await put({ cores: 4 })).reason).toBe(
      'Permission check failed (/vms/9000, VM.Config.CPU)',
    );
    expect((await put({ memory: 4096 })).reason).toBe(
      'Permission check failed (/vms/9000, VM.Config.Memory)',
    );
    // Cloud-init keys take either privilege.
    expect((await put({ ciuser: 'ops' })).status).toBe(200);
    expect((await put({ net0: 'virtio,bridge=vmbr1,tag=20' })).reason).toBe(
      'Permission check failed (/sdn/zones/localnetwork/vmbr1/20, SDN.Use)',
    );
    expect((await put({ scsi1: 'local-lvm:4' })).reason).toBe(
      'Permission check failed (/vms/9000, VM.Config.Disk)',
    );
    expect(sim.cluster.vm(9000)!.config.scsi1).toBeUndefined();
  });

  it('resize needs Datastore.AllocateSpace on the disk storage', async () => {
    const sim = sims[9];
    sim.pveum('pveum role add Grow -privs "VM.Audit VM.Config.Disk"');
    const call = tokenCall(sim, 'grow', [
      'pveum acl modify / --users USER --roles Grow',
      'pveum acl modify / --tokens TOKEN --roles Grow',
    ]);
    const r = await call('PUT', '/nodes/pve1/qemu/9000/resize', { disk: 'scsi0', size: '+1G' });
    expect(r.reason).toBe('Permission check failed (/storage/local-lvm, Datastore.AllocateSpace)');
  });
});

describe('pveum in a fixture', () => {
  it('sets up users, roles, tokens and ACLs on a fresh state, and refuses a bad line clearly', async () => {
    const sim = await startProxmoxSim({
      timeScale: 0.01,
      fixture: {
        ...defaultFixture,
        pveum: [
          'pveum useradd ops@pve',
          'pveum roleadd Look -privs "VM.Audit"',
          'pveum user token add ops@pve ro --privsep 0',
          'pveum aclmod /vms -user ops@pve -role Look',
        ],
      },
    });
    try {
      const token = sim.cluster.state.tokens.find((t) => t.id === 'ops@pve!ro')!;
      const call = simClient(sim, `PVEAPIToken=ops@pve!ro=${token.secret}`);
      const perms = (await call('GET', '/access/permissions')).data;
      expect(perms).toEqual({ '/vms': { 'VM.Audit': 1 } });
    } finally {
      await sim.stop();
    }
    await expect(
      startProxmoxSim({ pveVersion: 9, pveum: ['pveum role add Old -privs "VM.Monitor"'] }),
    ).rejects.toThrow(
      `The simulator's pveum command 'pveum role add Old -privs "VM.Monitor"' was refused: invalid privilege 'VM.Monitor'.`,
    );
  });
});
