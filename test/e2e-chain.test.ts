// The chain on a home network, replayed: apply.yml's apply job and provision.yml's provision
// job, step by step as the workflow files define them (their shell steps are run from the
// files), with the committed bundles, a local bare repository as origin, the Proxmox
// simulator, simulated VM hosts running real sshd and Ansible, and a loopback fake of GitHub's
// rules API. It shows that no route forgets a host or a tag: the default route, a protected
// branch refusing the inventory push, a cancelled provisioning, a dispatch, and the token
// route with a pending run cancelled by a newer one (GitHub's concurrency).
import { chmodSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProxmoxSim, type ProxmoxSim } from '../sim/proxmox/index.js';
import { startVmHosts, type VmHosts } from '../sim/hosts/vm-hosts.js';
import * as c from './chain-helpers.js';
import { applyJob, provisionJob, type World } from './chain-jobs.js';
import { keyPair, randomLoopback } from './provision-helpers.js';
import { sh } from './tags-helpers.js';

const BOT = '41898282+github-actions[bot]@users.noreply.github.com';
const VMS = ['k8s-foo', 'k8s-bar', 'k8s-baz', 'k8s-q1', 'k8s-q2', 'k8s-idle'].map((name) => ({
  name,
  ip: randomLoopback(),
}));
const vm = (name: string) => VMS.find((v) => v.name === name)!;
const vmFile = (name: string) =>
  `name: ${name}\ntarget_node: pve1\ncores: 1\nmemory: 1024\nipconfig0: ip=${vm(name).ip}/8\nnetwork:\n  bridge: vmbr0\ndisks:\n  scsi0:\n    size: 8G\n`;

let root: string, origin: string, dev: string;
let sim: ProxmoxSim, hosts: VmHosts, key: ReturnType<typeof keyPair>;
let api: Server, apiUrl: string;
async function bootHosts() {
  await hosts?.stop();
  const hostKeys: Record<string, string> = {};
  for (const v of VMS) {
    const s = sim.cluster.vms().find((x) => x.config.name === v.name);
    if (s) hostKeys[v.name] = sim.cluster.hostKeyOf(s.vmid).privateKey;
  }
  hosts = await startVmHosts({
    vms: VMS,
    authorizedKey: key.publicKey,
    stateDir: path.join(root, 'hosts'),
    hostKeys,
  });
}
const marker = (name: string) =>
  path.join(hosts.hosts.find((h) => h.name === name)!.dirs['/var/lib/rancher'], 'marker');
const provisioned = () => VMS.map((v) => v.name).filter((n) => existsSync(marker(n)));
const clearMarkers = () => VMS.forEach((v) => rmSync(marker(v.name), { force: true }));
function waiting(): { hosts: Array<{ name: string }>; tags: Array<{ name: string }> } {
  return JSON.parse(sh(origin, 'show', 'refs/pve-gitops/unprovisioned:pending.json')) as {
    hosts: Array<{ name: string }>;
    tags: Array<{ name: string }>;
  };
}
const world = (): World => ({ root, origin, dev, sim, key, apiUrl, bootHosts });

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'pve-gitops-chain-'));
  mkdirSync(path.join(root, 'home'));
  for (const s of ['validate', 'tags', 'apply', 'inventory', 'provision', 'pending'])
    if (!existsSync(c.bundle(s)))
      throw new Error(`${c.bundle(s)} is missing; run node scripts/build.mjs`);
  key = keyPair(root);
  sim = await startProxmoxSim({ timeScale: 0.02 });
  await bootHosts();
  api = createServer((_req, res) =>
    res.writeHead(200, { 'content-type': 'application/json' }).end('[]'),
  );
  await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
  apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
  ({ origin, dev } = c.originWithDev(root, c.START_FILES));
}, 120_000);
afterAll(async () => {
  await hosts?.stop();
  await sim?.stop();
  await new Promise<void>((r) => (api ? api.close(() => r()) : r()));
  if (root) await rm(root, { recursive: true, force: true });
});

