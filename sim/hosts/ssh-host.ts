import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ConfigurationError, PveGitopsError } from '../../actions/lib/errors.js';
import { assertLoopback } from '../../actions/lib/net/loopback.js';
import { generateKeyPair } from './key-pair.js';

export interface SshHostOptions {
  /** Loopback address to listen on, e.g. 127.0.0.12 (127.0.0.0/8 only). Default 127.0.0.1. */
  address?: string;
  /** Public key line(s) allowed to log in. */
  authorizedKey: string | string[];
  /** Port; default a free one. */
  port?: number;
  /** Directories put first on PATH in every session (e.g. the pvesh shim's bin). */
  pathPrefix?: string[];
  /** Extra environment for sessions (sshd SetEnv); no secrets, the config file is readable by root only. */
  env?: Record<string, string>;
  /**
   * When set, sshd runs in private mount and UTS namespaces (`unshare --mount --uts`) with
   * this hostname, as one simulated VM. `namespaceSetup` runs there first (e.g. bind mounts).
   */
  hostname?: string;
  namespaceSetup?: string;
  /**
   * The host's private key (OpenSSH or PEM), e.g. the one the Proxmox simulator's guest agent
   * reports for this VM (`sim.cluster.hostKeyOf(vmid).privateKey`); absent = a fresh ed25519 key.
   */
  hostKey?: string;
  /** Working directory for keys and config; default a fresh temp dir, removed by stop(). */
  dir?: string;
  sshd?: string;
  /** Start timeout. Default 10 s. */
  timeoutMs?: number;
}

export interface SshHost {
  host: string;
  port: number;
  /** `[host]:port ssh-ed25519 AAAA…`, ready for a known_hosts file. */
  hostKeyLine: string;
  /** Directory holding the generated config and keys. */
  dir: string;
  /** sshd's log (stderr) so far, for debugging a failed login. */
  log(): string;
  stop(): Promise<void>;
}

/** Loopback IPv4 only: test hosts must never listen anywhere else; each VM gets its own 127.x. */
function assertLoopbackV4(address: string): void {
  assertLoopback('An SSH test host', address);
  if (net.isIP(address) !== 4)
    throw new ConfigurationError(
      `An SSH test host needs its own 127.x address (127.0.0.0/8); '${address}' is not one.`,
    );
}

async function freePort(address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, address, () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

function sshdConfig(o: SshHostOptions, dir: string, address: string, port: number): string {
  const pathValue = [
    ...(o.pathPrefix ?? []),
    '/usr/local/sbin',
    '/usr/local/bin',
    '/usr/sbin',
    '/usr/bin',
    '/sbin',
    '/bin',
  ].join(':');
  const env = Object.entries({ PATH: pathValue, ...o.env }).map(([k, v]) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k) || /["\s\\]/.test(v)) {
      throw new ConfigurationError(
        `SSH test host environment entry '${k}' must be a plain name and a value without spaces or quotes.`,
      );
    }
    return `${k}=${v}`;
  });
  return [
    `ListenAddress ${address}:${port}`,
    `HostKey ${path.join(dir, 'ssh_host_ed25519_key')}`,
    `AuthorizedKeysFile ${path.join(dir, 'authorized_keys')}`,
    'PidFile none',
    'UsePAM no',
    'StrictModes no',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PubkeyAuthentication yes',
    'PermitRootLogin prohibit-password',
    'PrintMotd no',
    'MaxSessions 32',
    'MaxStartups 64:30:128',
    'LogLevel INFO',
    'Subsystem sftp internal-sftp',
    `SetEnv ${env.join(' ')}`,
    '',
  ].join('\n');
}

/**
 * Starts a real sshd (`-D -e -f <generated config>`) on a loopback address with its own host
 * key, for tests and the simulated VMs. Run as root (sshd needs it to switch users).
 */
