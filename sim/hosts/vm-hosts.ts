// Simulated VMs for provisioning: one real sshd per VM on the VM's own 127.x address, each in
// private mount and UTS namespaces, so Ansible (and a k3s installer) run for real without
// touching the machine or each other.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { ConfigurationError, PveGitopsError } from '../../actions/lib/errors.js';
import { startSshHost, type SshHost } from './ssh-host.js';

/** Directories each simulated VM gets privately: where k3s writes. */
export const PRIVATE_DIRS = ['/etc/rancher', '/var/lib/rancher', '/usr/local/bin'] as const;

export interface VmHostsOptions {
  /** The VMs: RFC 1123 names and 127.0.0.0/8 addresses, each address used once. */
  vms: Array<{ name: string; ip: string }>;
  /** Public key line(s) allowed to log in as root. */
  authorizedKey: string | string[];
  /** Per-host state (sshd keys and config, the private directories); kept by stop(). */
  stateDir: string;
  /** Directories put first on PATH in sessions (e.g. a k3s installer stand-in). */
  pathPrefix?: string[];
  /** Extra session environment (no secrets). */
  env?: Record<string, string>;
  /**
   * Host private keys by VM name (e.g. from the Proxmox simulator's `cluster.hostKeyOf`), so
   * each sshd presents the key the guest agent reported; absent = a fresh key per host.
   */
  hostKeys?: Record<string, string>;
}

export interface VmHost {
  name: string;
  ip: string;
  /** 22 unless that port was taken on this address; then pass it as ansible_port. */
  port: number;
  /** Host directory behind each private directory, e.g. `/var/lib/rancher` → `<state>/k8s-foo/var-lib-rancher`. */
  dirs: Record<(typeof PRIVATE_DIRS)[number], string>;
  /** sshd's log so far. */
  log(): string;
}

export interface VmHosts {
  hosts: VmHost[];
  /** known_hosts with every host's key (`IP key`, or `[IP]:port key` off port 22). */
  knownHostsFile: string;
  /** Ports off 22 by VM name, for the inventory (ansible_port); empty when all use 22. */
  ports: Record<string, number>;
  stop(): Promise<void>;
}

const NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

function checkVms(vms: VmHostsOptions['vms']): void {
  const seen = new Set<string>();
  for (const vm of vms) {
    if (!NAME.test(vm.name))
      throw new ConfigurationError(`Simulated VM name '${vm.name}' is not an RFC 1123 label.`);
    if (net.isIP(vm.ip) !== 4 || !vm.ip.startsWith('127.'))
      throw new ConfigurationError(
        `Simulated VM ${vm.name} must have a 127.0.0.0/8 address; '${vm.ip}' is not one.`,
      );
    if (seen.has(vm.ip) || seen.has(vm.name))
      throw new ConfigurationError(
        `Simulated VM ${vm.name} or its address ${vm.ip} is used twice.`,
      );
    seen.add(vm.ip).add(vm.name);
  }
}

/** Whether the kernel routes `ip` to the loopback device (all of 127/8 is, on Linux). */
export function routedToLoopback(ip: string): boolean {
  const r = spawnSync('ip', ['-4', 'route', 'get', ip], { encoding: 'utf8' });
  return r.status === 0 && /\bdev lo\b/.test(r.stdout);
}

async function portFree(ip: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, ip, () => srv.close(() => resolve(true)));
  });
}

const quote = (p: string) => {
  if (p.includes("'")) throw new ConfigurationError(`State directory '${p}' contains a quote.`);
  return `'${p}'`;
};

/**
 * Starts one sshd per VM on the VM's 127.x address, port 22 (a free port when 22 is taken
 * there, reported in `ports`), with the VM name as hostname and private bind mounts of
 * /etc/rancher, /var/lib/rancher and /usr/local/bin from `<stateDir>/<name>/`. Needs root.
 * Missing mount points are created once on the machine as empty directories.
 */
export async function startVmHosts(o: VmHostsOptions): Promise<VmHosts> {
  checkVms(o.vms);
  const stateDir = path.resolve(o.stateDir);
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  for (const d of PRIVATE_DIRS) if (!existsSync(d)) mkdirSync(d, { recursive: true, mode: 0o755 });
  const started: Array<{ vm: VmHost; ssh: SshHost }> = [];
  const stop = async () => {
    await Promise.all(started.map((s) => s.ssh.stop()));
  };
  try {
    for (const vm of o.vms) {
      if (!routedToLoopback(vm.ip))
        throw new PveGitopsError(`${vm.ip} (${vm.name}) is not routed to the loopback device.`);
      const base = path.join(stateDir, vm.name);
      const dirs = Object.fromEntries(
        PRIVATE_DIRS.map((d) => [d, path.join(base, d.slice(1).replace(/\//g, '-'))]),
      ) as VmHost['dirs'];
      for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true, mode: 0o755 });
      const setup = PRIVATE_DIRS.map((d) => `mount --bind ${quote(dirs[d])} ${d}`).join(' && ');
      const start = (port: number | undefined) =>
        startSshHost({
          address: vm.ip,
          port,
          authorizedKey: o.authorizedKey,
          hostname: vm.name,
          namespaceSetup: setup,
          dir: path.join(base, 'sshd'),
          pathPrefix: o.pathPrefix,
          env: o.env,
          hostKey: o.hostKeys?.[vm.name],
        });
      // Port 22 as on a real VM; another process may take it between the probe and sshd.
      const ssh = (await portFree(vm.ip, 22))
        ? await start(22).catch((err: unknown) => {
            if (/already in use|Bind to port/i.test(String(err))) return start(undefined);
            throw err;
          })
        : await start(undefined);
      started.push({
        vm: { name: vm.name, ip: vm.ip, port: ssh.port, dirs, log: () => ssh.log() },
        ssh,
      });
    }
  } catch (err) {
    await stop();
    throw err;
  }
  const knownHostsFile = path.join(stateDir, 'known_hosts');
  const lines = started.map(({ vm, ssh }) => {
    const key = ssh.hostKeyLine.split(' ').slice(1).join(' ');
    return `${vm.port === 22 ? vm.ip : `[${vm.ip}]:${vm.port}`} ${key}`;
  });
  writeFileSync(knownHostsFile, lines.join('\n') + '\n', { mode: 0o644 });
  const ports = Object.fromEntries(
    started.filter((s) => s.vm.port !== 22).map((s) => [s.vm.name, s.vm.port]),
  );
  return { hosts: started.map((s) => s.vm), knownHostsFile, ports, stop };
}
