import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProxmoxApiError, SshTransport, type SshConfig } from '../actions/lib/proxmox/index.js';
import { generateKeyPair, startSshHost, type SshHost } from '../sim/hosts/index.js';

// A real sshd on 127.0.0.23 and a fake `pvesh` that prints its argv (and stdin-fed secrets
// show up there too, because the remote shell expands them into pvesh's argv).
let dir: string;
let host: SshHost;
let key: string;
let knownHosts: string;
let fake: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'pve-ssh-'));
  generateKeyPair(path.join(dir, 'id'), 'test');
  key = readFileSync(path.join(dir, 'id'), 'utf8');
  fake = path.join(dir, 'fake-pvesh');
  writeFileSync(
    fake,
    [
      `#!${process.execPath}`,
      `const a = process.argv.slice(2);`,
      `if (a[1] === '/fail') { process.stderr.write('400 Parameter verification failed.\\nvmid: VM 200 already exists\\n'); process.exit(255); }`,
      `if (a[1] === '/missing') { process.stderr.write("Configuration file 'nodes/pve1/qemu-server/7.conf' does not exist\\n"); process.exit(255); }`,
      `if (a[0] === 'create') { console.log('task line 1'); console.log(JSON.stringify('UPID:pve1:00000001:00000002:65000000:qmstart:100:root@pam:')); process.exit(0); }`,
      `console.log(JSON.stringify({ argv: a, host: require('os').hostname() }));`,
    ].join('\n'),
    { mode: 0o755 },
  );
  host = await startSshHost({
    address: '127.0.0.23',
    authorizedKey: readFileSync(path.join(dir, 'id.pub'), 'utf8'),
  });
  knownHosts = path.join(dir, 'known_hosts');
  writeFileSync(knownHosts, host.hostKeyLine + '\n');
});
afterAll(async () => {
  await host?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function ssh(patch: Partial<SshConfig> = {}, h = host): SshTransport {
  const config: SshConfig = {
    host: h.host,
    port: h.port,
    user: os.userInfo().username,
    privateKey: key,
    knownHostsFile: knownHosts,
    trustOnFirstUse: false,
    ...patch,
  };
  return new SshTransport(config, { pvesh: fake });
}

describe('SSH transport over a real sshd', () => {
  it('passes hostile parameter values through the remote shell unchanged', async () => {
    const t = ssh();
    const nasty = `it's "$(touch /tmp/pwned)" \`id\` ; | & $HOME *`;
    const out = (await t.request('PUT', '/nodes/pve1/qemu/100/config', {
      description: nasty,
      onboot: true,
      cipassword: `s3cr'et $x`,
    })) as { argv: string[] };
    await t.close();
    expect(out.argv).toEqual([
      'set',
      '/nodes/pve1/qemu/100/config',
      '--description',
      nasty,
      '--onboot',
      '1',
      '--cipassword',
      `s3cr'et $x`,
      '--output-format',
      'json',
    ]);
    // The secret travels on stdin, not in the exec request.
    expect(t.command('PUT', '/x', { cipassword: 'topsecret' }).command).not.toContain('topsecret');
  });

  it('maps pvesh failures to the API errors and synthesises finished tasks', async () => {
    const t = ssh();
    const a = (await t.request('GET', '/fail').catch((e: unknown) => e)) as ProxmoxApiError;
    expect(a.kind).toBe('already-exists');
    expect(a.status).toBe(400);
    expect(a.errors).toEqual({ vmid: 'VM 200 already exists' });
    const b = (await t.request('GET', '/missing').catch((e: unknown) => e)) as ProxmoxApiError;
    expect(b.kind).toBe('not-found');
    const upid = (await t.request('POST', '/nodes/pve1/qemu/100/status/start')) as string;
    const status = await t.request('GET', `/nodes/pve1/tasks/${encodeURIComponent(upid)}/status`);
    expect(status).toMatchObject({ status: 'stopped', exitstatus: 'OK' });
    expect(await t.request('GET', `/nodes/pve1/tasks/${encodeURIComponent(upid)}/log`)).toEqual([
      { n: 1, t: 'task line 1' },
      { n: 2, t: 'TASK OK' },
    ]);
    await t.close();
  });

  it('refuses an unknown or changed host key unless trust-on-first-use is set', async () => {
    const other = path.join(dir, 'other_known_hosts');
    writeFileSync(
      other,
      `${host.hostKeyLine.split(' ')[0]} ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIK7r3eFGhV2gkMZCvOJG5y3kYQVl9GW7RSlA9qjYrUpS\n`,
    );
    await expect(ssh({ knownHostsFile: other }).request('GET', '/version')).rejects.toThrow(
      /does not match the one in .*other_known_hosts/,
    );
    const empty = path.join(dir, 'empty_known_hosts');
    await expect(ssh({ knownHostsFile: empty }).request('GET', '/version')).rejects.toThrow(
      /is not in .*PROXMOX_SSH_KNOWN_HOSTS/,
    );
    const t = ssh({ knownHostsFile: empty, trustOnFirstUse: true });
    await t.request('GET', '/version');
    await t.close();
    expect(readFileSync(empty, 'utf8').trim()).toBe(host.hostKeyLine);
    expect(statSync(empty).mode & 0o077).toBe(0);
  });

  it('runs a host in its own UTS namespace with a hostname', async () => {
    const vm = await startSshHost({
      address: '127.0.0.24',
      hostname: 'k8s-test-1',
      authorizedKey: readFileSync(path.join(dir, 'id.pub'), 'utf8'),
    });
    try {
      writeFileSync(knownHosts, `${host.hostKeyLine}\n${vm.hostKeyLine}\n`);
      const t = ssh({}, vm);
      expect(await t.request('GET', '/version')).toMatchObject({ host: 'k8s-test-1' });
      await t.close();
      expect(os.hostname()).not.toBe('k8s-test-1');
    } finally {
      await vm.stop();
    }
  });

  it('refuses to start a test host outside 127.0.0.0/8, before starting sshd', async () => {
    const authorizedKey = readFileSync(path.join(dir, 'id.pub'), 'utf8');
    await expect(startSshHost({ address: '192.168.1.50', authorizedKey })).rejects.toThrow(
      "An SSH test host listens on and connects to loopback only (127.0.0.0/8 or ::1); '192.168.1.50' is not a loopback address.",
    );
    await expect(startSshHost({ address: '::1', authorizedKey })).rejects.toThrow(
      "An SSH test host needs its own 127.x address (127.0.0.0/8); '::1' is not one.",
    );
  });
});
