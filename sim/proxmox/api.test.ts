import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultFixture } from './fixture.js';
import { startProxmoxSim, type ProxmoxSim } from './index.js';
import { simClient, waitTask } from './test-client.js';

let sim: ProxmoxSim;
let call: ReturnType<typeof simClient>;
const upidRe = /^UPID:[a-z0-9-]+:[0-9A-F]{8}:[0-9A-F]{8}:[0-9A-F]{8}:(\w+):(\d*):[^:]+:$/;

beforeAll(async () => {
  sim = await startProxmoxSim({ timeScale: 0.01 });
  call = simClient(sim);
});
afterAll(() => sim.stop());

describe('auth', () => {
  it('answers 401 with an empty body and the reason in the status line', async () => {
    const none = await call('GET', '/version', undefined, { auth: null });
    expect([none.status, none.reason, none.body]).toEqual([401, 'No ticket', undefined]);
    const bad = await call('GET', '/version', undefined, {
      auth: `PVEAPIToken=${sim.tokenId}=wrong`,
    });
    expect([bad.status, bad.reason]).toEqual([401, 'invalid token value!']);
    expect(bad.headers.get('connection')).toBe('close');
  });

  it('filters lists and answers 403 for a token without privileges', async () => {
    sim.addToken('ci@pve!limited', 'limited-secret', { '/vms/9000': ['VM.Audit'] });
    const ltd = simClient(sim, 'PVEAPIToken=ci@pve!limited=limited-secret');
    const vms = (await ltd('GET', '/cluster/resources?type=vm')).data as { vmid: number }[];
    expect(vms.map((v) => v.vmid)).toEqual([9000]);
    const r = await ltd('POST', '/nodes/pve1/qemu/9000/clone', { newid: 150 });
    expect(r.status).toBe(403);
    expect(r.reason).toBe('Permission check failed (/vms/9000, VM.Clone)');
  });

  it('accepts ticket auth and wants the CSRF token for writes', async () => {
    const t = await call(
      'POST',
      '/access/ticket',
      { username: 'root@pam', password: sim.password },
      { auth: null },
    );
    const { ticket, CSRFPreventionToken } = t.data as {
      ticket: string;
      CSRFPreventionToken: string;
    };
    const cookie = { Cookie: `PVEAuthCookie=${encodeURIComponent(ticket)}` };
    expect((await call('GET', '/nodes', undefined, { auth: null, headers: cookie })).status).toBe(
      200,
    );
    const noCsrf = await call(
      'PUT',
      '/nodes/pve1/qemu/9000/config',
      { description: 'x' },
      { auth: null, headers: cookie },
    );
    expect(noCsrf.status).toBe(401);
    const ok = await call(
      'PUT',
      '/nodes/pve1/qemu/9000/config',
      { description: 'x' },
      { auth: null, headers: { ...cookie, CSRFPreventionToken } },
    );
    expect(ok.body).toEqual({ data: null });
  });
});

describe('routing and validation', () => {
  it('uses the envelope and content type of PVE', async () => {
    const r = await call('GET', '/cluster/nextid');
    expect(r.headers.get('content-type')).toBe('application/json;charset=UTF-8');
    expect(r.body).toEqual({ data: '100' });
  });

  it('rejects form booleans other than 1/0 but accepts JSON true', async () => {
    const form = await call('PUT', '/nodes/pve1/qemu/9000/config', { onboot: 'true' });
    expect(form.status).toBe(400);
    expect(form.reason).toBe('Parameter verification failed.');
    expect(form.body).toMatchObject({
      data: null,
      errors: { onboot: "type check ('boolean') failed - got 'true'" },
    });
    const json = await call(
      'PUT',
      '/nodes/pve1/qemu/9000/config',
      { onboot: true },
      { json: true },
    );
    expect(json.status).toBe(200);
  });

  it('rejects unknown parameters, bad property strings and raw ssh keys', async () => {
    const r = await call('PUT', '/nodes/pve1/qemu/9000/config', {
      bogus: 1,
      net0: 'virtio,bridge=vmbr0,speed=9',
      sshkeys: 'ssh-ed25519 AAAA me',
    });
    expect(r.status).toBe(400);
    expect(Object.keys(r.body!.errors!).sort()).toEqual(['bogus', 'net0', 'sshkeys']);
    expect(r.body!.errors!.sshkeys).toBe('invalid format - invalid urlencoded string');
  });

  it('answers 501 for unknown paths and DELETE with a body', async () => {
    const r = await call('GET', '/nodes/pve1/nothing');
    expect([r.status, r.reason]).toEqual([501, "Method 'GET /nodes/pve1/nothing' not implemented"]);
    expect((await call('GET', '/nodes/pve1/qemu/9000/agent/ping')).status).toBe(501);
    expect((await call('DELETE', '/nodes/pve1/qemu/9000', { purge: 1 })).status).toBe(501);
  });

  it('answers 400 for a taken id in nextid and 500 for a missing VM', async () => {
    const r = await call('GET', '/cluster/nextid?vmid=9000');
    expect(r.body!.errors).toEqual({ vmid: 'VM 9000 already exists' });
    const m = await call('GET', '/nodes/pve1/qemu/4242/status/current');
    expect([m.status, m.reason]).toEqual([
      500,
      "Configuration file 'nodes/pve1/qemu-server/4242.conf' does not exist",
    ]);
    expect(m.body!.message).toContain('4242.conf');
  });
});

