import { describe, expect, it } from 'vitest';
import { ProxmoxClient } from './client.js';
import { fakeClock } from './clock.js';
import { ProxmoxApiError } from './errors.js';
import type { HttpMethod, Params, Transport } from './transport.js';
import { cloneVm } from './vm-operations.js';

/**
 * A tiny in-memory cluster that behaves like PVE where it matters here: nextid without a
 * reservation, clone answering "already exists", tasks that finish, `lock: clone` for a poll.
 */
function cluster(
  opts: { takenBySomeoneElse?: number[]; lockFailures?: number; firstCloneLost?: boolean } = {},
) {
  const vms = new Map<number, { name?: string; tags?: string; lock?: string }>([
    [9000, { name: 'tpl', tags: 'pve-gitops' }],
  ]);
  let lockFailures = opts.lockFailures ?? 0;
  let lose = opts.firstCloneLost ?? false;
  const clones: number[] = [];
  const err = (status: number, message: string, errors?: Record<string, string>) =>
    new ProxmoxApiError({ status, message, method: 'X', path: 'p', errors });
  const answer = (method: HttpMethod, path: string, params?: Params): unknown => {
    if (path === '/cluster/nextid') {
      if (params?.vmid !== undefined) {
        const id = Number(params.vmid);
        if (vms.has(id))
          throw err(400, 'Parameter verification failed.', { vmid: `VM ${id} already exists` });
        return String(id);
      }
      let id = 100;
      while (vms.has(id)) id++;
      return String(id);
    }
    const clone = /^\/nodes\/pve1\/qemu\/9000\/clone$/.exec(path);
    if (clone && method === 'POST') {
      const newid = Number(params!.newid);
      // Someone else's clone lands on the id between our nextid check and our clone.
      if (opts.takenBySomeoneElse?.includes(newid)) vms.set(newid, { name: 'theirs' });
      if (vms.has(newid))
        throw err(500, `unable to create VM ${newid}: config file already exists`);
      if (lockFailures-- > 0) throw err(500, 'VM is locked (clone)');
      clones.push(newid);
      vms.set(newid, { name: String(params!.name), tags: 'pve-gitops', lock: 'clone' });
      if (lose) {
        lose = false;
        throw err(596, 'Connection timed out');
      }
      return `UPID:pve1:00000001:00000002:65000000:qmclone:9000:root@pam:`;
    }
    if (path.endsWith('/status')) return { status: 'stopped', exitstatus: 'OK' };
    const cfg = /^\/nodes\/pve1\/qemu\/(\d+)\/config$/.exec(path);
    if (cfg) {
      const vm = vms.get(Number(cfg[1]));
      if (!vm)
        throw err(500, `Configuration file 'nodes/pve1/qemu-server/${cfg[1]}.conf' does not exist`);
      const out = { ...vm };
      delete vm.lock; // unlocked from the next read on
      return out;
    }
    throw err(501, `Method '${method} ${path}' not implemented`);
  };
  const transport: Transport = {
    description: 'memory',
    request: (m, p, q) => {
      try {
        return Promise.resolve(answer(m, p, q));
      } catch (e) {
        return Promise.reject(e instanceof Error ? e : new Error(String(e)));
      }
    },
    close: () => Promise.resolve(),
  };
  return { transport, vms, clones };
}

describe('cloneVm', () => {
  it('allocates distinct ids for concurrent clones and waits for the lock to go', async () => {
    const c = cluster();
    const client = new ProxmoxClient({ transport: c.transport, clock: fakeClock() });
    const made = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        cloneVm(client, {
          node: 'pve1',
          template: 9000,
          name: `vm${i}`,
          full: true,
          storage: 'local-lvm',
        }),
      ),
    );
    expect(made.map((m) => m.vmid).sort()).toEqual([100, 101, 102, 103, 104]);
    expect([...c.vms.values()].every((v) => !v.lock)).toBe(true);
  });

  it('moves to a new id when another client took the allocated one', async () => {
    const c = cluster({ takenBySomeoneElse: [100] });
    const client = new ProxmoxClient({ transport: c.transport, clock: fakeClock() });
    const made = await cloneVm(client, {
      node: 'pve1',
      template: 9000,
      name: 'web',
      ownerTag: 'pve-gitops',
    });
    expect(made.vmid).toBe(101);
    expect(c.vms.get(100)!.name).toBe('theirs');
  });

  it('never takes over a fixed id that exists', async () => {
    const c = cluster({ takenBySomeoneElse: [150] });
    const client = new ProxmoxClient({ transport: c.transport, clock: fakeClock() });
    await expect(
      cloneVm(client, {
        node: 'pve1',
        template: 9000,
        newid: 150,
        name: 'web',
        ownerTag: 'pve-gitops',
      }),
    ).rejects.toThrow(/already exists/);
  });

  it('retries lock timeouts with backoff', async () => {
    const c = cluster({ lockFailures: 2 });
    const clock = fakeClock();
    const client = new ProxmoxClient({ transport: c.transport, clock });
    expect(
      (await cloneVm(client, { node: 'pve1', template: 9000, name: 'web', ownerTag: 'pve-gitops' }))
        .vmid,
    ).toBe(100);
    expect(clock.slept.slice(0, 2).every((ms) => ms >= 250 && ms <= 1000)).toBe(true);
  });

  it('treats "already exists" after a lost answer as success when the VM is ours', async () => {
    const c = cluster({ firstCloneLost: true });
    const client = new ProxmoxClient({ transport: c.transport, clock: fakeClock() });
    const made = await cloneVm(client, {
      node: 'pve1',
      template: 9000,
      name: 'web',
      ownerTag: 'pve-gitops',
    });
    expect(made).toEqual({ vmid: 100, node: 'pve1' });
    expect(c.clones).toEqual([100]);
  });
});
