import { describe, expect, it } from 'vitest';
import {
  closeHarnessesAfterEach,
  def,
  harness,
  like,
  PASSWORD,
  type Harness,
} from './reconcile-helpers.js';

let h: Harness | undefined;
closeHarnessesAfterEach();

describe('apply on the simulator', () => {
  it('creates VMs with every setting, then a second apply changes nothing', async () => {
    h = await harness();
    const defs = [
      def('web-1', 'pve1', {
        ipconfig0: 'ip=127.0.10.5/24,gw=127.0.10.1',
        sshkeys:
          'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB key one\nssh-ed25519 ' +
          'AAAAC3NzaC1lZDI1NTE5AAAAIC key two',
        tags: ['web'],
        description: 'front end',
        disks: { scsi0: { size: '10G' } },
      }),
      def('web-2', 'pve2'),
      def('db-1', 'still-fawn', {
        cores: 2,
        memory: 2048,
        disks: { scsi0: { size: '8G' }, scsi1: { size: '4G' } },
      }),
    ];
    const first = await h.apply(defs);
    expect(first.failed).toEqual([]);
    expect(first.newHosts.map((n) => [n.name, n.node, n.new]).sort()).toEqual([
      ['db-1', 'still-fawn', true],
      ['web-1', 'pve1', true],
      ['web-2', 'pve2', true],
    ]);
    expect(first.newHosts.find((n) => n.name === 'web-1')!.ip).toBe('127.0.10.5');
    expect(first.newHosts.find((n) => n.name === 'web-2')!.ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);

    const web1 = h.sim.cluster.vms().find((v) => v.config.name === 'web-1')!;
    expect(web1.status).toBe('running');
    expect(String(web1.config.tags)).toBe('pve-gitops;web');
    expect(String(web1.config.sshkeys)).toBe(
      encodeURIComponent(
        'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB key one\nssh-ed25519 ' +
          'AAAAC3NzaC1lZDI1NTE5AAAAIC key two',
      ),
    );
    expect(String(web1.config.scsi0)).toMatch(/size=10G/);
    expect(web1.config.cipassword).toBeDefined();
    const db = h.sim.cluster.vms().find((v) => v.config.name === 'db-1')!;
    expect(String(db.config.scsi1)).toMatch(/^local-lvm:.*size=4G/);
    // The password never reaches a log line.
    expect(h.log.lines.join('\n')).not.toContain(PASSWORD);
    expect(h.log.lines.some((l) => /web-1: create done in \d+\.\d s \(clone/.test(l))).toBe(true);

    const before = h.mutations();
    const second = await h.apply(defs);
    expect(second.message).toBe('All 3 VMs healthy, no action needed');
    expect(h.mutations()).toBe(before);
    expect(second.plan.summary.noop).toBe(3);
  });

  it('grows a disk, reports cores on a running VM pending reboot, refuses a shrink', async () => {
    h = await harness();
    await h.apply([def('app')]);
    const grown = await h.apply([
      def('app', 'pve1', { cores: 2, disks: { scsi0: { size: '16G' } } }),
    ]);
    expect(grown.failed).toEqual([]);
    expect(grown.plan.actions.map((a) => a.kind).sort()).toEqual(['resize', 'update']);
    expect(grown.pendingReboot).toEqual(['app']);
    const vm = h.sim.cluster.vms().find((v) => v.config.name === 'app')!;
    expect(String(vm.config.scsi0)).toMatch(/size=16G/);
    // Cores wait for the reboot: Proxmox holds them as pending, the running VM keeps 1.
    expect(String(vm.pending.cores)).toBe('2');
    expect(String(vm.config.cores)).toBe('1');
    const plan = (
      await h.plan([def('app', 'pve1', { cores: 2, disks: { scsi0: { size: '16G' } } })])
    ).plan;
    expect(plan.hasChanges).toBe(false);

    const before = h.mutations();
    await expect(
      h.apply([def('app', 'pve1', { cores: 2, disks: { scsi0: { size: '8G' } } })]),
    ).rejects.toThrow(/VM app: disk scsi0 is 16G and cannot shrink to 8G/);
    expect(h.mutations()).toBe(before);
  });

  it('migrates a VM whose node changed, and leaves an HA-moved VM where HA put it', async () => {
    h = await harness();
    await h.apply([def('mover'), def('ha-vm')]);
    const ha = h.sim.cluster.vms().find((v) => v.config.name === 'ha-vm')!;
    ha.ha = true;
    ha.node = 'pve2'; // HA moved it
    const r = await h.apply([def('mover', 'pve2'), def('ha-vm')]);
    expect(r.failed).toEqual([]);
    expect(r.plan.actions.filter((a) => a.kind !== 'noop').map((a) => `${a.kind}:${a.vm}`)).toEqual(
      ['migrate:mover'],
    );
    expect(r.plan.findings.map((f) => f.message).join('\n')).toMatch(
      /ha-vm is HA-managed and runs on pve2; the definition says pve1/,
    );
    expect(h.sim.cluster.vms().find((v) => v.config.name === 'mover')!.node).toBe('pve2');
  });

  it('prunes only owned VMs, and only with prune on', async () => {
    h = await harness();
    await h.apply([def('keep'), def('old')]);
    const foreign = h.sim.cluster.vms().find((v) => v.config.name === 'old')!;
    // A VM someone made by hand, without the owner tag.
    h.sim.cluster.state.vms['777'] = {
      ...structuredClone(foreign),
      vmid: 777,
      config: { ...structuredClone(foreign.config), name: 'manual', tags: 'prod' },
    };
    const without = await h.apply([def('keep')]);
    expect(without.plan.hasChanges).toBe(false);
    expect(h.sim.cluster.vms().some((v) => v.config.name === 'old')).toBe(true);
    const pruned = await h.apply([def('keep')], { prune: true });
    expect(pruned.plan.actions.filter((a) => a.kind === 'delete').map((a) => a.vm)).toEqual([
      'old',
    ]);
    const names = h.sim.cluster.vms().map((v) => v.config.name);
    expect(names).not.toContain('old');
    expect(names).toContain('manual');
  });
});

describe('young VMs', () => {
  it('recognises a VM too new for cluster/resources to show its name; no second one', async () => {
    const { defaultFixture } = await import('../sim/proxmox/fixture.js');
    h = await harness({ fixture: { ...defaultFixture, timings: { statsWindow: 600_000 } } });
    await h.apply([def('fresh')]);
    const r = await h.apply([def('fresh')]);
    expect(r.plan.summary.create).toBe(0);
    expect(r.plan.findings.map((f) => f.message)).toEqual([
      like.stringMatching(/VM fresh \(\d+\) is in state 'unknown'; skipped this run/),
    ]);
    expect(r.message).toBe('No action needed for 1 VMs, but 1 warning above');
    expect(h.sim.cluster.vms().filter((v) => v.config.name === 'fresh')).toHaveLength(1);
  });
});
