import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Logger } from '../../actions/lib/log.js';
import { registerSecret } from '../../actions/lib/secrets.js';
import { startVmHosts, type VmHosts } from '../hosts/vm-hosts.js';
import { startKubeManager, type KubeManager } from '../kube/manager.js';
import { startProxmoxSim, type ProxmoxSim } from '../proxmox/index.js';
import { startVaultSim, type VaultSim } from '../vault/index.js';

/** Everything the demo talks to, all on loopback. */
export interface DemoWorld {
  proxmox: ProxmoxSim;
  vault: VaultSim;
  /** A Vault token limited to the kubeconfig secret (what CI would hold). */
  vaultToken: string;
  kube: KubeManager;
  /** The SSH key pair provisioning logs in with (private key: a 0600 file in a 0700 folder). */
  sshKeyFile: string;
  sshPublicKey: string;
  /** Started once apply has created the VMs. */
  hosts?: VmHosts;
  stop(): Promise<void>;
}

/** Starts the Proxmox, Vault and k3s simulators; the VM hosts come later (startHosts). */
export async function startWorld(
  state: string,
  timeScale: number,
  log: Logger,
): Promise<DemoWorld> {
  const stops: Array<() => Promise<void>> = [];
  try {
    const proxmox = await startProxmoxSim({ stateDir: path.join(state, 'proxmox'), timeScale });
    stops.push(() => proxmox.stop());
    registerSecret(proxmox.tokenSecret);
    log.info(`Proxmox VE simulator: ${proxmox.url} (nodes pve1, pve2, still-fawn)`);

    const vault = await startVaultSim({ stateDir: path.join(state, 'vault') });
    stops.push(() => vault.stop());
    registerSecret(vault.rootToken);
    vault.mount('kv', 2);
    vault.writePolicy(
      'kubeconfig',
      'path "kv/data/cluster-secret-store/*" { capabilities = ["create", "read", "update"] }\n' +
        'path "kv/metadata/cluster-secret-store/*" { capabilities = ["read"] }\n',
    );
    const vaultToken = vault.createToken(['kubeconfig'], 3600);
    registerSecret(vaultToken);
    log.info(
      `Vault simulator: ${vault.addr} (KV v2 at kv/, a token limited to the kubeconfig secret)`,
    );

    const kube = await startKubeManager({ stateDir: path.join(state, 'kube'), readyDelayMs: 1500 });
    stops.push(() => kube.stop());
    log.info(`k3s simulator: installer at ${kube.installerUrl}`);

    const keyDir = mkdtempSync(path.join(tmpdir(), 'pve-gitops-demo-key-'));
    const sshKeyFile = path.join(keyDir, 'id_ed25519');
    execFileSync('ssh-keygen', [
      '-q',
      '-t',
      'ed25519',
      '-N',
      '',
      '-C',
      'pve-gitops-demo',
      '-f',
      sshKeyFile,
    ]);
    registerSecret(readFileSync(sshKeyFile, 'utf8').trim());
    const world: DemoWorld = {
      proxmox,
      vault,
      vaultToken,
      kube,
      sshKeyFile,
      sshPublicKey: readFileSync(`${sshKeyFile}.pub`, 'utf8').trim(),
      async stop() {
        await world.hosts?.stop();
        for (const stop of stops.reverse()) await stop();
        execFileSync('rm', ['-rf', keyDir]);
      },
    };
    return world;
  } catch (err) {
    for (const stop of stops.reverse()) await stop();
    throw err;
  }
}

/**
 * One real sshd per new VM on its 127.x address, in its own mount and UTS namespaces, each
 * presenting the host key the Proxmox simulator's guest agent reports for that VM.
 */
export async function startHosts(
  world: DemoWorld,
  vms: Array<{ name: string; ip: string; vmid: number }>,
  state: string,
  log: Logger,
): Promise<VmHosts> {
  for (const vm of vms) world.kube.registerHost(vm.name, vm.ip);
  world.hosts = await startVmHosts({
    vms: vms.map(({ name, ip }) => ({ name, ip })),
    authorizedKey: world.sshPublicKey,
    stateDir: path.join(state, 'hosts'),
    hostKeys: Object.fromEntries(
      vms.map((vm) => [vm.name, world.proxmox.cluster.hostKeyOf(vm.vmid).privateKey]),
    ),
  });
  for (const h of world.hosts.hosts) log.info(`VM host ${h.name}: sshd on ${h.ip}:${h.port}`);
  return world.hosts;
}