export async function startSshHost(o: SshHostOptions): Promise<SshHost> {
  const address = o.address ?? '127.0.0.1';
  assertLoopbackV4(address);
  if (o.hostname !== undefined && !/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i.test(o.hostname)) {
    throw new ConfigurationError(`SSH test host name '${o.hostname}' is not an RFC 1123 label.`);
  }
  const ownDir = !o.dir;
  const dir = o.dir ?? mkdtempSync(path.join(os.tmpdir(), 'pve-gitops-sshd-'));
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const keyFile = path.join(dir, 'ssh_host_ed25519_key');
  rmSync(keyFile, { force: true });
  rmSync(`${keyFile}.pub`, { force: true });
  if (o.hostKey !== undefined) {
    writeFileSync(keyFile, o.hostKey.trim() + '\n', { mode: 0o600 });
    // The public half from the private key itself, so a bad key fails here, not in sshd.
    const pub = spawnSync('ssh-keygen', ['-y', '-f', keyFile], { encoding: 'utf8' });
    if (pub.status !== 0)
      throw new ConfigurationError(
        `The host key given for the SSH test host ${o.hostname ?? address} is not a usable private key.`,
      );
    writeFileSync(`${keyFile}.pub`, pub.stdout, { mode: 0o644 });
  } else {
    generateKeyPair(keyFile, `${o.hostname ?? address}-host`);
  }
  const keys = Array.isArray(o.authorizedKey) ? o.authorizedKey : [o.authorizedKey];
  writeFileSync(path.join(dir, 'authorized_keys'), keys.map((k) => k.trim()).join('\n') + '\n', {
    mode: 0o600,
  });
  const hostPub = readFileSync(`${keyFile}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');

  let lastError = '';
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = o.port ?? (await freePort(address));
    const cfg = path.join(dir, 'sshd_config');
    writeFileSync(cfg, sshdConfig(o, dir, address, port), { mode: 0o600 });
    const sshd = o.sshd ?? '/usr/sbin/sshd';
    const args = ['-D', '-e', '-f', cfg];
    const child =
      o.hostname === undefined
        ? spawn(sshd, args, { stdio: ['ignore', 'ignore', 'pipe'] })
        : spawn(
            'unshare',
            [
              '--mount',
              '--uts',
              '--propagation',
              'private',
              '--',
              '/bin/sh',
              '-c',
              `hostname "$0" && ${o.namespaceSetup ? `{ ${o.namespaceSetup}\n} && ` : ''}exec "$@"`,
              o.hostname,
              sshd,
              ...args,
            ],
            { stdio: ['ignore', 'ignore', 'pipe'] },
          );
    let log = '';
    child.stderr.on('data', (c: Buffer) => (log = (log + c.toString()).slice(-64_000)));
    const ready = await waitListening(child, () => log, o.timeoutMs ?? 10_000);
    if (ready) {
      return {
        host: address,
        port,
        hostKeyLine: `[${address}]:${port} ${hostPub}`,
        dir,
        log: () => log,
        stop: async () => {
          await stopChild(child);
          if (ownDir) rmSync(dir, { recursive: true, force: true });
        },
      };
    }
    lastError = log.trim().split('\n').slice(-3).join(' ');
    await stopChild(child);
    if (o.port !== undefined || !/Address already in use|Bind to port/i.test(log)) break;
  }
  if (ownDir) rmSync(dir, { recursive: true, force: true });
  throw new PveGitopsError(`sshd did not start on ${address}: ${lastError || 'no output'}.`);
}

function waitListening(
  child: ChildProcess,
  log: () => string,
  timeoutMs: number,
): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      clearTimeout(timer);
      clearInterval(poll);
      child.off('exit', onExit);
      resolve(ok);
    };
    const onExit = () => done(false);
    const timer = setTimeout(() => done(false), timeoutMs);
    const poll = setInterval(() => {
      if (/Server listening on/.test(log())) done(true);
    }, 20);
    child.once('exit', onExit);
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(() => child.kill('SIGKILL'), 3_000);
    child.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
