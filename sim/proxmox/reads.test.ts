// The read endpoints, snapshots, disk moves and guest-agent calls third-party tools use. Shapes
// from pve-manager PVE/API2/Cluster.pm (resources, tasks), Tasks.pm (node_tasks), qemu-server
// src/PVE/API2/Qemu.pm (snapshot_*, move_vm_disk, vmconfig_delete_or_detach_drive) and
// Qemu/Agent.pm; checked with the search tool.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProxmoxSim, type ProxmoxSim } from './index.js';
import { simClient, waitTask } from './test-client.js';

let sim: ProxmoxSim;
let sim8: ProxmoxSim;
let call: ReturnType<typeof simClient>;

beforeAll(async () => {
  sim = await startProxmoxSim({ timeScale: 0.01 });
  sim8 = await startProxmoxSim({ timeScale: 0.01, pveVersion: 8 });
  call = simClient(sim);
  const r = await call('POST', '/nodes/pve1/qemu/9000/clone', { newid: 500, name: 'r1' });
  expect(await waitTask(call, r.data as string)).toBe('OK');
});
afterAll(async () => {
  await sim.stop();
  await sim8.stop();
});

const data = async (path: string) => {
  const r = await call('GET', path);
  expect(r.status, `${path}: ${r.reason}`).toBe(200);
  return r.data as Record<string, unknown>[];
};

describe('cluster reads', () => {
  it('serves cluster status, HA, pools, storage and the empty container list', async () => {
    const status = await data('/cluster/status');
    expect(status[0]).toMatchObject({ type: 'cluster', nodes: 3, quorate: 1 });
    expect(status.slice(1).map((n) => [n.name, n.online, n.ip])).toEqual([
      ['pve1', 1, '127.0.1.1'],
      ['pve2', 1, '127.0.1.2'],
      ['still-fawn', 1, '127.0.1.3'],
    ]);
    sim.cluster.setHa(500, true);
    expect((await data('/cluster/ha/resources')).map((r) => r.sid)).toEqual(['vm:500']);
    const ha = await data('/cluster/ha/status/current');
    expect(ha.find((x) => x.type === 'service')).toMatchObject({ sid: 'vm:500', node: 'pve1' });
    sim.cluster.setHa(500, false);
    expect(await data('/pools')).toEqual([]);
    expect((await data('/storage')).map((s) => [s.storage, s.type, s.content])).toEqual([
      ['local-lvm', 'lvmthin', 'images,rootdir'],
      ['local', 'dir', 'backup,iso,snippets,vztmpl'],
    ]);
    const st = (await call('GET', '/nodes/pve1/storage/local-lvm/status')).data;
    expect(st).toMatchObject({ type: 'lvmthin', active: 1, enabled: 1, total: 800 * 1024 ** 3 });
    const missing = await call('GET', '/nodes/pve1/storage/nope/status');
    expect([missing.status, missing.reason]).toEqual([500, `storage 'nope' does not exist`]);
    const content = await data('/nodes/pve1/storage/local-lvm/content?vmid=500');
    expect(content.map((c) => [c.volid, c.parent])).toEqual([
      ['local-lvm:vm-500-disk-0', 'base-9000-disk-0@__base__'],
    ]);
    expect(await data('/nodes/pve1/lxc')).toEqual([]);
    expect((await call('GET', '/nodes/nope/lxc')).reason).toBe(`no such cluster node 'nope'`);
  });

  it('lists tasks per node and cluster-wide, newest first, token users split', async () => {
    const tasks = await data('/nodes/pve1/tasks?typefilter=qmclone');
    expect(tasks[0]).toMatchObject({
      type: 'qmclone',
      id: '9000',
      user: 'root@pam',
      tokenid: 'pve-gitops',
      status: 'OK',
    });
    expect(typeof tasks[0].endtime).toBe('number');
    expect(await data('/nodes/pve2/tasks')).toEqual([]);
    const all = await data('/cluster/tasks');
    expect(all.some((t) => t.upid === tasks[0].upid && t.saved === '1')).toBe(true);
  });

  it('lists each node’s local network zone as PVE 9 `network` and PVE 8 `sdn` entries', async () => {
    const nine = await data('/cluster/resources');
    expect(nine.filter((r) => r.type === 'network').map((r) => r.id)).toEqual([
      'network/pve1/zone/localnetwork',
      'network/pve2/zone/localnetwork',
      'network/still-fawn/zone/localnetwork',
    ]);
    expect((await data('/cluster/resources?type=vm')).some((r) => r.type === 'network')).toBe(
      false,
    );
    const eight = (await simClient(sim8)('GET', '/cluster/resources')).data as {
      type: string;
      id: string;
    }[];
    expect(eight.filter((r) => r.type === 'sdn').map((r) => r.id)).toContain(
      'sdn/pve1/localnetwork',
    );
    expect(eight.some((r) => r.type === 'network')).toBe(false);
    const net = await data('/nodes/pve1/network?type=bridge');
    expect([net[0].iface, net[0].cidr, net[1].cidr]).toEqual(['vmbr0', '127.0.1.1/24', undefined]);
  });
});

