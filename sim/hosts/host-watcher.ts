// `pve-gitops sim`'s hosts: one real sshd per running simulated VM with a static loopback
// address, started and stopped as VMs come and go in the Proxmox simulator.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { Logger } from '../../actions/lib/log.js';
import { shellQuote } from '../../actions/lib/proxmox/shell-quote.js';
import type { Cluster, GuestRunner } from '../proxmox/cluster.js';
import { parseProps } from '../proxmox/vm-config.js';
import { generateKeyPair } from './key-pair.js';
import { startVmHosts, type VmHosts } from './vm-hosts.js';

export interface HostWatcherOptions {
  cluster: Cluster;
  /** Public key line(s) allowed to log in as root. */
  authorizedKey: string;
  /** Per-host state (see startVmHosts), plus `known_hosts` of the hosts running now. */
  stateDir: string;
  log: Logger;
  /** Called for each host started (e.g. the k3s manager's registerHost). */
  onStart?: (name: string, ip: string) => void;
  /** Session PATH prefix and environment, as startVmHosts takes them. */
  pathPrefix?: string[];
  env?: Record<string, string>;
  /** Poll interval. Default 500 ms. */
  intervalMs?: number;
}

export interface HostWatcher {
  /** Running hosts by VM name. */
  running(): Map<string, { ip: string; vmid: number; port: number }>;
  /** Runs one reconciliation now (tests). */
  sync(): Promise<void>;
  stop(): Promise<void>;
}

const NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** The VMs that should have a host: running, named, with a static 127.x ipconfig0. */
function wanted(cluster: Cluster): Map<string, { ip: string; vmid: number; key: string }> {
  const out = new Map<string, { ip: string; vmid: number; key: string }>();
  for (const vm of cluster.vms()) {
    if (vm.status !== 'running' || vm.config.template) continue;
    const name = String(vm.config.name ?? '');
    const ip = /^([\d.]+)\/\d+$/.exec(parseProps(String(vm.config.ipconfig0 ?? '')).ip ?? '')?.[1];
    if (!ip || !NAME.test(name) || net.isIP(ip) !== 4 || !ip.startsWith('127.') || out.has(name))
      continue;
    if ([...out.values()].some((w) => w.ip === ip)) continue;
    const key = cluster.hostKeyOf(vm.vmid).privateKey;
    out.set(name, { ip, vmid: vm.vmid, key });
  }
  return out;
}

/** Runs argv on a VM's host as its guest agent would in the guest: over SSH, as root. */
function runOverSsh(key: string, ip: string, port: number, knownHosts: string): GuestRunner {
  return (argv, input) =>
    new Promise((resolve) => {
      const child = execFile(
        'ssh',
        [
          '-i',
          key,
          '-p',
          String(port),
          '-o',
          'BatchMode=yes',
          '-o',
          'StrictHostKeyChecking=yes',
          '-o',
          `UserKnownHostsFile=${knownHosts}`,
          `root@${ip}`,
          '--',
          argv.map(shellQuote).join(' '),
        ],
        { encoding: 'utf8', timeout: 600_000, maxBuffer: 16 << 20 },
        (err, stdout, stderr) =>
          resolve({
            exitcode: !err
              ? 0
              : typeof (err as { code?: unknown }).code === 'number'
                ? Number((err as { code: number }).code)
                : 255,
            out: stdout,
            err: stderr,
          }),
      );
      child.stdin?.end(input ?? '');
    });
}

/**
 * Polls the cluster and keeps one sshd host per wanted VM (startVmHosts: own 127.x address,
 * port 22, private namespaces), presenting the host key the guest agent reports. A VM that
 * stops, is deleted or changes address or key loses its host (and gets a new one if wanted).
 */
export function watchVmHosts(o: HostWatcherOptions): HostWatcher {
  const hosts = new Map<string, { ip: string; vmid: number; key: string; vm: VmHosts }>();
  const failed = new Set<string>();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<void> = Promise.resolve();
  mkdirSync(o.stateDir, { recursive: true, mode: 0o700 });
  // The guest agent's own key: exec runs programs on the VM's host over SSH as root.
  const agentKey = path.join(o.stateDir, 'guest-agent-key');
  const agentPub = existsSync(`${agentKey}.pub`)
    ? readFileSync(`${agentKey}.pub`, 'utf8').trim()
    : generateKeyPair(agentKey, 'pve-gitops-sim guest agent');
  const authorized = [o.authorizedKey, agentPub];

  const writeKnownHosts = () => {
    const lines = [...hosts.entries()].map(([name, h]) => {
      const port = h.vm.hosts[0]?.port ?? 22;
      const pub = o.cluster.vm(h.vmid)?.hostKey?.publicKey.split(' ').slice(0, 2).join(' ');
      return pub ? `${port === 22 ? h.ip : `[${h.ip}]:${port}`} ${pub}` : `# ${name}: no key`;
    });
    writeFileSync(
      path.join(o.stateDir, 'known_hosts'),
      lines.join('\n') + (lines.length ? '\n' : ''),
      {
        mode: 0o644,
      },
    );
  };

  const tick = async () => {
    const want: ReturnType<typeof wanted> = stopped
      ? new Map<string, { ip: string; vmid: number; key: string }>()
      : wanted(o.cluster);
    for (const [name, h] of [...hosts]) {
      const w = want.get(name);
      if (w && w.ip === h.ip && w.vmid === h.vmid && w.key === h.key) continue;
      hosts.delete(name);
      o.cluster.guests.delete(h.vmid);
      await h.vm.stop();
      o.log.info(`Host ${name} (${h.ip}) stopped.`);
    }
    for (const [name, w] of want) {
      const id = `${name}:${w.vmid}:${w.ip}`;
      if (hosts.has(name) || failed.has(id)) continue;
      try {
        const vm = await startVmHosts({
          vms: [{ name, ip: w.ip }],
          authorizedKey: authorized,
          stateDir: o.stateDir,
          hostKeys: { [name]: w.key },
          pathPrefix: o.pathPrefix,
          env: o.env,
        });
        hosts.set(name, { ...w, vm });
        o.cluster.guests.set(
          w.vmid,
          runOverSsh(agentKey, w.ip, vm.hosts[0].port, vm.knownHostsFile),
        );
        o.onStart?.(name, w.ip);
        o.log.info(`Host ${name}: sshd on ${w.ip}:${vm.hosts[0].port} (VM ${w.vmid}).`);
      } catch (err) {
        // Once per VM: a host that cannot start is reported, not retried every poll.
        failed.add(id);
        o.log.warn(
          `Host ${name} (${w.ip}) did not start: ${err instanceof Error ? err.message : String(err)}`,
        );
      }
    }
    writeKnownHosts();
  };
  const safeTick = () =>
    tick().catch((err: unknown) =>
      o.log.warn(`Host watcher: ${err instanceof Error ? err.message : String(err)}`),
    );
  const sync = () => (current = current.then(safeTick));
  const loop = () => {
    timer = setTimeout(() => {
      void sync().finally(() => {
        if (!stopped) loop();
      });
    }, o.intervalMs ?? 500);
  };
  loop();
  return {
    running: () =>
      new Map(
        [...hosts].map(([n, h]) => [n, { ip: h.ip, vmid: h.vmid, port: h.vm.hosts[0].port }]),
      ),
    sync,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await sync();
    },
  };
}
