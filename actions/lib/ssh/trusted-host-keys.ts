// Host keys for every host a run connects to, not only the ones apply created: a host that
// known_hosts does not list is looked up by name in the cluster and its keys are read through
// the guest agent over the pinned Proxmox API. Provisioning and kubeconfig publishing share it.
import { PveGitopsError } from '../errors.js';
import type { Logger } from '../log.js';
import type { ProxmoxClient } from '../proxmox/client.js';
import { hostKeys } from './known-hosts.js';
import { collectHostKeys, type HostKeyTarget } from './host-keys.js';

/** What reading host keys needs from the Proxmox client. */
export type HostKeyClient = Pick<ProxmoxClient, 'clusterResources' | 'agentFileRead'>;

/** A host as SSH reaches it: the VM's name and the address and port it connects to. */
export interface SshHost {
  name: string;
  address: string;
  port?: number;
}

export interface TrustedHostKeysOptions {
  hosts: readonly SshHost[];
  /** known_hosts text already trusted (an input, a file, ~/.ssh/known_hosts). */
  knownHosts: string;
  /** The Proxmox API; absent = nothing can be read, ssh decides as before. */
  proxmox?: HostKeyClient;
  /** Let a host whose key cannot be read through the agent be accepted on first use. */
  trustOnFirstUse: boolean;
  log: Logger;
  /** Per host, how long to retry the guest agent (default 60 s, as for new VMs). */
  timeoutMs?: number;
  intervalMs?: number;
}

export interface TrustedHostKeysResult {
  /** known_hosts lines read through the guest agent (empty when none were needed). */
  added: string;
  /** Hosts left without a trusted key: ssh will accept them on first use (or refuse them). */
  untrusted: string[];
}

/**
 * Completes known_hosts for `hosts`: each host known_hosts lacks is found by name in
 * /cluster/resources (one call) and its keys are read with collectHostKeys. With a Proxmox
 * client, a host whose key still cannot be had is refused by name before anything connects,
 * unless trust on first use is on. Without one, nothing is read and ssh decides.
 */
export async function trustedHostKeys(o: TrustedHostKeysOptions): Promise<TrustedHostKeysResult> {
  const missing = o.hosts.filter(
    (h) => hostKeys(o.knownHosts, h.address, h.port ?? 22).length === 0,
  );
  if (!missing.length || !o.proxmox) return { added: '', untrusted: missing.map((h) => h.name) };
  const proxmox = o.proxmox;
  return o.log.group(
    `Read the SSH host keys of ${missing.map((h) => h.name).join(', ')} through the guest agent`,
    async () => {
      const vms = (await proxmox.clusterResources('vm')).filter(
        (r) => r.type === 'qemu' && !r.template && r.vmid !== undefined && r.node,
      );
      const targets: HostKeyTarget[] = [];
      const unknown: string[] = [];
      for (const h of missing) {
        const found = vms.filter((v) => v.name === h.name);
        if (found.length !== 1) {
          o.log.warn(
            found.length
              ? `No SSH host key for ${h.name}: ${found.length} VMs in the cluster have that name (VMIDs ${found.map((v) => v.vmid).join(', ')}).`
              : `No SSH host key for ${h.name}: the cluster has no VM of that name.`,
          );
          unknown.push(h.name);
          continue;
        }
        const vm = found[0];
        targets.push({
          name: h.name,
          vmid: vm.vmid!,
          node: vm.node!,
          ip: h.address,
          ...(h.port && h.port !== 22 ? { port: h.port } : {}),
        });
      }
      const read = targets.length
        ? await collectHostKeys(proxmox, targets, {
            log: o.log,
            timeoutMs: o.timeoutMs,
            intervalMs: o.intervalMs,
          })
        : { knownHosts: '', missing: [] };
      const untrusted = missing
        .map((h) => h.name)
        .filter((n) => unknown.includes(n) || read.missing.includes(n));
      if (untrusted.length && !o.trustOnFirstUse)
        throw new PveGitopsError(
          `No trusted SSH host key for ${untrusted.join(', ')}: not in known_hosts and not readable through the Proxmox guest agent (see the warnings above); give the key in known-hosts or turn on trust-on-first-use.`,
        );
      for (const n of untrusted)
        o.log.warn(`${n}: its host key will be accepted on first use (trust-on-first-use).`);
      return { added: read.knownHosts, untrusted };
    },
  );
}
