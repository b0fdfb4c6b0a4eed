import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyPair, randomLoopback } from '../../test/provision-helpers.js';
import { routedToLoopback, startVmHosts, type VmHosts } from './vm-hosts.js';

const run = promisify(execFile);

let root: string;
let vms: VmHosts;
let key: ReturnType<typeof keyPair>;
const a = { name: 'k8s-alpha', ip: randomLoopback() };
const b = { name: 'k8s-beta', ip: randomLoopback() };

function ssh(ip: string, port: number, command: string) {
  return run('ssh', [
    '-i',
    key.file,
    '-p',
    String(port),
    '-o',
    'BatchMode=yes',
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    `UserKnownHostsFile=${vms.knownHostsFile}`,
    `root@${ip}`,
    command,
  ]);
}

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'pve-gitops-vmhosts-'));
  key = keyPair(root);
  vms = await startVmHosts({
    vms: [a, b],
    authorizedKey: key.publicKey,
    stateDir: path.join(root, 'state'),
  });
});
afterAll(async () => {
  await vms?.stop();
  await rm(root, { recursive: true, force: true });
});

describe('simulated VM hosts', () => {
  it('use 127.x addresses the kernel already routes to lo, without adding any', () => {
    expect(routedToLoopback(a.ip)).toBe(true);
    const addrs = execFileSync('ip', ['-4', '-o', 'addr', 'show', 'dev', 'lo'], {
      encoding: 'utf8',
    });
    expect(addrs).not.toContain(a.ip);
  });

  it('each listen on port 22 of their own address, with the VM name as hostname', async () => {
    for (const h of vms.hosts) {
      expect(h.port).toBe(22);
      const { stdout } = await ssh(h.ip, h.port, 'hostname');
      expect(stdout.trim()).toBe(h.name);
    }
    expect(vms.ports).toEqual({});
    expect(readFileSync(vms.knownHostsFile, 'utf8')).toMatch(
      new RegExp(`^${a.ip.replace(/\./g, '\\.')} ssh-ed25519 `, 'm'),
    );
  });

  it('keep /etc/rancher, /var/lib/rancher and /usr/local/bin private to each VM', async () => {
    const [ha, hb] = vms.hosts;
    await ssh(
      ha.ip,
      22,
      'echo alpha > /var/lib/rancher/who && touch /usr/local/bin/k3s /etc/rancher/x',
    );
    expect(readFileSync(path.join(ha.dirs['/var/lib/rancher'], 'who'), 'utf8')).toBe('alpha\n');
    expect(existsSync(path.join(ha.dirs['/usr/local/bin'], 'k3s'))).toBe(true);
    expect(existsSync(path.join(hb.dirs['/var/lib/rancher'], 'who'))).toBe(false);
    expect(existsSync('/var/lib/rancher/who')).toBe(false);
    expect(existsSync('/usr/local/bin/k3s')).toBe(false);
    const other = await ssh(
      hb.ip,
      22,
      'ls -A /var/lib/rancher /etc/rancher; test ! -e /usr/local/bin/k3s && echo clean',
    );
    expect(other.stdout.trim().split('\n').filter(Boolean).at(-1)).toBe('clean');
    expect(other.stdout).not.toContain('who');
  });

  it('fall back to a free port, reported for the inventory, when 22 is taken', async () => {
    const ip = randomLoopback();
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(22, ip, () => r()));
    const more = await startVmHosts({
      vms: [{ name: 'k8s-gamma', ip }],
      authorizedKey: key.publicKey,
      stateDir: path.join(root, 'state2'),
    });
    try {
      const port = more.hosts[0].port;
      expect(port).not.toBe(22);
      expect(more.ports).toEqual({ 'k8s-gamma': port });
      expect(readFileSync(more.knownHostsFile, 'utf8')).toContain(`[${ip}]:${port} ssh-ed25519`);
    } finally {
      await more.stop();
      await new Promise((r) => blocker.close(r));
    }
  });

  it('refuse an address outside 127.0.0.0/8 before starting anything', async () => {
    await expect(
      startVmHosts({
        vms: [{ name: 'k8s-x', ip: '192.168.1.50' }],
        authorizedKey: key.publicKey,
        stateDir: path.join(root, 'state3'),
      }),
    ).rejects.toThrow(/k8s-x must have a 127\.0\.0\.0\/8 address; '192\.168\.1\.50'/);
    expect(existsSync(path.join(root, 'state3'))).toBe(false);
  });
});