describe('tasks, clones and VM life cycle', () => {
  it('clones a template with a qmclone UPID naming the source and a clone lock', async () => {
    const r = await call('POST', '/nodes/pve1/qemu/9000/clone', {
      newid: 200,
      name: 'web-1',
      full: 1,
    });
    const m = upidRe.exec(r.data as string);
    expect(m?.slice(1)).toEqual(['qmclone', '9000']);
    expect(
      ((await call('GET', '/nodes/pve1/qemu/200/config')).data as { lock?: string }).lock,
    ).toBe('clone');
    expect(await waitTask(call, r.data as string)).toBe('OK');
    const cfg = (await call('GET', '/nodes/pve1/qemu/200/config')).data as Record<string, unknown>;
    expect(cfg.lock).toBeUndefined();
    expect(cfg.scsi0).toBe('local-lvm:vm-200-disk-0,size=4G');
    expect(cfg.memory).toBe('2048');
    const log = (
      await call(
        'GET',
        `/nodes/pve1/tasks/${encodeURIComponent(r.data as string)}/log?start=0&limit=50`,
      )
    ).data as { t: string }[];
    expect(log.at(-1)!.t).toBe('TASK OK');
    const again = await call('POST', '/nodes/pve1/qemu/9000/clone', { newid: 200 });
    expect(again.reason).toBe('unable to create VM 200: config file already exists');
    const linked = await call('POST', '/nodes/pve1/qemu/9000/clone', {
      newid: 201,
      storage: 'local-lvm',
    });
    expect(linked.reason).toBe("parameter 'storage' not allowed for linked clones");
    const far = await call('POST', '/nodes/pve1/qemu/9000/clone', { newid: 201, target: 'pve2' });
    expect(far.reason).toBe("can't clone VM to node 'pve2' (VM uses local storage)");
  });

  it('keeps CPU changes pending on a running VM and answers the agent after boot', async () => {
    await call('PUT', '/nodes/pve1/qemu/200/config', { ipconfig0: 'ip=127.0.3.4/8,gw=127.0.0.1' });
    // A boot too long to end before the early call, however slow this machine is.
    const { timings } = sim.cluster.state;
    const agentBoot = timings.agentBoot;
    timings.agentBoot = 3_600_000;
    const start = await call('POST', '/nodes/pve1/qemu/200/status/start');
    expect(upidRe.exec(start.data as string)?.[1]).toBe('qmstart');
    expect(await waitTask(call, start.data as string)).toBe('OK');
    const early = await call('GET', '/nodes/pve1/qemu/200/agent/network-get-interfaces');
    expect(early.reason).toBe('QEMU guest agent is not running');
    timings.agentBoot = agentBoot; // 80 ms scaled: the VM started before this
    await new Promise((r) => setTimeout(r, 100));
    const ifs = (await call('GET', '/nodes/pve1/qemu/200/agent/network-get-interfaces')).data as {
      result: { 'ip-addresses': { 'ip-address': string }[] }[];
    };
    expect(ifs.result[1]['ip-addresses'][0]['ip-address']).toBe('127.0.3.4');
    await call('PUT', '/nodes/pve1/qemu/200/config', { cores: 4, tags: 'Web;pve-gitops,web' });
    const cur = (await call('GET', '/nodes/pve1/qemu/200/config?current=1')).data as Record<
      string,
      unknown
    >;
    expect([cur.cores, cur.tags]).toEqual([2, 'pve-gitops;web']);
    const pending = (await call('GET', '/nodes/pve1/qemu/200/pending')).data as {
      key: string;
      pending?: unknown;
    }[];
    expect(pending.find((p) => p.key === 'cores')?.pending).toBe(4);
    const again = await call('POST', '/nodes/pve1/qemu/200/status/start');
    expect(await waitTask(call, again.data as string)).toBe('VM 200 already running');
    expect((await call('DELETE', '/nodes/pve1/qemu/200')).reason).toBe(
      'VM 200 is running - destroy failed',
    );
    // qemu-server resize_vm checks the size in its `resize` worker: the task ends with it.
    const shrink = await call('PUT', '/nodes/pve1/qemu/200/resize', { disk: 'scsi0', size: '2G' });
    expect(await waitTask(call, shrink.data as string)).toBe('shrinking disks is not supported');
    const grow = await call('PUT', '/nodes/pve1/qemu/200/resize', { disk: 'scsi0', size: '+6G' });
    expect(await waitTask(call, grow.data as string)).toBe('OK');
    const stop = await call('POST', '/nodes/pve1/qemu/200/status/stop');
    expect(await waitTask(call, stop.data as string)).toBe('OK');
    const cfg = (await call('GET', '/nodes/pve1/qemu/200/config')).data as Record<string, unknown>;
    expect([cfg.cores, cfg.scsi0]).toEqual([4, 'local-lvm:vm-200-disk-0,size=10G']);
    const del = await call('DELETE', '/nodes/pve1/qemu/200?purge=1&destroy-unreferenced-disks=1');
    expect(await waitTask(call, del.data as string)).toBe('OK');
    expect(sim.cluster.vm(200)).toBeUndefined();
  });

  it('runs power calls on HA-managed VMs as hastart tasks', async () => {
    const c = await call('POST', '/nodes/pve2/qemu/9001/clone', { newid: 300, name: 'ha-1' });
    await waitTask(call, c.data as string);
    sim.cluster.setHa(300, true);
    const start = await call('POST', '/nodes/pve2/qemu/300/status/start');
    expect(upidRe.exec(start.data as string)?.[1]).toBe('hastart');
    await waitTask(call, start.data as string);
    const st = (await call('GET', '/nodes/pve2/qemu/300/status/current')).data as {
      status: string;
      ha: { managed: number };
    };
    expect([st.status, st.ha.managed]).toEqual(['running', 1]);
    sim.cluster.setQmpStatus(300, 'paused');
    await new Promise((r) => setTimeout(r, 110)); // past the stats window
    const res = (await call('GET', '/cluster/resources?type=vm')).data as {
      vmid: number;
      status: string;
    }[];
    expect(res.find((v) => v.vmid === 300)?.status).toBe('paused');
  });

  it('counts requests per path template', async () => {
    const s = (await call('GET', '/_sim/stats')).data as Record<string, number>;
    expect(s['POST /nodes/{node}/qemu/{vmid}/clone']).toBeGreaterThanOrEqual(5);
    expect(s.mutations).toBeGreaterThan(0);
    expect(sim.stats()['GET /nodes/{node}/tasks/{upid}/status']).toBeGreaterThan(0);
  });
});

