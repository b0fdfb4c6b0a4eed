// doctor's cluster checks on a simulator whose templates, bridges, storages and nodes are
// wrong in every way a homelab gets them wrong, read with the full-rights root token (which
// also holds the privileges doctor warns about).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mergeConfig } from '../actions/lib/config/load.js';
import { memoryLogger } from '../actions/lib/log.js';
import { proxmoxDoctor, type DoctorReport } from '../actions/lib/reconcile/doctor.js';
import { toVmSpec } from '../actions/lib/vm/normalize.js';
import type { VmDefinition } from '../actions/lib/vm/types.js';
import { proxmoxClientFor } from '../sim/proxmox/client-for.js';
import { startProxmoxSim, type ProxmoxSim } from '../sim/proxmox/index.js';

let sim: ProxmoxSim;
let report: DoctorReport;

beforeAll(async () => {
  sim = await startProxmoxSim({
    timeScale: 0.01,
    fixture: {
      nodes: [
        { name: 'pve1', bridges: ['vmbr0'] },
        { name: 'pve2', bridges: ['vmbr0'] },
        { name: 'pve3', status: 'offline' },
      ],
      storages: [{ id: 'local-lvm', type: 'lvmthin', content: ['images'] }],
      vms: [
        { vmid: 9000, node: 'pve1', name: 'no-agent', template: true, config: { agent: '0' } },
        {
          vmid: 9001,
          node: 'pve2',
          name: 'no-cloudinit',
          template: true,
          config: { ide2: 'none,media=cdrom' },
        },
        { vmid: 9002, node: 'pve1', name: 'good', template: true },
      ],
    },
  });
  const config = mergeConfig({});
  const vm = (d: VmDefinition) => toVmSpec(d, `vms/${d.name}.yaml`, config);
  const specs = [
    vm({ name: 'a', target_node: 'pve1', clone: 'no-agent' }),
    vm({ name: 'b', target_node: 'pve2', clone: 'no-cloudinit', network: { bridge: 'vmbr9' } }),
    vm({
      name: 'c',
      target_node: 'pve1',
      clone: 'missing',
      disks: { scsi0: { size: '8G', storage: 'fast' } },
    }),
    vm({ name: 'd', target_node: 'pve3', clone: 'good' }),
    vm({ name: 'e', target_node: 'pve2', clone: 'good' }),
  ];
  const client = proxmoxClientFor(sim);
  report = await proxmoxDoctor(client, specs, memoryLogger());
  await client.close();
});
afterAll(() => sim.stop());

describe('doctor on a cluster set up wrong', () => {
  it('reports the release and every node with its status', () => {
    expect(report.pve).toEqual({
      version: '9.1.1',
      major: 9,
      nodes: [
        { name: 'pve1', status: 'online' },
        { name: 'pve2', status: 'online' },
        { name: 'pve3', status: 'offline' },
      ],
    });
  });

  it('names each template, bridge, storage and node problem in one sentence', () => {
    expect(report.ok).toBe(false);
    expect(report.problems.map((p) => p.message)).toEqual([
      'Template no-agent (9000 on pve1) has the guest agent off: `qm set 9000 --agent enabled=1`, with qemu-guest-agent installed in the image.',
      'Template no-cloudinit (9001 on pve2) has no cloud-init drive: `qm set 9001 --ide2 <storage>:cloudinit`.',
      'VM c: template missing does not exist in the cluster; make one (docs/proxmox.md, "A template for pve-gitops").',
      'Storage fast does not exist on node pve1 or is disabled.',
      'Bridge vmbr9 does not exist on node pve2 (used by b).',
      'Node pve3, named by d, is offline.',
    ]);
  });

  it('warns that a template on another node is cloned across nodes, and about excess rights', () => {
    expect(report.warnings.filter((w) => w.kind === 'template').map((w) => w.vm)).toEqual([
      'd',
      'e',
    ]);
    const excess = report.warnings.filter((w) => w.kind === 'excess-privilege');
    expect(excess.map((w) => [w.privilege, w.path])).toEqual([
      ['VM.GuestAgent.Unrestricted', '/'],
      ['Sys.Modify', '/'],
      ['Permissions.Modify', '/'],
    ]);
    expect(excess[0].message).toContain('runs any command as root in every guest');
  });
});
