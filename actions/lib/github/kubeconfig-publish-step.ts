import * as core from '@actions/core';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigurationError } from '../errors.js';
import type { Logger } from '../log.js';
import { parseHostList } from '../inventory/addresses.js';
import { publishNewClusters, type PublishHostsResult } from '../kubeconfig/publish.js';
import { describeLocation, type KubeconfigLocation } from '../kubeconfig/store.js';
import { locationOf } from '../kubeconfig/vault-env.js';
import { registerKey } from '../secrets.js';
import { loadValidRepository } from '../vm/load.js';
import { connectIfConfigured } from '../reconcile/connect.js';
import { connectVault, getVaultInputs, type VaultInputs } from './kubeconfig-vault.js';
import { escapeMarkdown, inlineCode } from '../text/markdown.js';
import { writeJobSummary } from './pr-comment.js';
import { booleanInput, proxmoxEnvFromInputs, PROXMOX_INPUTS } from './reconcile-inputs.js';
import { simulatorMode } from '../net/loopback.js';

/** Input names of the kubeconfig-publish action (apply.yml passes the first four). */
export const PUBLISH_INPUTS = {
  newHosts: 'new-hosts',
  sshPrivateKey: 'ssh-private-key',
  knownHosts: 'known-hosts',
  trustOnFirstUse: 'trust-on-first-use',
  sshUser: 'ssh-user',
  simulator: 'simulator',
  readyTimeout: 'ready-timeout',
  workingDirectory: 'working-directory',
  ...PROXMOX_INPUTS,
} as const;

export interface PublishInputs {
  vault: VaultInputs;
  /** Repository root: `working-directory` relative to GITHUB_WORKSPACE. */
  repoDir: string;
  /** The apply step's new-hosts (IP,name lines or JSON). */
  newHosts: Array<{ name: string; ip: string }>;
  sshPrivateKey: string;
  /** known_hosts lines; empty = the runner's ~/.ssh/known_hosts. */
  knownHosts: string;
  /** Accept host keys known_hosts does not list (never changed ones). Default false. */
  trustOnFirstUse: boolean;
  /** SSH user; default the VM's ciuser, else the repository's defaults.ciuser. */
  sshUser?: string;
  /** Refuse any non-loopback host (input `simulator` or PVE_GITOPS_SIMULATOR). */
  simulator: boolean;
  /** Seconds to wait for the nodes to be Ready. */
  readyTimeoutSeconds: number;
  /** PROXMOX_*: with PROXMOX_URL set, servers known-hosts lacks get keys read via the agent. */
  proxmoxEnv: NodeJS.ProcessEnv;
}

export function getPublishInputs(env: NodeJS.ProcessEnv = process.env): PublishInputs {
  const key = core
    .getInput(PUBLISH_INPUTS.sshPrivateKey, { trimWhitespace: false })
    .replace(/\r\n/g, '\n');
  if (key.trim()) registerKey(key.trim() + '\n');
  const vault = getVaultInputs(env);
  const workspace = path.resolve(env.GITHUB_WORKSPACE ?? process.cwd());
  let knownHosts = core.getInput(PUBLISH_INPUTS.knownHosts);
  if (!knownHosts) {
    const f = path.join(env.HOME ?? os.homedir(), '.ssh', 'known_hosts');
    knownHosts = existsSync(f) ? readFileSync(f, 'utf8') : '';
  }
  const timeout = Number(core.getInput(PUBLISH_INPUTS.readyTimeout) || '300');
  if (!Number.isFinite(timeout) || timeout <= 0)
    throw new ConfigurationError(
      `Input ${PUBLISH_INPUTS.readyTimeout} must be a number of seconds.`,
    );
  return {
    vault,
    repoDir: path.resolve(workspace, core.getInput(PUBLISH_INPUTS.workingDirectory) || '.'),
    newHosts: parseHostList(
      core.getInput(PUBLISH_INPUTS.newHosts),
      `The ${PUBLISH_INPUTS.newHosts} input`,
    ).hosts.map((h) => ({ name: h.name, ip: h.ip })),
    sshPrivateKey: key.trim() ? key.trim() + '\n' : '',
    knownHosts,
    trustOnFirstUse: booleanInput(PUBLISH_INPUTS.trustOnFirstUse, false),
    sshUser: core.getInput(PUBLISH_INPUTS.sshUser) || undefined,
    simulator: booleanInput(PUBLISH_INPUTS.simulator, false) || simulatorMode(env),
    readyTimeoutSeconds: timeout,
    proxmoxEnv: proxmoxEnvFromInputs(env),
  };
}

/** The job summary of a publish: what was stored where, and the hosts with nothing to publish. */
export function publishSummary(r: PublishHostsResult, location: KubeconfigLocation): string {
  const lines = ['### Kubeconfigs published', ''];
  lines.push(
    r.published.length
      ? `Stored ${r.published.map(inlineCode).join(', ')} in ${describeLocation(location)}${r.stored ? `, version ${r.stored.version}` : ''}.`
      : 'No new first k3s server: nothing was published.',
  );
  if (r.skipped.length) {
    lines.push('', '| VM | Nothing to publish |', '| --- | --- |');
    for (const s of r.skipped)
      lines.push(`| ${inlineCode(s.name)} | ${escapeMarkdown(s.reason)} |`);
  }
  if (r.stored)
    lines.push('', `Contexts now stored: ${r.stored.contexts.map(inlineCode).join(', ')}.`);
  return `${lines.join('\n')}\n`;
}

/**
 * The kubeconfig-publish action: for each new first k3s server, its kubeconfig merged into
 * Vault (check-and-set) once its nodes are Ready. Outputs `published` and `contexts`, and a
 * job summary naming what was stored where.
 */
export async function kubeconfigPublishStep(
  log: Logger,
  inputs = getPublishInputs(),
): Promise<void> {
  if (!inputs.newHosts.length) {
    log.info('No new hosts: nothing to publish.');
    core.setOutput('published', '');
    return;
  }
  if (!inputs.sshPrivateKey)
    throw new ConfigurationError(
      `Set the ${PUBLISH_INPUTS.sshPrivateKey} input: the key that logs in to the new VMs.`,
    );
  const { config, vms } = await loadValidRepository(inputs.repoDir);
  const location = locationOf(config.vault, {
    mount: inputs.vault.mount,
    path: inputs.vault.path,
    key: inputs.vault.key,
  });
  const vault = await connectVault(inputs.vault, log);
  const proxmox = await connectIfConfigured(inputs.proxmoxEnv, log);
  let r: Awaited<ReturnType<typeof publishNewClusters>>;
  try {
    r = await publishNewClusters({
      hosts: inputs.newHosts,
      vms,
      config,
      vault,
      location,
      ssh: {
        privateKey: inputs.sshPrivateKey,
        knownHosts: inputs.knownHosts,
        trustOnFirstUse: inputs.trustOnFirstUse,
        username: inputs.sshUser,
      },
      simulator: inputs.simulator,
      readyTimeoutMs: inputs.readyTimeoutSeconds * 1000,
      proxmox,
      log,
    });
  } finally {
    await proxmox?.close();
  }
  core.setOutput('published', r.published.join(' '));
  core.setOutput('contexts', (r.stored?.contexts ?? []).join(' '));
  await writeJobSummary(publishSummary(r, location));
}
