import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryLogger } from '../actions/lib/log.js';
import { cloneVm, ProxmoxClient, ProxmoxTaskError } from '../actions/lib/proxmox/index.js';
import { startProxmoxSim, type ProxmoxSim } from '../sim/proxmox/index.js';
import { proxmoxClientFor } from '../sim/proxmox/client-for.js';

// The failures users of other Proxmox clients report most (VMID races, storage-lock
// timeouts, failed clones), reproduced on the simulator at 1/50 of real durations.
let sim: ProxmoxSim;
beforeAll(async () => {
  sim = await startProxmoxSim({ timeScale: 0.02 });
});
afterAll(() => sim?.stop());

const client = (log = memoryLogger()): ProxmoxClient => proxmoxClientFor(sim, { log });

describe('clones under contention', () => {
  it('two clients cloning at once end with distinct VMIDs and no failures', async () => {
    const log = memoryLogger();
    const a = client(log);
    const b = client(log);
    const names = Array.from({ length: 8 }, (_, i) => `race-${i}`);
    const made = await Promise.all(
      names.map((name, i) =>
        cloneVm(i % 2 ? a : b, { node: 'pve1', template: 9000, name, full: false }),
      ),
    );
    await Promise.all([a.close(), b.close()]);
    expect(new Set(made.map((m) => m.vmid)).size).toBe(8);
    // Both allocators start from the same /cluster/nextid answer, so ids do collide.
    expect(log.lines.filter((l) => l.includes('was taken by someone else')).length).toBeGreaterThan(
      0,
    );
    const vms = await (async () => {
      const c = client();
      const r = await c.clusterResources('vm');
      await c.close();
      return r;
    })();
    for (const m of made)
      expect(vms.find((v) => v.vmid === m.vmid)?.name).toBe(names[made.indexOf(m)]);
  });

  it('six full clones onto one storage all succeed', async () => {
    const c = client();
    const made = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) =>
        cloneVm(c, {
          node: 'pve1',
          template: 9000,
          name: `full-${i}`,
          full: true,
          storage: 'local-lvm',
        }),
      ),
    );
    await c.close();
    expect(made.filter((r) => r.status === 'rejected')).toEqual([]);
  });

  it('retries a clone whose task timed out on a storage lock someone else held', async () => {
    // Held for 15 s (scaled): longer than the 10 s PVE waits for the lock.
    sim.setFaults({ storageLocks: [{ storage: 'local-lvm', node: 'pve2', seconds: 15 }] });
    const log = memoryLogger();
    const c = client(log);
    const made = await cloneVm(c, {
      node: 'pve2',
      template: 9001,
      name: 'after-lock',
      full: true,
      storage: 'local-lvm',
    });
    await c.close();
    sim.setFaults({});
    expect(made.vmid).toBeGreaterThanOrEqual(100);
    expect(log.lines.some((l) => /hit a transient error .*got timeout/.test(l))).toBe(true);
  });

  it('reports a clone that failed part-way with the tail of its task log', async () => {
    sim.setFaults({ cloneFailures: [{ name: 'broken', count: 1 }] });
    const c = client();
    const err = (await cloneVm(c, {
      node: 'pve1',
      template: 9000,
      name: 'broken',
      full: true,
      storage: 'local-lvm',
    }).catch((e: unknown) => e)) as ProxmoxTaskError;
    await c.close();
    sim.setFaults({});
    expect(err).toBeInstanceOf(ProxmoxTaskError);
    expect(err.message).toMatch(
      /^Proxmox task clone of VM 9000 on pve1 to VM \d+ failed: clone failed: /,
    );
    expect(err.logTail.some((l) => l.includes('create full clone'))).toBe(true);
  });

  it('retries a clone answered with 596 by the proxy', async () => {
    sim.setFaults({
      errors: [
        {
          method: 'POST',
          path: 'nodes/*/qemu/*/clone',
          status: 596,
          message: 'Connection timed out',
          count: 1,
        },
      ],
    });
    const c = client();
    const made = await cloneVm(c, { node: 'pve1', template: 9000, name: 'after-596', full: false });
    await c.close();
    sim.setFaults({});
    expect(made.vmid).toBeGreaterThanOrEqual(100);
  });
});
