import { describe, expect, it } from 'vitest';
import { ProxmoxApiError } from '../proxmox/errors.js';
import { spec } from './fixtures.test-helpers.js';
import { readSnapshot, type SnapshotClient } from './snapshot.js';

// Answers as PVE's API gives them (docs/reference/proxmox-behaviour.md): a failing node's
// paths answer 5xx, a hung guest 500 "QEMU guest agent is not running" (qemu-server
// PVE::QemuServer::Agent), a token without the agent privilege 403.
const fail = (status: number, message: string, path: string) => () =>
  Promise.reject(new ProxmoxApiError({ status, message, method: 'GET', path }));

const ids = { pve1: 100, pve2: 101 } as const;

function client(agent: (node: string) => Promise<never> | Promise<[]>): SnapshotClient {
  const node = (n: string) => ({ id: `node/${n}`, type: 'node', node: n, status: 'online' });
  const vm = (n: 'pve1' | 'pve2') => ({
    id: `qemu/${ids[n]}`,
    type: 'qemu',
    vmid: ids[n],
    node: n,
    name: `vm-${n}`,
    status: 'running',
    uptime: 3600,
    tags: 'pve-gitops',
  });
  return {
    clusterResources: () => Promise.resolve([node('pve1'), node('pve2'), vm('pve1'), vm('pve2')]),
    network: (n: string) =>
      n === 'pve2'
        ? fail(500, 'Internal Server Error', '/nodes/pve2/network')()
        : Promise.resolve([{ iface: 'vmbr0', active: 1 }]),
    storage: () => Promise.resolve([]),
    getConfig: () => Promise.resolve({ name: 'x', agent: '1', tags: 'pve-gitops' }),
    agentNetworkInterfaces: (n: string) => agent(n),
  } as unknown as SnapshotClient;
}

const desired = [spec('vm-pve1'), spec('vm-pve2', { node: 'pve2' })];

describe('readSnapshot: what the health check learns', () => {
  it('marks a node answering 5xx unknown, with why, and asks none of its guests', async () => {
    const asked: string[] = [];
    const snap = await readSnapshot(
      client((n) => {
        asked.push(n);
        return fail(500, 'QEMU guest agent is not running', `/nodes/${n}/qemu`)();
      }),
      desired,
    );
    expect(snap.nodes.pve2).toMatchObject({
      status: 'unknown',
      problem: 'Proxmox GET /nodes/pve2/network failed (500): Internal Server Error.',
    });
    expect(asked).toEqual(['pve1']);
    expect(snap.vms.map((v) => `${v.name} ${v.agent}`)).toEqual([
      'vm-pve1 silent',
      'vm-pve2 not-probed',
    ]);
  });

  it('keeps only "not running" as silence; a 403 leaves the agent unknown', async () => {
    const snap = await readSnapshot(
      client(fail(403, 'Permission check failed (/vms/100, VM.Monitor)', '/nodes/pve1/qemu')),
      [desired[0]],
    );
    expect(snap.vms[0]).toMatchObject({
      agent: 'unknown',
      agentDetail:
        'the API token may not call the guest agent (403 Permission check failed (/vms/100, VM.Monitor))',
    });
  });
});