describe('snapshots', () => {
  it('creates, lists, rolls back and deletes snapshots as tasks', async () => {
    const snap = await call('POST', '/nodes/pve1/qemu/500/snapshot', {
      snapname: 'before',
      description: 'first',
    });
    expect((snap.data as string).split(':')[5]).toBe('qmsnapshot');
    expect(await waitTask(call, snap.data as string)).toBe('OK');
    await call('PUT', '/nodes/pve1/qemu/500/config', { memory: '4096' });
    const list = await data('/nodes/pve1/qemu/500/snapshot');
    expect(list.map((s) => [s.name, s.parent, s.description])).toEqual([
      ['before', undefined, 'first'],
      ['current', 'before', 'You are here!'],
    ]);
    const dup = await call('POST', '/nodes/pve1/qemu/500/snapshot', { snapname: 'before' });
    expect(await waitTask(call, dup.data as string)).toBe(`snapshot name 'before' already used`);
    const cur = await call('POST', '/nodes/pve1/qemu/500/snapshot', { snapname: 'current' });
    expect([cur.status, cur.reason]).toEqual([
      500,
      `unable to use snapshot name 'current' (reserved name)`,
    ]);
    const back = await call('POST', '/nodes/pve1/qemu/500/snapshot/before/rollback');
    expect(await waitTask(call, back.data as string)).toBe('OK');
    expect(sim.cluster.vm(500)?.config.memory).toBe('2048');
    const del = await call('DELETE', '/nodes/pve1/qemu/500/snapshot/before');
    expect(await waitTask(call, del.data as string)).toBe('OK');
    const gone = await call('DELETE', '/nodes/pve1/qemu/500/snapshot/before');
    expect(await waitTask(call, gone.data as string)).toBe(`snapshot 'before' does not exist`);
    expect((await data('/nodes/pve1/qemu/500/snapshot')).map((s) => s.name)).toEqual(['current']);
  });
});

describe('disks', () => {
  it('keeps a detached disk as unusedN and moves a disk, keeping the source unless delete', async () => {
    await call('PUT', '/nodes/pve1/qemu/500/config', { scsi1: 'local-lvm:2' });
    await call('PUT', '/nodes/pve1/qemu/500/config', { delete: 'scsi1' });
    expect(sim.cluster.vm(500)?.config.unused0).toBe('local-lvm:vm-500-disk-1');
    const same = await call('POST', '/nodes/pve1/qemu/500/move_disk', {
      disk: 'scsi0',
      storage: 'local-lvm',
    });
    expect(same.reason).toBe(`you can't move to the same storage with same format`);
  });
});

describe('guest agent', () => {
  it('answers osinfo, info and file-write, and refuses a program the guest does not have', async () => {
    const start = await call('POST', '/nodes/pve1/qemu/500/status/start');
    expect(await waitTask(call, start.data as string)).toBe('OK');
    sim.cluster.vm(500)!.startedAt = Date.now() - 3_600_000;
    const os = (await call('GET', '/nodes/pve1/qemu/500/agent/get-osinfo')).data as {
      result: Record<string, string>;
    };
    expect(os.result.id).toBe('ubuntu');
    const info = (await call('GET', '/nodes/pve1/qemu/500/agent/info')).data as {
      result: { supported_commands: { name: string }[] };
    };
    expect(info.result.supported_commands.map((c) => c.name)).toContain('guest-exec');
    const w = await call('POST', '/nodes/pve1/qemu/500/agent/file-write', {
      file: '/etc/motd',
      content: 'hello\n',
    });
    expect(w.status).toBe(200);
    const r = (await call('GET', '/nodes/pve1/qemu/500/agent/file-read?file=/etc/motd')).data;
    expect(r).toEqual({ content: 'hello\n' });
    const missing = await call('POST', '/nodes/pve1/qemu/500/agent/exec', {
      command: 'apt-get',
    });
    // glib's spawn error as qemu-guest-agent passes it on (the reason phrase is ASCII-only).
    expect([missing.status, missing.body?.message]).toEqual([
      500,
      `Agent error: Guest agent command failed, error was 'Failed to execute child process “apt-get” (No such file or directory)'\n`,
    ]);
    const running = (await call('GET', '/nodes/pve1/qemu/500/status/current')).data as Record<
      string,
      string
    >;
    expect(running['running-qemu']).toBe('10.1.2');
  });
});
