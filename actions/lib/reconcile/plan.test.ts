import { describe, expect, it } from 'vitest';
import { node, snapshot, spec, vmOf } from './fixtures.test-helpers.js';
import { plan } from './plan.js';
import { preflight } from './preflight.js';

/** Asymmetric matchers typed as the strings they stand for. */
const like = {
  stringMatching: (re: RegExp) => expect.stringMatching(re) as string,
  stringContaining: (text: string) => expect.stringContaining(text) as string,
};

const kinds = (p: ReturnType<typeof plan>) =>
  p.actions.map((a) => `${a.kind}:${a.vm}${a.remedy ? `:${a.remedy}` : ''}`);

describe('plan', () => {
  it('creates missing VMs and marks them as new hosts', () => {
    const s = spec('web', { ipconfig0: 'ip=10.0.0.5/24,gw=10.0.0.1', staticIp: '10.0.0.5' });
    const p = plan([s], snapshot(), { prune: false });
    expect(kinds(p)).toEqual(['create:web']);
    expect(p.newHosts).toEqual([{ name: 'web', node: 'pve1', ip: '10.0.0.5', reason: 'create' }]);
    expect(p.hasChanges).toBe(true);
    const pve1 = p.capacity.find((c) => c.node === 'pve1')!;
    expect([pve1.memoryBefore, pve1.memoryAfter, pve1.vmsAfter]).toEqual([0, 2048, 1]);
  });

  it('is a no-op when the VM matches', () => {
    const s = spec('web');
    const p = plan([s], snapshot([vmOf(s, 100)]), { prune: false });
    expect(kinds(p)).toEqual(['noop:web']);
    expect(p.hasChanges).toBe(false);
  });

  it('marks cores on a running VM as a reboot change and memory with hotplug as hot', () => {
    const s = spec('web', { cores: 4, memory: 4096 });
    const vm = vmOf(spec('web'), 100);
    vm.config!.memoryHotplug = true;
    const p = plan([s], snapshot([vm]), { prune: false });
    const u = p.actions.find((a) => a.kind === 'update')!;
    expect(u.changes!.map((c) => `${c.field}:${c.from}->${c.to}:${c.mode}`)).toEqual([
      'cores:2->4:reboot',
      'memory:2048->4096:hot',
    ]);
    expect(u.pendingReboot).toBe(true);
  });

  it('marks cloud-init settings as reboot with a note, tags as hot', () => {
    const s = spec('web', { ciuser: 'admin', tags: ['pve-gitops', 'web'] });
    const p = plan([s], snapshot([vmOf(spec('web'), 100)]), { prune: false });
    const changes = p.actions[0].changes!;
    expect(changes.find((c) => c.field === 'ciuser')).toMatchObject({
      mode: 'reboot',
      note: like.stringContaining('cloud-init'),
    });
    expect(changes.find((c) => c.field === 'tags')).toMatchObject({
      from: 'pve-gitops',
      to: 'pve-gitops;web',
      mode: 'hot',
    });
  });

  it('grows disks and refuses to shrink them, naming VM and disk', () => {
    const grown = plan(
      [
        spec('db', {
          disks: [{ slot: 'scsi0', size: '64G', sizeBytes: 64 * 2 ** 30, storage: 'local-lvm' }],
        }),
      ],
      snapshot([vmOf(spec('db'), 100)]),
      { prune: false },
    );
    expect(grown.actions[0]).toMatchObject({
      kind: 'resize',
      disks: [{ slot: 'scsi0', from: '32G', to: '64G' }],
    });
    const shrunk = plan(
      [
        spec('db', {
          disks: [{ slot: 'scsi0', size: '16G', sizeBytes: 16 * 2 ** 30, storage: 'local-lvm' }],
        }),
      ],
      snapshot([vmOf(spec('db'), 100)]),
      { prune: false },
    );
    expect(shrunk.errors[0].message).toMatch(/^VM db: disk scsi0 is 32G and cannot shrink to 16G/);
  });

  it('replaces on a template or storage change, and on --recreate', () => {
    const old = vmOf(spec('web'), 100);
    expect(
      kinds(plan([spec('web', { template: 'debian-12' })], snapshot([old]), { prune: false })),
    ).toEqual(['replace:web']);
    const moved = spec('web', {
      disks: [{ slot: 'scsi0', size: '32G', sizeBytes: 32 * 2 ** 30, storage: 'ceph' }],
    });
    expect(plan([moved], snapshot([old]), { prune: false }).actions[0].reason).toMatch(
      /moves from storage local-lvm to ceph/,
    );
    const p = plan([spec('web')], snapshot([old]), { prune: false, recreate: ['web'] });
    expect(p.actions[0]).toMatchObject({
      kind: 'replace',
      vmid: 100,
      reason: 'requested by --recreate',
    });
    expect(p.newHosts[0]).toMatchObject({ name: 'web', vmid: 100, reason: 'replace' });
  });

  it('migrates on a node change, online when running, but not HA-managed VMs', () => {
    const vm = vmOf(spec('web'), 100);
    const p = plan([spec('web', { node: 'pve2' })], snapshot([vm]), { prune: false });
    expect(p.actions[0]).toMatchObject({ kind: 'migrate', from: 'pve1', to: 'pve2', online: true });
    const ha = plan([spec('web', { node: 'pve2' })], snapshot([{ ...vm, hastate: 'started' }]), {
      prune: false,
    });
    expect(kinds(ha)).toEqual(['noop:web']);
    expect(ha.findings[0].message).toMatch(/HA-managed and runs on pve1; the definition says pve2/);
  });

  it('heals power state: stopped → start, paused → resume, hung → reset then recreate', () => {
    const s = spec('web');
    expect(
      kinds(plan([s], snapshot([vmOf(s, 100, { status: 'stopped' })]), { prune: false })),
    ).toEqual(['remediate:web:start']);
    expect(
      kinds(plan([s], snapshot([vmOf(s, 100, { status: 'paused' })]), { prune: false })),
    ).toEqual(['remediate:web:resume']);
    const hung = plan([s], snapshot([vmOf(s, 100, { agent: 'silent', uptime: 900 })]), {
      prune: false,
    });
    expect(hung.actions[0]).toMatchObject({
      kind: 'remediate',
      remedy: 'reset',
      escalation: 'recreate',
    });
    // Within boot grace, a silent agent is not yet hung.
    expect(
      kinds(plan([s], snapshot([vmOf(s, 100, { agent: 'silent', uptime: 60 })]), { prune: false })),
    ).toEqual(['noop:web']);
    const restart = plan(
      [spec('web', { remediation: 'restart' })],
      snapshot([vmOf(s, 100, { agent: 'silent', uptime: 900 })]),
      { prune: false },
    );
    expect(restart.actions[0].escalation).toBeUndefined();
  });

  it('only reports unhealthy protected VMs and skips locked ones', () => {
    const s = spec('db', { protected: true });
    const p = plan([s], snapshot([vmOf(s, 100, { status: 'stopped' })]), { prune: false });
    expect(kinds(p)).toEqual(['noop:db']);
    expect(p.findings[0].message).toMatch(/protected, so only reported/);
    const locked = plan(
      [spec('web', { cores: 8 })],
      snapshot([vmOf(spec('web'), 101, { lock: 'backup' })]),
      { prune: false },
    );
    expect(locked.actions).toEqual([]);
    expect(locked.findings[0]).toMatchObject({
      level: 'warning',
      message: like.stringMatching(/holds lock 'backup'/),
    });
    expect(
      plan([s], snapshot([vmOf(s, 100)]), { prune: false, recreate: ['db'] }).errors[0].message,
    ).toMatch(/protected/);
  });

  it('treats unowned VMs colliding by name or VMID as conflicts', () => {
    const foreign = vmOf(spec('web'), 100, { tags: ['prod'] });
    expect(plan([spec('web')], snapshot([foreign]), { prune: false }).errors[0].message).toMatch(
      /not tagged pve-gitops; pve-gitops will not touch it/,
    );
    const other = vmOf(spec('legacy'), 150, { tags: [] });
    expect(
      plan([spec('web', { vmid: 150 })], snapshot([other]), { prune: false }).errors[0].message,
    ).toMatch(/VMID 150 is taken by VM 'legacy'/);
  });

  it('deletes owned VMs without a file only with prune, never untagged ones', () => {
    const owned = vmOf(spec('gone'), 120);
    const foreign = vmOf(spec('manual'), 121, { tags: [] });
    expect(kinds(plan([], snapshot([owned, foreign]), { prune: false }))).toEqual([]);
    expect(kinds(plan([], snapshot([owned, foreign]), { prune: true }))).toEqual(['delete:gone']);
    const guarded = vmOf(spec('gone'), 120);
    guarded.config!.protection = true;
    expect(kinds(plan([], snapshot([guarded]), { prune: true }))).toEqual([]);
  });

  it('replaces every managed VM on a reprovisioned node, protected ones excepted', () => {
    const a = spec('a', { node: 'pve2' });
    const b = spec('b', { node: 'pve2', protected: true });
    const c = spec('c');
    const p = plan([a, b, c], snapshot([vmOf(a, 100), vmOf(b, 101), vmOf(c, 102)]), {
      prune: false,
      reprovisionNode: 'pve2',
    });
    expect(kinds(p)).toEqual(['replace:a', 'noop:c']);
    expect(p.findings[0].message).toMatch(/VM b is protected/);
  });

  it('limits the plan to --only VMs and rejects unknown names', () => {
    const p = plan([spec('a'), spec('b')], snapshot(), { prune: false, only: ['b'] });
    expect(kinds(p)).toEqual(['create:b']);
    expect(
      plan([spec('a')], snapshot(), { prune: false, only: ['zzz'] }).errors[0].message,
    ).toMatch(/VM zzz named on the command line/);
  });
});

