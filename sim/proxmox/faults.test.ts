import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultFixture } from './fixture.js';
import { startProxmoxSim, type ProxmoxSim } from './index.js';
import { simClient, waitTask } from './test-client.js';

const sims: ProxmoxSim[] = [];
const dirs: string[] = [];
async function start(...args: Parameters<typeof startProxmoxSim>) {
  const s = await startProxmoxSim({ timeScale: 0.01, ...args[0] });
  sims.push(s);
  return s;
}
afterEach(async () => {
  for (const s of sims.splice(0)) await s.stop();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('locks', () => {
  it('serialises parallel full clones on one storage; the third times out', async () => {
    // A long hold keeps the outcome independent of how fast the three requests arrive: the
    // third times out unless it reaches the lock (2 * 8 s - 10 s) * 0.05 = 300 ms after the first.
    const timings = { fullCloneStorageLock: 8000, tasks: { 'qmclone-full': 9000 } };
    const sim = await start({ fixture: { ...defaultFixture, timings }, timeScale: 0.05 });
    const call = simClient(sim);
    const upids = await Promise.all(
      [201, 202, 203].map(
        async (newid) =>
          (await call('POST', '/nodes/pve1/qemu/9000/clone', { newid, full: 1 })).data as string,
      ),
    );
    const results = await Promise.all(upids.map((u) => waitTask(call, u)));
    expect(results.filter((r) => r === 'OK')).toHaveLength(2);
    expect(results).toContain(
      "clone failed: can't lock file '/var/lock/pve-manager/pve-storage-local-lvm' - got timeout",
    );
    // PVE removes the config of a failed clone
    expect(sim.cluster.vms().filter((v) => v.vmid < 9000)).toHaveLength(2);
  });

  it('times out a config update while another holder keeps the VM lock', async () => {
    const sim = await start();
    const call = simClient(sim);
    const release = await sim.cluster.locks.acquire('vm:9001', 1);
    const r = await call('PUT', '/nodes/pve2/qemu/9001/config', { description: 'x' });
    release();
    expect([r.status, r.reason]).toEqual([
      500,
      "can't lock file '/var/lock/qemu-server/lock-9001.conf' - got timeout",
    ]);
  });
});

describe('faults', () => {
  it('injects counted errors, offline nodes and held storage locks', async () => {
    const sim = await start({
      faults: {
        errors: [
          {
            method: 'GET',
            path: '/cluster/nextid',
            status: 500,
            message: 'cluster not ready - no quorum?',
            count: 1,
          },
        ],
        offlineNodes: ['pve2'],
        storageLocks: [{ storage: 'local-lvm', node: 'pve1', seconds: 60 }],
      },
    });
    const call = simClient(sim);
    expect((await call('GET', '/cluster/nextid')).reason).toBe('cluster not ready - no quorum?');
    expect((await call('GET', '/cluster/nextid')).status).toBe(200);
    expect((await call('GET', '/nodes/pve2/status')).status).toBe(595);
    const nodes = (await call('GET', '/nodes')).data as { node: string; status: string }[];
    expect(nodes.find((n) => n.node === 'pve2')?.status).toBe('offline');
    const c = await call('POST', '/nodes/pve1/qemu/9000/clone', { newid: 210, full: 1 });
    expect(await waitTask(call, c.data as string)).toMatch(/pve-storage-local-lvm' - got timeout$/);
  });

  it("removes the partial VM when a clone fails part-way, as PVE's clone worker does", async () => {
    const sim = await start({ faults: { cloneFailures: [{ newid: 219, message: 'no space' }] } });
    const call = simClient(sim);
    const c = await call('POST', '/nodes/pve1/qemu/9000/clone', { newid: 219, name: 'gone' });
    expect(sim.cluster.vm(219)?.config).toMatchObject({ lock: 'clone' }); // while copying
    expect(await waitTask(call, c.data as string)).toBe('clone failed: no space');
    expect(sim.cluster.vm(219)).toBeUndefined();
  });

  it('leaves a locked partial VM when a clone worker is killed, and silences agents', async () => {
    const sim = await start({
      faults: { cloneFailures: [{ newid: 220, leaveLocked: true }], agentSilent: ['quiet'] },
    });
    const call = simClient(sim);
    const c = await call('POST', '/nodes/pve1/qemu/9000/clone', { newid: 220, name: 'half' });
    expect(await waitTask(call, c.data as string)).toMatch(/^clone failed: /);
    expect(sim.cluster.vm(220)?.config).toMatchObject({ lock: 'clone', name: 'half' });
    expect((await call('DELETE', '/nodes/pve1/qemu/220')).reason).toBe('VM is locked (clone)');
    const q = await call('POST', '/nodes/pve1/qemu/9000/clone', { newid: 221, name: 'quiet' });
    await waitTask(call, q.data as string);
    await waitTask(call, (await call('POST', '/nodes/pve1/qemu/221/status/start')).data as string);
    sim.cluster.state.timings.agentBoot = 0; // booted: only the fault can keep the agent silent
    expect((await call('GET', '/nodes/pve1/qemu/221/agent/network-get-interfaces')).reason).toBe(
      'QEMU guest agent is not running',
    );
  });

  it('fails a share of calls per endpoint, hangs a VM at boot, and adds latency', async () => {
    const sim = await start({
      latencyMs: 40,
      faults: {
        errors: [{ method: 'GET', path: '/version', probability: 0.5, message: 'flaky proxy' }],
        hangAtBoot: ['stuck'],
      },
    });
    const call = simClient(sim);
    const t0 = performance.now();
    const answers = await Promise.all(Array.from({ length: 120 }, () => call('GET', '/version')));
    // 120 calls in parallel each waited the injected latency at least once
    expect(performance.now() - t0).toBeGreaterThanOrEqual(35);
    const failed = answers.filter((a) => a.status === 500);
    expect(failed.every((a) => a.reason === 'flaky proxy')).toBe(true);
    expect(failed.length).toBeGreaterThan(30); // binomial(120, 0.5): 30..90 is > 5 sigma
    expect(failed.length).toBeLessThan(90);
    expect((await call('GET', '/nodes')).status).toBe(200); // other endpoints unaffected

    const c = await call('POST', '/nodes/pve1/qemu/9000/clone', { newid: 230, name: 'stuck' });
    await waitTask(call, c.data as string);
    await waitTask(call, (await call('POST', '/nodes/pve1/qemu/230/status/start')).data as string);
    sim.cluster.state.timings.agentBoot = 0; // booted: only the hang can keep the agent silent
    const st = (await call('GET', '/nodes/pve1/qemu/230/status/current')).data as {
      status: string;
    };
    expect(st.status).toBe('running'); // as on PVE: status alone cannot see the hang
    expect((await call('POST', '/nodes/pve1/qemu/230/agent/ping')).reason).toBe(
      'QEMU guest agent is not running',
    );
  });

  it('draws probability faults from the seed: the same seed fails the same calls', async () => {
    const pattern = async (seed: number) => {
      const sim = await start({
        faults: { seed, errors: [{ method: 'GET', path: '/version', probability: 0.5 }] },
      });
      const call = simClient(sim);
      let bits = '';
      for (let i = 0; i < 40; i++)
        bits += (await call('GET', '/version')).status === 500 ? 'x' : '.';
      await sim.stop();
      return bits;
    };
    const a = await pattern(7);
    expect(await pattern(7)).toBe(a);
    expect(a).toMatch(/x/);
    expect(a).toMatch(/\./);
    expect(await pattern(8)).not.toBe(a);
  });

  it('shows a young VM as status unknown without a name in cluster/resources', async () => {
    const sim = await start();
    const call = simClient(sim);
    sim.cluster.state.timings.statsWindow = 3_600_000;
    const c = await call('POST', '/nodes/pve1/qemu/9000/clone', { newid: 240, name: 'young' });
    await waitTask(call, c.data as string);
    type Res = { vmid: number; status: string; name?: string };
    const find = async () =>
      ((await call('GET', '/cluster/resources?type=vm')).data as Res[]).find((r) => r.vmid === 240);
    expect(await find()).toMatchObject({ status: 'unknown' });
    expect((await find())?.name).toBeUndefined();
    sim.cluster.state.timings.statsWindow = 0;
    expect(await find()).toMatchObject({ status: 'stopped', name: 'young' });
  });

  it('swaps the served certificate', async () => {
    const sim = await start();
    const before = sim.fingerprint;
    sim.setFaults({ swapCertificate: true });
    expect(sim.fingerprint).not.toBe(before);
    await expect(simClient(sim)('GET', '/version')).rejects.toThrow();
  });
});

describe('persistence', () => {
  it('shares one cluster, certificate and token across runs on one state dir', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pve-sim-state-'));
    dirs.push(dir);
    const a = await startProxmoxSim({ stateDir: dir, timeScale: 1 });
    const call = simClient(a);
    const upid = (
      await call('POST', '/nodes/pve1/qemu/9000/clone', { newid: 230, name: 'kept', full: 1 })
    ).data as string;
    await a.stop(); // the 7 s clone is still running: the next start finishes it
    expect(statSync(path.join(dir, 'cluster.json')).mode & 0o777).toBe(0o600);
    const b = await start({ stateDir: dir });
    expect([b.fingerprint, b.tokenSecret]).toEqual([a.fingerprint, a.tokenSecret]);
    const callB = simClient(b);
    expect(await waitTask(callB, upid)).toBe('OK');
    const cfg = (await callB('GET', '/nodes/pve1/qemu/230/config')).data as Record<string, unknown>;
    expect([cfg.name, cfg.lock]).toEqual(['kept', undefined]);
  });
});
