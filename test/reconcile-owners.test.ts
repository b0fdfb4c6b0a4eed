// Two repositories on one cluster (issue 11): each tags its VMs pve-gitops-<owner_id>, and
// prune only ever touches its own; VMs tagged pve-gitops by older versions are still managed.
import { describe, expect, it } from 'vitest';
import { mergeConfig } from '../actions/lib/config/load.js';
import { applyRepository } from '../actions/lib/reconcile/apply.js';
import { toVmSpec } from '../actions/lib/vm/normalize.js';
import type { VmDefinition } from '../actions/lib/vm/types.js';
import { closeHarnessesAfterEach, def, harness, type Harness } from './reconcile-helpers.js';

closeHarnessesAfterEach();

/** applyRepository for a second repository (its own owner_id) against the harness's cluster. */
function applyAs(h: Harness, owner: string, defs: VmDefinition[], prune = true) {
  const config = mergeConfig({
    owner_id: owner,
    prune: { enabled: prune },
    health: { boot_grace_seconds: 1, agent_timeout_seconds: 2 },
  });
  const vms = defs.map((d) => toVmSpec(d, `vms/${d.name}.yaml`, config));
  return applyRepository(
    { config, vms },
    { client: h.client, log: h.log, env: {} },
    {
      agentWaitMs: 1_500,
    },
  );
}

const tagsOf = (h: Harness, name: string) =>
  String(h.sim.cluster.vms().find((v) => v.config.name === name)?.config.tags ?? '');

describe('repositories sharing a cluster', () => {
  it('tag their VMs with their owner id and never prune each other', async () => {
    const h = await harness();
    expect((await applyAs(h, 'team-a', [def('a-1'), def('a-2')])).failed).toEqual([]);
    expect((await applyAs(h, 'team-b', [def('b-1', 'pve2')])).failed).toEqual([]);
    expect(tagsOf(h, 'a-1')).toBe('pve-gitops-team-a');
    expect(tagsOf(h, 'b-1')).toBe('pve-gitops-team-b');

    // Each prunes with a file list that lacks the other's VMs: only its own file removal counts.
    const a = await applyAs(h, 'team-a', [def('a-1')]);
    expect(a.plan.actions.filter((x) => x.kind === 'delete').map((x) => x.vm)).toEqual(['a-2']);
    const b = await applyAs(h, 'team-b', [def('b-1', 'pve2')]);
    expect(b.plan.actions.filter((x) => x.kind !== 'noop')).toEqual([]);
    const names = h.sim.cluster
      .vms()
      .filter((v) => !v.config.template)
      .map((v) => String(v.config.name))
      .sort();
    expect(names).toEqual(['a-1', 'b-1']);
  });

  it("refuses a VM of another repository's name instead of taking it", async () => {
    const h = await harness();
    await applyAs(h, 'team-b', [def('shared')]);
    await expect(applyAs(h, 'team-a', [def('shared')])).rejects.toThrow(
      /VM shared: a VM with this name .* is not tagged pve-gitops-team-a/,
    );
  });

  it('manages a VM tagged pve-gitops by an older version, but never prunes one', async () => {
    const h = await harness();
    await h.apply([def('old-1'), def('old-2')]);
    expect(tagsOf(h, 'old-1')).toBe('pve-gitops');
    const r = await applyAs(h, 'team-a', [def('old-1')]);
    expect(r.failed).toEqual([]);
    // old-1 is recognised and moves to the repository's tag; old-2 may be another's: kept.
    expect(r.plan.actions.map((x) => `${x.kind}:${x.vm}`)).toEqual(['update:old-1']);
    expect(tagsOf(h, 'old-1')).toBe('pve-gitops-team-a');
    expect(tagsOf(h, 'old-2')).toBe('pve-gitops');
  });
});