it('refuses to listen outside loopback', async () => {
  await expect(startProxmoxSim({ host: '0.0.0.0' })).rejects.toThrow(/loopback only/);
});

describe('pveVersion', () => {
  it('picks the release from the fixture key and keeps a saved state at its major', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pve-sim-version-'));
    try {
      const s8 = await startProxmoxSim({
        stateDir: dir,
        fixture: { ...defaultFixture, pveVersion: 8 },
      });
      const c8 = simClient(s8);
      expect(s8.pveVersion).toBe(8);
      expect((await c8('GET', '/version')).data).toMatchObject({
        version: '8.4.14',
        release: '8.4',
      });
      expect((await c8('GET', '/nodes/pve1/status')).data).toMatchObject({
        pveversion: 'pve-manager/8.4.14/c1d2e3f4',
      });
      await s8.stop();
      await expect(startProxmoxSim({ stateDir: dir, pveVersion: 9 })).rejects.toThrow(
        /is a Proxmox VE 8 cluster \(8\.4\.14\), not PVE 9/,
      );
      const again = await startProxmoxSim({ stateDir: dir });
      expect(again.pveVersion).toBe(8);
      await again.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a fixture version of the other major', async () => {
    await expect(
      startProxmoxSim({ fixture: { ...defaultFixture, version: '9.1.1' }, pveVersion: 8 }),
    ).rejects.toThrow(/version 9\.1\.1 is not a Proxmox VE 8 release/);
    await expect(
      startProxmoxSim({ fixture: { ...defaultFixture, pveVersion: 7 as 8 } }),
    ).rejects.toThrow(/pveVersion must be 8 or 9, not 7/);
  });
});
