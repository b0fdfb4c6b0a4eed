import { ConfigurationError, describeError, PveGitopsError } from '../errors.js';
import { ruleGroup } from '../inventory/groups.js';
import type { Logger } from '../log.js';
import type { RepoConfig } from '../config/types.js';
import type { VmSpec } from '../vm/types.js';
import { isLoopbackAddress, isLoopbackUrl } from '../net/loopback.js';
import { normaliseK3sKubeconfig, type KubeconfigEntry } from './kubeconfig.js';
import { trustedHostKeys, type HostKeyClient } from '../ssh/trusted-host-keys.js';
import { waitForNodesReady } from './readiness.js';
import { fetchK3sKubeconfig, K3S_KUBECONFIG, type SshTarget } from './ssh-fetch.js';
import { publishKubeconfig, type KubeconfigLocation, type PublishResult } from './store.js';
import type { VaultClient } from './vault-client.js';

/** A VM that starts a cluster: a k3s server without `join` (or a `k3s` group VM without k3s:). */
export function isFirstServer(vm: VmSpec, config: RepoConfig): boolean {
  if (vm.k3s) return vm.k3s.role === 'server' && !vm.k3s.join;
  return ruleGroup(config.inventory.groups, vm.name) === 'k3s';
}

export interface PublishHostsOptions {
  /** New hosts (apply's new-hosts); only first servers are published. */
  hosts: Array<{ name: string; ip: string }>;
  vms: VmSpec[];
  config: RepoConfig;
  vault: VaultClient;
  location: KubeconfigLocation;
  ssh: Pick<SshTarget, 'privateKey' | 'knownHosts' | 'trustOnFirstUse'> & {
    username?: string;
    port?: number;
  };
  /** Refuse every address that is not loopback. */
  simulator: boolean;
  /** The Proxmox API: servers known_hosts lacks get their keys read through the guest agent. */
  proxmox?: HostKeyClient;
  /** Per host, how long to wait for its guest agent to give the keys. Default 60 s. */
  hostKeyTimeoutMs?: number;
  readyTimeoutMs?: number;
  readyIntervalMs?: number;
  log: Logger;
  /** Reads k3s.yaml from a host; default over SSH. */
  fetchKubeconfig?: (t: SshTarget, log: Logger) => Promise<string>;
}

export interface PublishHostsResult {
  published: string[];
  skipped: Array<{ name: string; reason: string }>;
  stored?: PublishResult;
}

/**
 * For each new first server: read its k3s.yaml over SSH, name it after the VM with the VM's
 * address, wait until the cluster's nodes (and new agents joining it) are Ready, then merge
 * all of them into the kubeconfig in Vault in one check-and-set write. A cluster that fails
 * is not published and fails the call after the others are stored.
 */
export async function publishNewClusters(o: PublishHostsOptions): Promise<PublishHostsResult> {
  const byName = new Map(o.vms.map((v) => [v.name, v]));
  const skipped: PublishHostsResult['skipped'] = [];
  const servers: Array<{ vm: VmSpec; ip: string }> = [];
  for (const h of o.hosts) {
    const vm = byName.get(h.name);
    if (!vm)
      throw new ConfigurationError(
        `The new host ${h.name} has no file vms/${h.name}.yaml in this repository.`,
      );
    if (o.simulator && !isLoopbackAddress(h.ip))
      throw new ConfigurationError(
        `Simulator mode: the new host ${h.name} has the address ${h.ip}, which is not a loopback address (127.0.0.0/8); nothing was published.`,
      );
    if (isFirstServer(vm, o.config)) servers.push({ vm, ip: h.ip });
    else
      skipped.push({
        name: h.name,
        reason: vm.k3s
          ? `a k3s ${vm.k3s.role} joining ${vm.k3s.join ?? 'the first k3s_server'}`
          : 'not a k3s server',
      });
  }
  for (const s of skipped) o.log.info(`${s.name}: nothing to publish (${s.reason}).`);
  const { added } = await trustedHostKeys({
    hosts: servers.map(({ vm, ip }) => ({ name: vm.name, address: ip, port: o.ssh.port })),
    knownHosts: o.ssh.knownHosts,
    proxmox: o.proxmox,
    trustOnFirstUse: !!o.ssh.trustOnFirstUse,
    timeoutMs: o.hostKeyTimeoutMs,
    log: o.log,
  });
  const knownHosts = added ? `${o.ssh.knownHosts.trimEnd()}\n${added}` : o.ssh.knownHosts;
  const fetcher = o.fetchKubeconfig ?? fetchK3sKubeconfig;
  const failures: string[] = [];
  const entries = await Promise.all(
    servers.map(async ({ vm, ip }): Promise<KubeconfigEntry | undefined> => {
      try {
        const text = await fetcher(
          {
            name: vm.name,
            host: ip,
            port: o.ssh.port,
            username: o.ssh.username ?? vm.ciuser ?? o.config.defaults.ciuser,
            privateKey: o.ssh.privateKey,
            knownHosts,
            trustOnFirstUse: o.ssh.trustOnFirstUse,
          },
          o.log,
        );
        const entry = normaliseK3sKubeconfig(text, {
          name: vm.name,
          address: ip,
          source: `${K3S_KUBECONFIG} of ${vm.name}`,
        });
        // k3s.yaml names its own server; a loopback one became the VM's address above, any
        // other is contacted as written, so simulator mode checks it too.
        if (o.simulator && !isLoopbackUrl(entry.cluster.server))
          throw new ConfigurationError(
            `Simulator mode: ${K3S_KUBECONFIG} of ${vm.name} names the server ${entry.cluster.server}, which is not a loopback address; it was not contacted.`,
          );
        const joining = o.hosts
          .filter((h) => byName.get(h.name)?.k3s?.join === vm.name)
          .map((h) => h.name);
        await waitForNodesReady({
          entry,
          expect: [vm.name, ...joining],
          log: o.log,
          timeoutMs: o.readyTimeoutMs,
          intervalMs: o.readyIntervalMs,
        });
        return entry;
      } catch (err) {
        failures.push(describeError(err));
        return undefined;
      }
    }),
  );
  const ready = entries.filter((e): e is KubeconfigEntry => !!e);
  let stored: PublishResult | undefined;
  if (ready.length)
    stored = await publishKubeconfig({
      vault: o.vault,
      location: o.location,
      entries: ready,
      log: o.log,
    });
  if (failures.length) {
    const done = ready.length ? ` (published: ${ready.map((e) => e.name).join(', ')})` : '';
    throw new PveGitopsError(`${failures.join(' ')}${done}`);
  }
  return { published: ready.map((e) => e.name), skipped, stored };
}
