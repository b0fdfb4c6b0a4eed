import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { loadValidConfig } from '../../lib/config/load.js';
import { ConfigurationError, UsageError } from '../../lib/errors.js';
import { knownAddresses } from '../../lib/inventory/addresses.js';
import { INVENTORY_FILE } from '../../lib/inventory/update.js';
import { checkOutputPath } from '../../lib/fs/output-file.js';
import { getKubeconfig, writePrivateFile } from '../../lib/kubeconfig/get.js';
import { publishNewClusters } from '../../lib/kubeconfig/publish.js';
import { locationOf, vaultFromEnv } from '../../lib/kubeconfig/vault-env.js';
import { readPrivateKeyFile, sshKeyFromEnv } from '../../lib/ssh/key-file.js';
import { connectIfConfigured } from '../../lib/reconcile/connect.js';
import { parseIpConfig } from '../../lib/vm/ipconfig.js';
import { loadValidRepository } from '../../lib/vm/load.js';
import type { Command, CliContext } from '../cli.js';
import { simulatorMode } from '../../lib/net/loopback.js';

const usage =
  'pve-gitops kubeconfig publish --vm NAME [--address IP] [--ssh-key FILE] [--ssh-user U] [--ssh-port N] [--known-hosts FILE] [--trust-on-first-use] [--timeout SECONDS] | kubeconfig get --context NAME... [--out FILE]';

function addressOf(repo: string, name: string, ipconfig0: string | undefined): string {
  let ini = '';
  try {
    ini = readFileSync(path.join(repo, INVENTORY_FILE), 'utf8');
  } catch {
    // no inventory yet
  }
  const known = knownAddresses(ini).find((h) => h.name === name)?.ip;
  if (known) return known;
  const ip = ipconfig0 ? parseIpConfig(ipconfig0) : undefined;
  if (ip?.ok && ip.value.ip && ip.value.ip !== 'dhcp') return ip.value.ip.address;
  throw new ConfigurationError(
    `The address of ${name} is unknown (not in ${INVENTORY_FILE}, no static ipconfig0): pass --address.`,
  );
}

async function publish(values: Record<string, unknown>, ctx: CliContext): Promise<number> {
  const name = values.vm;
  if (typeof name !== 'string')
    throw new UsageError(`kubeconfig publish needs --vm NAME. Usage: ${usage}`);
  const { config, vms } = await loadValidRepository(ctx.repo);
  const vm = vms.find((v) => v.name === name);
  if (!vm) throw new ConfigurationError(`There is no VM ${name} in vms/.`);
  const ip =
    typeof values.address === 'string' ? values.address : addressOf(ctx.repo, name, vm.ipconfig0);
  const key =
    typeof values['ssh-key'] === 'string'
      ? readPrivateKeyFile(values['ssh-key'], '--ssh-key')
      : sshKeyFromEnv(ctx.env)?.key;
  if (!key?.trim())
    throw new ConfigurationError(
      'No SSH key: pass --ssh-key FILE or set SSH_PRIVATE_KEY or SSH_PRIVATE_KEY_FILE.',
    );
  const knownFile =
    typeof values['known-hosts'] === 'string'
      ? values['known-hosts']
      : path.join(ctx.env.HOME ?? homedir(), '.ssh', 'known_hosts');
  let knownHosts = '';
  try {
    knownHosts = readFileSync(knownFile, 'utf8');
  } catch {
    if (typeof values['known-hosts'] === 'string')
      throw new ConfigurationError(`Cannot read the known_hosts file ${knownFile}.`);
  }
  const timeout = values.timeout === undefined ? 300 : Number(values.timeout);
  if (!(timeout > 0))
    throw new UsageError(`--timeout must be a number of seconds, not '${String(values.timeout)}'.`);
  const port = values['ssh-port'] === undefined ? undefined : Number(values['ssh-port']);
  if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536))
    throw new UsageError(`--ssh-port must be a port number.`);
  const proxmox = await connectIfConfigured(ctx.env, ctx.log);
  let r: Awaited<ReturnType<typeof publishNewClusters>>;
  try {
    r = await publishNewClusters({
      hosts: [{ name, ip }],
      vms,
      config,
      vault: vaultFromEnv(ctx.env),
      location: locationOf(config.vault),
      ssh: {
        privateKey: key,
        knownHosts,
        trustOnFirstUse: values['trust-on-first-use'] === true,
        username: typeof values['ssh-user'] === 'string' ? values['ssh-user'] : undefined,
        port,
      },
      simulator: simulatorMode(ctx.env),
      readyTimeoutMs: timeout * 1000,
      proxmox,
      log: ctx.log,
    });
  } finally {
    await proxmox?.close();
  }
  if (!r.published.length)
    throw new ConfigurationError(
      `${name} is not the first server of a k3s cluster (${r.skipped[0]?.reason ?? 'no k3s'}); nothing to publish.`,
    );
  ctx.out(`${r.published.join('\n')}\n`);
  return 0;
}

