// The guest agent's exec runs programs in a VM's stand-in guest for real when the VM has a host
// (its sshd, with the VM's name as hostname): output and exit codes are the program's, as
// qemu-guest-agent's guest-exec reports them (qemu-server src/PVE/API2/Qemu/Agent.pm exec,
// exec-status: exited, exitcode, out-data, err-data).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { memoryLogger } from '../../actions/lib/log.js';
import { keyPair, randomLoopback } from '../../test/provision-helpers.js';
import { startProxmoxSim, type ProxmoxSim } from '../proxmox/index.js';
import { simClient, waitTask } from '../proxmox/test-client.js';
import { watchVmHosts, type HostWatcher } from './host-watcher.js';

let root: string;
let sim: ProxmoxSim;
let hosts: HostWatcher;
let call: ReturnType<typeof simClient>;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'pve-guest-exec-'));
  sim = await startProxmoxSim({ timeScale: 0.01 });
  call = simClient(sim);
  hosts = watchVmHosts({
    cluster: sim.cluster,
    authorizedKey: keyPair(root).publicKey,
    stateDir: path.join(root, 'hosts'),
    log: memoryLogger(),
    intervalMs: 60_000,
  });
});
afterAll(async () => {
  await hosts?.stop();
  await sim?.stop();
  await rm(root, { recursive: true, force: true });
});

/** Starts argv through the agent and polls exec-status until it exits. */
async function exec(vmid: number, command: string[], input?: string) {
  const r = await call('POST', `/nodes/pve1/qemu/${vmid}/agent/exec`, {
    command,
    ...(input ? { 'input-data': input } : {}),
  });
  expect(r.status, r.body?.message).toBe(200);
  const { pid } = r.data as { pid: number };
  for (;;) {
    const s = (await call('GET', `/nodes/pve1/qemu/${vmid}/agent/exec-status?pid=${pid}`))
      .data as Record<string, unknown>;
    if (s.exited) return s;
    await new Promise((res) => setTimeout(res, 20));
  }
}

it('runs argv on the VM’s host and reports its output and exit code', async () => {
  const clone = await call('POST', '/nodes/pve1/qemu/9000/clone', { newid: 800, name: 'k8s-exec' });
  expect(await waitTask(call, clone.data as string)).toBe('OK');
  await call('PUT', '/nodes/pve1/qemu/800/config', { ipconfig0: `ip=${randomLoopback()}/8` });
  const start = await call('POST', '/nodes/pve1/qemu/800/status/start');
  expect(await waitTask(call, start.data as string)).toBe('OK');
  await hosts.sync();
  expect(hosts.running().get('k8s-exec')?.vmid).toBe(800);
  sim.cluster.vm(800)!.startedAt = Date.now() - 3_600_000;
  expect(await exec(800, ['uname', '-n'])).toEqual({
    exited: 1,
    exitcode: 0,
    'out-data': 'k8s-exec\n',
  });
  expect(await exec(800, ['sh', '-c', 'cat; echo oops >&2; exit 3'], 'in\n')).toEqual({
    exited: 1,
    exitcode: 3,
    'out-data': 'in\n',
    'err-data': 'oops\n',
  });
  // A program the host lacks: the shell's own 127, from a real shell.
  expect((await exec(800, ['no-such-program-here'])).exitcode).toBe(127);
});

it('answers from the built-in stand-in for a VM without a host', async () => {
  const clone = await call('POST', '/nodes/pve1/qemu/9000/clone', { newid: 801, name: 'plain' });
  expect(await waitTask(call, clone.data as string)).toBe('OK');
  const start = await call('POST', '/nodes/pve1/qemu/801/status/start');
  expect(await waitTask(call, start.data as string)).toBe('OK');
  sim.cluster.vm(801)!.startedAt = Date.now() - 3_600_000;
  expect(await exec(801, ['hostname'])).toEqual({ exited: 1, exitcode: 0, 'out-data': 'plain\n' });
  const r = await call('POST', '/nodes/pve1/qemu/801/agent/exec', { command: ['uname', '-n'] });
  expect(r.status).toBe(500);
});
