import { describe, expect, it } from 'vitest';
import { snapshot, spec, vmOf } from './fixtures.test-helpers.js';
import { plan } from './plan.js';

const kinds = (p: ReturnType<typeof plan>) => p.actions.map((a) => `${a.kind}:${a.vm}`);

describe('prune', () => {
  it('keeps the VM of an excluded file: excluded means not managed, never absent', () => {
    const kept = vmOf(spec('legacy'), 120);
    const gone = vmOf(spec('old'), 121);
    const p = plan([spec('web')], snapshot([vmOf(spec('web'), 100), kept, gone]), {
      prune: true,
      excluded: ['legacy'],
    });
    expect(kinds(p)).toEqual(['noop:web', 'delete:old']);
    expect(p.findings).toEqual([
      expect.objectContaining({
        vm: 'legacy',
        message: expect.stringContaining('excluded by `exclude`') as string,
      }),
    ]);
  });

  it('refuses to delete more than prune.max_deletes VMs unless confirmed for the run', () => {
    const vms = ['a', 'b', 'c'].map((n, i) => vmOf(spec(n), 200 + i));
    const capped = plan([], snapshot(vms), { prune: true, maxDeletes: 2 });
    expect(capped.errors).toEqual([
      {
        message:
          'Prune would delete 3 VMs (a, b, c), more than prune.max_deletes (2) allows in one ' +
          'run; if that is meant, run again with --allow-deletes 3 (dispatch input allow-deletes).',
      },
    ]);
    expect(plan([], snapshot(vms), { prune: true, maxDeletes: 2, allowDeletes: 3 }).errors).toEqual(
      [],
    );
    expect(plan([], snapshot(vms.slice(0, 2)), { prune: true, maxDeletes: 2 }).errors).toEqual([]);
  });
});

describe('half-made VMs', () => {
  it('completes a VM an interrupted apply cloned (owner mark, building) instead of refusing it', () => {
    const s = spec('web');
    const half = vmOf(s, 4321, { tags: [], status: 'stopped' });
    half.config = { ...half.config!, tags: [], owner: 'pve-gitops', building: true };
    const p = plan([s], snapshot([half]), { prune: false });
    expect(p.errors).toEqual([]);
    expect(p.actions).toEqual([
      expect.objectContaining({ kind: 'create', vm: 'web', vmid: 4321, resume: true }),
    ]);
    expect(p.newHosts).toEqual([expect.objectContaining({ name: 'web', vmid: 4321 })]);
  });

  it('still refuses a finished VM whose tag was removed (that releases it)', () => {
    const s = spec('web');
    const released = vmOf(s, 4321, { tags: [] });
    released.config = { ...released.config!, tags: [], owner: 'pve-gitops' };
    const p = plan([s], snapshot([released]), { prune: false });
    expect(p.errors[0].message).toMatch(/exists but is not tagged pve-gitops/);
  });
});