describe('preflight', () => {
  it('passes a plan that fits', () => {
    const p = plan([spec('web')], snapshot(), { prune: false });
    expect(preflight(p, [spec('web')], snapshot())).toEqual([]);
  });

  it('names the VM and the missing bridge, storage room, memory and template', () => {
    const big = spec('big', {
      memory: 70_000,
      network: { bridge: 'vmbr9', model: 'virtio', firewall: false },
      disks: [{ slot: 'scsi0', size: '2T', sizeBytes: 2 * 2 ** 40, storage: 'local-lvm' }],
      template: 'nope',
    });
    const snap = snapshot();
    const failures = preflight(plan([big], snap, { prune: false }), [big], snap).map(
      (f) => f.message,
    );
    expect(failures).toEqual([
      'VM big: bridge vmbr9 does not exist on node pve1.',
      like.stringMatching(
        /^VM big: storage local-lvm on node pve1 has no room for disk scsi0 \(2T/,
      ),
      'VM big: template nope does not exist in the cluster.',
      like.stringMatching(
        /^Node pve1: memory for running VMs would reach 70000 MiB, over its limit of 65536 MiB/,
      ),
    ]);
  });

  it('honours the overcommit ratio and storage room across several VMs', () => {
    const vms = [spec('a', { memory: 40_000 }), spec('b', { memory: 40_000 })];
    const snap = snapshot();
    expect(preflight(plan(vms, snap, { prune: false }), vms, snap)).toHaveLength(1);
    expect(
      preflight(plan(vms, snap, { prune: false, memoryOvercommit: { pve1: 1.5 } }), vms, snap),
    ).toEqual([]);
  });

  it('rejects an offline node, inactive bridge and a static IP in use', () => {
    const snap = snapshot(
      [vmOf(spec('old', { ipconfig0: 'ip=10.0.0.5/24' }), 100)],
      [
        node('pve1', { bridges: { vmbr0: { active: false } } }),
        node('pve2', { status: 'offline' }),
      ],
    );
    const a = spec('a', { ipconfig0: 'ip=10.0.0.5/24', staticIp: '10.0.0.5' });
    const b = spec('b', { node: 'pve2' });
    const msgs = preflight(plan([a, b], snap, { prune: false }), [a, b], snap).map(
      (f) => f.message,
    );
    expect(msgs).toContain('VM a: bridge vmbr0 on node pve1 is not active.');
    expect(msgs).toContain('VM a: static IP 10.0.0.5 is already used by VM old (100) on pve1.');
    expect(msgs).toContain('VM b: node pve2 is offline.');
  });
});