describe('the chain loses no host and no tag', () => {
  it('default route: apply provisions exactly the new host from job outputs, then the queue is empty', async () => {
    const { before, after } = c.push(dev, 'feat: add k8s-foo [ansible k8s-foo]', {
      'vms/k8s-foo.yaml': vmFile('k8s-foo'),
    });
    const a = await applyJob(world(), before, after);
    expect(a.outputs['provision-here']).toBe('true');
    const p = await provisionJob(world(), {
      event: 'call',
      ref: a.outputs['inventory-sha'],
      inputs: { 'new-hosts': a.outputs['new-hosts'], 'known-hosts': a.outputs['known-hosts'] },
    });
    expect(p.provisioned).toBe('k8s-foo');
    expect(provisioned()).toEqual(['k8s-foo']);
    expect(waiting()).toEqual({ hosts: [], tags: [] });
  }, 240_000);

  it('protected branch: the push is refused, the new VM is provisioned anyway, the next run is consistent', async () => {
    clearMarkers();
    // GitHub's refusal of a bot push to a branch whose ruleset requires pull requests.
    const hook = path.join(origin, 'hooks', 'pre-receive');
    writeFileSync(
      hook,
      `#!/bin/sh\nwhile read old new ref; do\n  if [ "$ref" = refs/heads/main ] && [ "$(git log -1 --format=%ae "$new")" = '${BOT}' ]; then\n    echo 'error: GH013: Repository rule violations found for refs/heads/main.' >&2\n    echo '- Changes must be made through a pull request.' >&2\n    exit 1\n  fi\ndone\n`,
    );
    chmodSync(hook, 0o755);
    const mainBefore = () => sh(origin, 'rev-parse', 'main');
    const { before, after } = c.push(dev, 'feat: add k8s-bar [ansible k8s-bar]', {
      'vms/k8s-bar.yaml': vmFile('k8s-bar'),
    });
    const a = await applyJob(world(), before, after);
    expect(a.inventory.code).toBe(1);
    expect(a.inventory.stdout).toContain(
      'origin refused the inventory commit on main (a protected branch, not a moved one: GH013',
    );
    expect(a.inventory.stdout).not.toMatch(/main moved|rebasing/);
    expect(mainBefore()).toBe(after);
    expect(a.outputs['provision-here']).toBe('true');
    expect(a.outputs['inventory-sha']).toBe(sh(origin, 'rev-parse', 'refs/pve-gitops/inventory'));
    expect(sh(origin, 'rev-parse', 'refs/pve-gitops/applied')).toBe(after);
    const p = await provisionJob(world(), {
      event: 'call',
      ref: a.outputs['inventory-sha'],
      inputs: { 'new-hosts': a.outputs['new-hosts'], 'known-hosts': a.outputs['known-hosts'] },
    });
    expect(p.provisioned).toBe('k8s-bar');
    expect(provisioned()).toEqual(['k8s-bar']);
    expect(waiting()).toEqual({ hosts: [], tags: [] });

    // The bypass is fixed; the next push commits the inventory and provisions nothing again.
    rmSync(hook);
    clearMarkers();
    const next = c.push(dev, 'docs: note the bypass actor');
    const b = await applyJob(world(), next.before, next.after);
    expect(b.inventory.code, b.inventory.stdout).toBe(0);
    expect(sh(origin, 'show', 'main:inventory/k8s.ini')).toMatch(
      new RegExp(`^k8s-bar ansible_host=${vm('k8s-bar').ip.replace(/\./g, '\\.')}`, 'm'),
    );
    expect(b.outputs['provision-here']).toBe('false');
    expect(provisioned()).toEqual([]);
  }, 300_000);

  it('a cancelled provisioning is picked up by the next run; a dispatch uses its inputs only', async () => {
    clearMarkers();
    const { before, after } = c.push(dev, 'feat: add k8s-baz [ansible k8s-baz]', {
      'vms/k8s-baz.yaml': vmFile('k8s-baz'),
    });
    const a = await applyJob(world(), before, after);
    const cancelled = await provisionJob(world(), {
      event: 'call',
      ref: a.outputs['inventory-sha'],
      inputs: { 'new-hosts': a.outputs['new-hosts'] },
      cancelAfterTake: true,
    });
    expect(cancelled.take.outputs['new-hosts']).toBe(`${vm('k8s-baz').ip},k8s-baz`);
    expect(provisioned()).toEqual([]);
    expect(waiting().hosts.map((h) => h.name)).toEqual(['k8s-baz']);

    // The next apply has nothing new, yet provisioning runs for what waits.
    const next = c.push(dev, 'docs: unrelated');
    const b = await applyJob(world(), next.before, next.after);
    expect(b.outputs['new-hosts']).toBe(''); // nothing new in this run
    expect(b.outputs['provision-here']).toBe('true');
    const p = await provisionJob(world(), {
      event: 'call',
      ref: b.outputs['inventory-sha'],
      inputs: { 'new-hosts': '' },
    });
    expect(p.provisioned).toBe('k8s-baz');
    expect(provisioned()).toEqual(['k8s-baz']);
    expect(waiting()).toEqual({ hosts: [], tags: [] });

    // A dispatch naming only a playbook: k8s-foo runs; new_hosts.txt (k8s-baz) is not read.
    clearMarkers();
    const d = await provisionJob(world(), {
      event: 'dispatch',
      ref: sh(origin, 'rev-parse', 'main'),
      inputs: { playbook: 'k8s-foo' },
    });
    expect(d.take.outputs['new-hosts']).toBe('');
    expect(provisioned()).toEqual(['k8s-foo']);
  }, 300_000);

  it('token route: a pending run cancelled by a newer one loses no host and no tag', async () => {
    clearMarkers();
    const runs: Array<{ after: string; before: string }> = [];
    for (const name of ['k8s-q1', 'k8s-q2']) {
      const pushed = c.push(dev, `feat: add ${name} [ansible ${name}]`, {
        [`vms/${name}.yaml`]: vmFile(name),
      });
      const a = await applyJob(world(), pushed.before, pushed.after, { pushToken: true });
      // The inventory push (with the App token) starts provision.yml; apply leaves it to it.
      expect(a.outputs['provision-here']).toBe('false');
      const head = sh(origin, 'rev-parse', 'main');
      expect(sh(origin, 'log', '-1', '--format=%ae', head)).toBe(BOT);
      runs.push({ before: pushed.after, after: head });
    }
    // GitHub cancelled the first provisioning run while it was pending; the second runs.
    const last = runs[1];
    const p = await provisionJob(world(), {
      event: 'push',
      ref: last.after,
      payload: c.pushPayload(origin, last.before, last.after),
    });
    expect(p.take.outputs['new-hosts'].split('\n').sort()).toEqual(
      [`${vm('k8s-q1').ip},k8s-q1`, `${vm('k8s-q2').ip},k8s-q2`].sort(),
    );
    expect(p.provisioned?.split(' ').sort()).toEqual(['k8s-q1', 'k8s-q2']);
    expect(provisioned()).toEqual(['k8s-q1', 'k8s-q2']);
    expect(existsSync(marker('k8s-idle'))).toBe(false);
    expect(waiting()).toEqual({ hosts: [], tags: [] });
  }, 300_000);
});
