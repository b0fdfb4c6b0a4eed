import { describe, expect, it } from 'vitest';
import {
  agentProbes,
  ageVm,
  closeHarnessesAfterEach,
  def,
  harness,
  like,
  rebootVm,
  type Harness,
} from './reconcile-helpers.js';

let h: Harness | undefined;
closeHarnessesAfterEach();

const vmNamed = (h: Harness, name: string) =>
  h.sim.cluster.vms().find((v) => v.config.name === name)!;

describe('health remediation on the simulator', () => {
  it('starts a stopped VM and never destroys it', async () => {
    h = await harness();
    await h.apply([def('sleepy')]);
    const vm = vmNamed(h, 'sleepy');
    const { createdAt, vmid } = vm;
    vm.status = 'stopped';
    vm.qmpstatus = 'stopped';
    vm.startedAt = undefined;
    const r = await h.apply([def('sleepy')]);
    expect(r.plan.actions.map((a) => `${a.kind}:${a.remedy}`)).toEqual(['remediate:start']);
    expect(r.failed).toEqual([]);
    expect(r.newHosts).toEqual([]);
    expect(h.sim.cluster.vm(vmid)!.status).toBe('running');
    expect(h.sim.cluster.vm(vmid)!.createdAt).toBe(createdAt);
    expect(h.sim.stats()['DELETE /nodes/{node}/qemu/{vmid}'] ?? 0).toBe(0);
    // The agent answered in the boot apply started: recorded, so plans need not ask again.
    const boot = Math.round((h.sim.cluster.vm(vmid)!.startedAt ?? 0) / 1000);
    const recorded = Number(/agent-ok=(\d+)/.exec(String(vm.config.description))?.[1]);
    expect(Math.abs(recorded - boot)).toBeLessThanOrEqual(2);
  });

  it('resumes a paused VM', async () => {
    h = await harness();
    await h.apply([def('frozen')]);
    const { vmid } = vmNamed(h, 'frozen');
    h.sim.cluster.setQmpStatus(vmid, 'paused');
    const r = await h.apply([def('frozen')]);
    expect(r.plan.actions.map((a) => `${a.kind}:${a.remedy}`)).toEqual(['remediate:resume']);
    expect(h.sim.cluster.vm(vmid)!.qmpstatus).toBe('running');
  });

  it('only reports a stopped protected VM', async () => {
    h = await harness();
    await h.apply([def('vault', 'pve1', { protected: true })]);
    const vm = vmNamed(h, 'vault');
    vm.status = 'stopped';
    vm.qmpstatus = 'stopped';
    const before = h.mutations();
    const r = await h.apply([def('vault', 'pve1', { protected: true })]);
    expect(r.plan.hasChanges).toBe(false);
    expect(r.plan.findings.map((f) => f.message)).toEqual([
      like.stringMatching(
        /VM vault: stopped; definition says running; protected, so only reported/,
      ),
    ]);
    expect(h.mutations()).toBe(before);
  });

  it('resets a VM hung at boot, then recreates it (same VMID) if the reset fails', async () => {
    h = await harness();
    await h.apply([def('stuck', 'pve2', { ipconfig0: 'ip=127.0.20.7/24' })]);
    const { vmid, createdAt } = vmNamed(h, 'stuck');
    // Created ten minutes ago; it rebooted since and hangs in this boot, past the 1 s grace.
    ageVm(h, vmid, 600);
    h.sim.setFaults({ hangAtBoot: ['stuck'] });
    rebootVm(h, vmid, 2);
    const planned = (await h.plan([def('stuck', 'pve2', { ipconfig0: 'ip=127.0.20.7/24' })])).plan;
    expect(planned.actions[0]).toMatchObject({
      kind: 'remediate',
      remedy: 'reset',
      escalation: 'recreate',
      reason: like.stringMatching(/^hung: guest agent silent/),
    });
    // The hang lives in the old disk: once the VM is destroyed, the new one boots.
    const healer = setInterval(() => {
      if (!h?.sim.cluster.vm(vmid)) h?.sim.setFaults({});
    }, 5);
    try {
      const r = await h.apply([def('stuck', 'pve2', { ipconfig0: 'ip=127.0.20.7/24' })]);
      expect(r.failed).toEqual([]);
      expect(r.newHosts).toEqual([
        { name: 'stuck', vmid, node: 'pve2', ip: '127.0.20.7', new: true },
      ]);
    } finally {
      clearInterval(healer);
    }
    expect(h.sim.stats()['POST /nodes/{node}/qemu/{vmid}/status/reset']).toBe(1);
    const now = h.sim.cluster.vm(vmid)!;
    expect(now.config.name).toBe('stuck');
    expect(now.createdAt).toBeGreaterThan(createdAt);
    expect(h.log.lines.join('\n')).toMatch(
      /stuck: still hung after the reset; recreating it with VMID/,
    );
  });

  it('with remediation restart, only resets and fails when the VM stays hung', async () => {
    h = await harness();
    const d = def('restarty', 'pve1', { remediation: 'restart' });
    await h.apply([d]);
    const { vmid } = vmNamed(h, 'restarty');
    ageVm(h, vmid, 600);
    h.sim.setFaults({ hangAtBoot: [vmid] });
    rebootVm(h, vmid, 2);
    const r = await h.apply([d]);
    expect(r.failed).toEqual([
      {
        vm: 'restarty',
        error: like.stringMatching(/still hung after a reset/),
        rolledBack: false,
      },
    ]);
    expect(h.sim.cluster.vm(vmid)).toBeDefined();
  });

  it('skips the probe in a boot apply saw answer, and probes after a reboot', async () => {
    h = await harness();
    const defs = [def('calm-1'), def('calm-2', 'pve2'), def('calm-3', 'still-fawn')];
    await h.apply(defs);
    const [one, two, three] = ['calm-1', 'calm-2', 'calm-3'].map((n) => vmNamed(h!, n).vmid);
    for (const vmid of [one, two, three]) ageVm(h, vmid, 600); // well past the boot grace
    expect(String(h.sim.cluster.vm(one)!.config.description)).toMatch(/agent-ok=\d+ -->$/);

    let before = agentProbes(h);
    let read = await h.plan(defs);
    expect(read.plan.hasChanges).toBe(false);
    expect(agentProbes(h) - before).toBe(0);
    expect(read.snapshot.vms.map((v) => v.agent)).toEqual(['recorded', 'recorded', 'recorded']);

    // calm-2 rebooted (outside the tool); calm-3's notes lost the record (edited by hand).
    rebootVm(h, two, 30);
    const desc = String(h.sim.cluster.vm(three)!.config.description);
    h.sim.cluster.vm(three)!.config.description = desc.replace(/ agent-ok=\d+/, '');
    before = agentProbes(h);
    read = await h.plan(defs);
    expect(read.plan.hasChanges).toBe(false);
    expect(agentProbes(h) - before).toBe(2);
    const agent = Object.fromEntries(read.snapshot.vms.map((v) => [v.name, v.agent]));
    expect(agent).toEqual({ 'calm-1': 'recorded', 'calm-2': 'ok', 'calm-3': 'ok' });

    // The same reboot, hung this time: found although the earlier boot was recorded healthy.
    h.sim.setFaults({ agentSilent: ['calm-2'] });
    read = await h.plan(defs);
    expect(read.plan.actions.find((a) => a.vm === 'calm-2')).toMatchObject({
      kind: 'remediate',
      remedy: 'reset',
    });
  });
});
