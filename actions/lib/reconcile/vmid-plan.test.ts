import { describe, expect, it } from 'vitest';
import { snapshot, spec, vmOf } from './fixtures.test-helpers.js';
import { plan } from './plan.js';
import { assignVmids, candidateVmids, nextCandidate } from './vmid-plan.js';

const range = { min: 1000, max: 1009 };

describe('VMIDs fixed before the clone', () => {
  it('derives the same id from the same name, whoever plans, within the range', () => {
    const first = assignVmids(['web', 'db'], snapshot(), range);
    const again = assignVmids(['db', 'web'], snapshot(), range);
    expect(again).toEqual(first);
    for (const id of first.values()) expect(id).toBeGreaterThanOrEqual(1000);
    for (const id of first.values()) expect(id).toBeLessThanOrEqual(1009);
    expect(new Set(first.values()).size).toBe(2);
    expect([...candidateVmids('web', range)].sort()).toEqual(
      Array.from({ length: 10 }, (_, i) => 1000 + i),
    );
  });

  it('skips ids of templates, of other VMs and of fixed vmids, but not of a nameless clone', () => {
    const want = [...candidateVmids('web', range)];
    const other = vmOf(spec('other'), want[0]);
    const fixed = want[1];
    const nameless = vmOf(spec('web'), want[2], { name: '' });
    const got = assignVmids(['web'], snapshot([other, nameless]), range, [fixed]);
    // A clone in progress shows no name yet: it may be this very VM, made by another run.
    expect(got.get('web')).toBe(want[2]);
    expect(nextCandidate('web', range, want[2], new Set([want[3]]))).toBe(want[4]);
  });

  it('puts the derived id in the plan for a VM without vmid, the file one otherwise', () => {
    const p = plan([spec('web'), spec('db', { vmid: 555 })], snapshot(), {
      prune: false,
      vmidRange: range,
    });
    const ids = Object.fromEntries(p.actions.map((a) => [a.vm, a.vmid]));
    expect(ids).toEqual({
      web: assignVmids(['web'], snapshot(), range, [555]).get('web'),
      db: 555,
    });
  });

  it('is a plan error, naming the setting, when the range is full', () => {
    const taken = [...candidateVmids('x', { min: 1000, max: 1001 })].map((id, i) =>
      vmOf(spec(`other-${i}`), id),
    );
    const p = plan([spec('web')], snapshot(taken), {
      prune: false,
      vmidRange: { min: 1000, max: 1001 },
    });
    expect(p.actions).toEqual([]);
    expect(p.errors).toEqual([
      {
        vm: 'web',
        message:
          'VM web: no free VMID is left in vmid_range 1000-1001; widen vmid_range in ' +
          'pve-gitops.yaml or set vmid in vms/web.yaml.',
      },
    ]);
  });
});