async function get(values: Record<string, unknown>, ctx: CliContext): Promise<number> {
  const contexts = (Array.isArray(values.context) ? values.context : [])
    .flatMap((c) => String(c).split(','))
    .filter(Boolean);
  if (!contexts.length)
    throw new UsageError(`kubeconfig get needs --context NAME. Usage: ${usage}`);
  const out = typeof values.out === 'string' ? path.resolve(values.out) : undefined;
  // A path that cannot be written is refused before Vault is asked for anything.
  if (out) await checkOutputPath(out, { what: '--out' });
  // Outside a pve-gitops repository (no pve-gitops.yaml) the defaults; an invalid file stops
  // here rather than falling back to them and fetching another path's credentials.
  const { vault: vaultCfg } = await loadValidConfig(ctx.repo);
  const { text } = await getKubeconfig({
    vault: vaultFromEnv(ctx.env),
    location: locationOf(vaultCfg),
    contexts,
  });
  if (out) {
    await writePrivateFile(out, text, { what: '--out' });
    ctx.log.info(`Wrote ${contexts.join(', ')} to ${out} (mode 0600).`);
    ctx.out(`${out}\n`);
  } else ctx.out(text);
  return 0;
}

/** `pve-gitops kubeconfig publish|get`: the kubeconfig-publish and kubeconfig actions on a laptop. */
const command: Command = {
  summary:
    "Publishes a new k3s cluster's kubeconfig to Vault, or fetches contexts from it (VAULT_ADDR, VAULT_TOKEN).",
  usage,
  allowPositionals: true,
  subcommands: ['publish', 'get'],
  options: {
    vm: {
      type: 'string',
      value: 'NAME',
      description: "publish: the cluster's first server VM.",
      complete: 'context',
    },
    address: {
      type: 'string',
      value: 'IP',
      description: "publish: the server's address.",
      default: 'from inventory/k8s.ini, else the static ipconfig0',
    },
    'ssh-key': {
      type: 'string',
      value: 'FILE',
      description: 'publish: the private key (mode 0600).',
      default: 'SSH_PRIVATE_KEY, else SSH_PRIVATE_KEY_FILE',
      complete: 'file',
    },
    'ssh-user': {
      type: 'string',
      value: 'USER',
      description: 'publish: the SSH user.',
      default: "the VM's ciuser",
    },
    'ssh-port': {
      type: 'string',
      value: 'N',
      description: 'publish: the SSH port.',
      default: '22',
    },
    'known-hosts': {
      type: 'string',
      value: 'FILE',
      description: "publish: known_hosts holding the server's host key.",
      default: '~/.ssh/known_hosts',
      complete: 'file',
    },
    'trust-on-first-use': {
      type: 'boolean',
      description: 'publish: accept an unknown host key (a changed one is always refused).',
    },
    timeout: {
      type: 'string',
      value: 'SECONDS',
      description: "publish: how long to wait for the cluster's nodes to be Ready.",
      default: '300',
    },
    context: {
      type: 'string',
      multiple: true,
      value: 'NAME',
      description: 'get: a context to fetch (comma-separated works too); the first is current.',
      complete: 'context',
    },
    out: {
      type: 'string',
      value: 'FILE',
      description: 'get: write the kubeconfig to FILE (mode 0600) instead of stdout.',
      complete: 'file',
    },
  },
  examples: [
    [
      'pve-gitops kubeconfig get --context k8s-observability --out ~/.kube/homelab',
      "Fetch one cluster's kubeconfig from Vault into a private file.",
    ],
    [
      'pve-gitops kubeconfig publish --vm k8s-observability --known-hosts known_hosts',
      "Merge a new cluster's kubeconfig into Vault, as the workflow does after provisioning.",
    ],
  ],
  async run(values, positionals, ctx) {
    const [sub, ...extra] = positionals;
    if (extra.length) throw new UsageError(`Unexpected argument '${extra[0]}'. Usage: ${usage}`);
    if (sub === 'publish') return publish(values, ctx);
    if (sub === 'get') return get(values, ctx);
    throw new UsageError(`kubeconfig needs 'publish' or 'get'. Usage: ${usage}`);
  },
};
export default command;
