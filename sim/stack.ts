// Everything `pve-gitops sim` runs, on loopback: Proxmox VE, Vault, the k3s cluster manager and
// (as root) one sshd host per running simulated VM with a static 127.x address.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigurationError } from '../actions/lib/errors.js';
import type { Logger } from '../actions/lib/log.js';
import { registerSecret } from '../actions/lib/secrets.js';
import { generateKeyPair } from './hosts/key-pair.js';
import { watchVmHosts, type HostWatcher } from './hosts/host-watcher.js';
import { startKubeManager, type KubeManager } from './kube/manager.js';
import { startProxmoxSim, type ProxmoxSim, type ProxmoxSimOptions } from './proxmox/index.js';
import { startVaultSim, type VaultSim } from './vault/index.js';

/** Vault KV v2 mount and the kubeconfig secret's path (pve-gitops.yaml defaults). */
export const KV_MOUNT = 'kv';
export const KUBECONFIG_PATH = 'cluster-secret-store/secrets/KUBECONFIG';

export interface SimStackOptions extends Omit<ProxmoxSimOptions, 'stateDir'> {
  /** Everything lives under here: cluster.json (Proxmox), vault/, kube/, hosts/, ssh/. */
  dir: string;
  /** Whether `dir` persists across runs (the Proxmox state is kept in it). */
  persistent: boolean;
  /** Public key file allowed to log in to the hosts; default a key pair made in `dir/ssh`. */
  authorizedKeyFile?: string;
  /** Start hosts (needs root); default: when running as root with unshare available. */
  hosts?: boolean;
  log: Logger;
}

export interface SimStack {
  proxmox: ProxmoxSim;
  vault: VaultSim;
  /** A Vault token whose policy allows only the kubeconfig secret. */
  vaultToken: string;
  kube: KubeManager;
  /** Absent without root. */
  hosts?: HostWatcher;
  /** The private key matching the authorized key, when known (mode 0600). */
  sshPrivateKeyFile?: string;
  stop(): Promise<void>;
}

/** Why hosts cannot run here, or undefined when they can. */
export function hostsUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'not running as root';
  if (spawnSync('unshare', ['--version']).status !== 0) return 'unshare is not installed';
  if (!existsSync('/usr/sbin/sshd')) return '/usr/sbin/sshd is not installed';
  return undefined;
}

function authorizedKey(o: SimStackOptions): { publicKey: string; privateKeyFile?: string } {
  if (o.authorizedKeyFile) {
    let text: string;
    try {
      text = readFileSync(o.authorizedKeyFile, 'utf8').trim();
    } catch {
      throw new ConfigurationError(`Cannot read the authorized key file ${o.authorizedKeyFile}.`);
    }
    if (!/^(ssh-|ecdsa-|sk-)\S+ [A-Za-z0-9+/]+=*( .*)?$/.test(text.split('\n')[0] ?? ''))
      throw new ConfigurationError(
        `${o.authorizedKeyFile} is not an SSH public key (a line like 'ssh-ed25519 AAAA… comment').`,
      );
    const priv = o.authorizedKeyFile.replace(/\.pub$/, '');
    return {
      publicKey: text,
      privateKeyFile: priv !== o.authorizedKeyFile && existsSync(priv) ? priv : undefined,
    };
  }
  const dir = path.join(o.dir, 'ssh');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, 'id_ed25519');
  const publicKey =
    existsSync(file) && existsSync(`${file}.pub`)
      ? readFileSync(`${file}.pub`, 'utf8').trim()
      : generateKeyPair(file, 'pve-gitops-sim');
  return { publicKey, privateKeyFile: file };
}

/** Starts the whole simulated world; stop() ends every process it started. */
export async function startSimStack(o: SimStackOptions): Promise<SimStack> {
  const stops: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const s of stops.reverse()) await s();
  };
  try {
    const key = authorizedKey(o);
    const proxmox = await startProxmoxSim({ ...o, stateDir: o.persistent ? o.dir : undefined });
    stops.push(() => proxmox.stop());
    registerSecret(proxmox.tokenSecret);
    registerSecret(proxmox.password);

    const vault = await startVaultSim({ stateDir: path.join(o.dir, 'vault') });
    stops.push(() => vault.stop());
    registerSecret(vault.rootToken);
    vault.mount(KV_MOUNT, 2);
    vault.writePolicy(
      'pve-gitops-kubeconfig',
      `path "${KV_MOUNT}/data/${KUBECONFIG_PATH}" { capabilities = ["create", "read", "update"] }\n` +
        `path "${KV_MOUNT}/metadata/${KUBECONFIG_PATH}" { capabilities = ["read"] }\n`,
    );
    const vaultToken = vault.createToken(['pve-gitops-kubeconfig'], 7 * 24 * 3600);
    registerSecret(vaultToken);

    const kube = await startKubeManager({ stateDir: path.join(o.dir, 'kube') });
    stops.push(() => kube.stop());

    let hosts: HostWatcher | undefined;
    const why = o.hosts === false ? 'hosts turned off' : hostsUnavailable();
    if (why)
      o.log.warn(`No VM hosts (sshd per VM): ${why}; Proxmox, Vault and k3s run without them.`);
    else {
      hosts = watchVmHosts({
        cluster: proxmox.cluster,
        authorizedKey: key.publicKey,
        stateDir: path.join(o.dir, 'hosts'),
        log: o.log,
        onStart: (name, ip) => kube.registerHost(name, ip),
      });
      const h = hosts;
      stops.push(() => h.stop());
    }
    return {
      proxmox,
      vault,
      vaultToken,
      kube,
      hosts,
      sshPrivateKeyFile: key.privateKeyFile,
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
