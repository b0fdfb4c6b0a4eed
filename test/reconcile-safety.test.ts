import { describe, expect, it } from 'vitest';
import { memoryLogger } from '../actions/lib/log.js';
import { cloneVm } from '../actions/lib/proxmox/vm-operations.js';
import {
  closeHarnessesAfterEach,
  def,
  harness,
  like,
  simClient,
  type Harness,
} from './reconcile-helpers.js';

let h: Harness | undefined;
closeHarnessesAfterEach();

const names = (h: Harness) =>
  h.sim.cluster
    .vms()
    .filter((v) => !v.config.template)
    .map((v) => String(v.config.name))
    .sort();

describe('preflight stops everything before any change', () => {
  const cases: Array<[string, Parameters<typeof def>[2], RegExp]> = [
    [
      'missing bridge',
      { network: { bridge: 'vmbr7' } },
      /Preflight failed: VM big: bridge vmbr7 does not exist on node pve2\./,
    ],
    [
      'full storage',
      { disks: { scsi0: { size: '2T' } } },
      /Preflight failed: VM big: storage local-lvm on node pve2 has no room for disk scsi0 \(2T/,
    ],
    [
      'memory overcommit',
      { memory: 70_000 },
      /Preflight failed: Node pve2: memory for running VMs would reach 70000 MiB, over its limit/,
    ],
  ];
  for (const [what, over, message] of cases) {
    it(what, async () => {
      h = await harness();
      const before = h.mutations();
      await expect(h.apply([def('fine', 'pve1'), def('big', 'pve2', over)])).rejects.toThrow(
        message,
      );
      expect(h.mutations()).toBe(before);
      expect(names(h)).toEqual([]);
      // The plan a pull request shows carries the same refusal, so review sees it first.
      const planned = (await h.plan([def('fine', 'pve1'), def('big', 'pve2', over)])).plan;
      expect(planned.errors.map((e) => e.message)).toEqual([like.stringMatching(message)]);
    });
  }

  it('allows the same memory with an overcommit ratio', async () => {
    h = await harness({}, { nodes: [{ name: 'pve2', memory_overcommit: 1.5 }] });
    const plan = (await h.plan([def('big', 'pve2', { memory: 70_000 })])).plan;
    expect(plan.capacity.find((c) => c.node === 'pve2')).toMatchObject({
      memoryBefore: 0,
      memoryAfter: 70_000,
      memoryOvercommit: 1.5,
    });
  });
});

describe('failures and races', () => {
  it('rolls back a VM that fails after its clone while the other VMs are created', async () => {
    h = await harness({
      faults: {
        errors: [
          {
            method: 'POST',
            path: '/nodes/pve1/qemu/4242/status/start',
            status: 500,
            message: 'start failed: kvm exited',
          },
        ],
      },
    });
    const r = await h.apply([
      def('good-1'),
      def('bad', 'pve1', { vmid: 4242 }),
      def('good-2', 'pve2'),
    ]);
    expect(r.failed).toEqual([
      { vm: 'bad', error: like.stringMatching(/start failed: kvm exited/), rolledBack: true },
    ]);
    expect(r.message).toBe('1 of 3 VMs failed: bad; rolled back: bad.');
    expect(r.newHosts.map((n) => n.name).sort()).toEqual(['good-1', 'good-2']);
    expect(names(h)).toEqual(['good-1', 'good-2']);
    expect(h.sim.cluster.vm(4242)).toBeUndefined();
  });

  it('reports a clone failing part-way and that nothing is left; others are made', async () => {
    h = await harness({ faults: { cloneFailures: [{ name: 'bad', message: 'no space left' }] } });
    const r = await h.apply([def('good-1'), def('bad'), def('good-2', 'pve2')]);
    expect(r.failed).toEqual([
      { vm: 'bad', error: like.stringMatching(/clone failed: no space left/), rolledBack: true },
    ]);
    expect(r.message).toBe('1 of 3 VMs failed: bad; rolled back: bad.');
    expect(h.log.lines.join('\n')).toMatch(
      /bad: rolled back; Proxmox had already removed the partial VM \d+ on pve1, nothing is left/,
    );
    expect(r.newHosts.map((n) => n.name).sort()).toEqual(['good-1', 'good-2']);
    expect(names(h)).toEqual(['good-1', 'good-2']);
    expect(h.sim.cluster.vms().filter((v) => !v.config.template)).toHaveLength(2);
  });

  it(
    'says what to run when a killed clone leaves a locked VM, and the next plan does not ' +
      'duplicate it',
    async () => {
      h = await harness({ faults: { cloneFailures: [{ name: 'bad', leaveLocked: true }] } });
      const defs = [def('good-1'), def('bad'), def('good-2', 'pve2')];
      const r = await h.apply(defs);
      const partial = h.sim.cluster.vms().find((v) => v.config.name === 'bad')!;
      expect(partial.config.lock).toBe('clone');
      const run = `qm unlock ${partial.vmid} && qm destroy ${partial.vmid} --purge`;
      expect(r.failed).toEqual([
        {
          vm: 'bad',
          error: like.stringMatching(/clone failed/),
          rolledBack: false,
          leftover: { vmid: partial.vmid, node: 'pve1', run },
        },
      ]);
      expect(r.message).toBe(
        `1 of 3 VMs failed: bad; bad left VM ${partial.vmid} locked on pve1: run '${run}' there.`,
      );

      // The next run refuses to create a second 'bad' and repeats what to do.
      const vmsBefore = h.sim.cluster.vms().length;
      const next = await h.plan(defs);
      expect(next.plan.actions.filter((a) => a.kind !== 'noop')).toEqual([]);
      expect(next.plan.errors).toEqual([
        {
          vm: 'bad',
          message: like.stringContaining(
            `VMID ${partial.vmid} on pve1 carries this name and is locked (clone)`,
          ),
        },
      ]);
      expect(next.plan.errors[0].message).toContain(`'${run}' on pve1`);
      await expect(h.apply(defs)).rejects.toThrow(/locked \(clone\).*Nothing was changed\.$/);
      expect(h.sim.cluster.vms().length).toBe(vmsBefore);
    },
  );

  it('gets no VMID collision while another client creates VMs at the same time', async () => {
    h = await harness();
    const sim = h.sim;
    const other = simClient(sim, {
      log: memoryLogger(),
      retry: { attempts: 4, baseMs: 20, maxMs: 100 },
    });
    try {
      const theirs = Promise.all(
        [1, 2, 3, 4].map((i) =>
          cloneVm(other, { node: 'pve2', template: 9001, name: `theirs-${i}`, full: false }),
        ),
      );
      const ours = h.apply(
        ['a', 'b', 'c', 'd'].map((n, i) => def(`ours-${n}`, ['pve1', 'pve2', 'still-fawn'][i % 3])),
      );
      const [r, made] = await Promise.all([ours, theirs]);
      expect(r.failed).toEqual([]);
      const ids = [...r.newHosts.map((n) => n.vmid), ...made.map((m) => m.vmid)];
      expect(new Set(ids).size).toBe(8);
      expect(names(h)).toEqual([
        'ours-a',
        'ours-b',
        'ours-c',
        'ours-d',
        'theirs-1',
        'theirs-2',
        'theirs-3',
        'theirs-4',
      ]);
      for (const n of r.newHosts) expect(sim.cluster.vm(n.vmid)!.config.name).toBe(n.name);
    } finally {
      await other.close();
    }
  });

  it('refuses to touch an unowned VM with the same name', async () => {
    h = await harness();
    await h.apply([def('clash')]);
    const vm = h.sim.cluster.vms().find((v) => v.config.name === 'clash')!;
    vm.config.tags = 'hand-made';
    const before = h.mutations();
    await expect(h.apply([def('clash', 'pve1', { cores: 4 })])).rejects.toThrow(
      /VM clash: a VM with this name \(VMID \d+ on pve1\) exists but is not tagged pve-gitops/,
    );
    expect(h.mutations()).toBe(before);
  });

  it('recreates every VM on a reprovisioned node, keeping names and VMIDs', async () => {
    h = await harness();
    const defs = [def('sf-1', 'still-fawn'), def('sf-2', 'still-fawn'), def('p1', 'pve1')];
    await h.apply(defs);
    const ids = Object.fromEntries(h.sim.cluster.vms().map((v) => [String(v.config.name), v.vmid]));
    const r = await h.apply(defs, { reprovisionNode: 'still-fawn' });
    expect(r.failed).toEqual([]);
    expect(r.newHosts.map((n) => [n.name, n.vmid, n.node]).sort()).toEqual([
      ['sf-1', ids['sf-1'], 'still-fawn'],
      ['sf-2', ids['sf-2'], 'still-fawn'],
    ]);
    expect(r.plan.actions.find((a) => a.vm === 'p1')!.kind).toBe('noop');
    expect(h.sim.stats()['DELETE /nodes/{node}/qemu/{vmid}']).toBe(2);
  });
});
