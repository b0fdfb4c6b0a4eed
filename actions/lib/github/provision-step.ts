import * as core from '@actions/core';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ConfigurationError } from '../errors.js';
import { parseRun, type PlaybookRun } from '../gitops/tags.js';
import { parseHostList } from '../inventory/addresses.js';
import type { Logger } from '../log.js';
import { provision, type ProvisionResult } from '../provision/provision.js';
import { registerKey, registerSecret } from '../secrets.js';
import { connectIfConfigured } from '../reconcile/connect.js';
import { booleanInput, proxmoxEnvFromInputs, PROXMOX_INPUTS } from './reconcile-inputs.js';
import { simulatorMode } from '../net/loopback.js';

/** Input names of the provision action (action.yml). */
export const PROVISION_INPUTS = {
  workingDirectory: 'working-directory',
  playbooks: 'playbooks',
  newHosts: 'new-hosts',
  sshPrivateKey: 'ssh-private-key',
  k3sToken: 'k3s-token',
  knownHosts: 'known-hosts',
  trustOnFirstUse: 'trust-on-first-use',
  simulator: 'simulator',
  ...PROXMOX_INPUTS,
} as const;

export interface ProvisionInputs {
  /** Repository root: `working-directory` relative to GITHUB_WORKSPACE. */
  repoDir: string;
  /** The tags step's `playbooks`: one `playbook [--limit host]` a line. */
  runs: PlaybookRun[];
  /** New hosts: IP,name lines (or the apply step's JSON). */
  newHosts: Array<{ name: string; ip: string }>;
  /** The guests' SSH private key (secret SSH_PRIVATE_KEY). */
  sshPrivateKey: string;
  /** K3S_TOKEN for the k3s role, passed in ansible's environment; empty = none. */
  k3sToken: string;
  /** known_hosts lines for the hosts; empty = the runner's ~/.ssh/known_hosts. */
  knownHosts: string;
  /** Accept keys of hosts not yet known (default false). */
  trustOnFirstUse: boolean;
  /** Refuse any target that is not loopback (input `simulator` or PVE_GITOPS_SIMULATOR). */
  simulator: boolean;
  /** Parent of the private temporary directory. */
  tempRoot?: string;
  /**
   * PROXMOX_* (proxmox-* inputs over the job's environment): with PROXMOX_URL set, hosts
   * known-hosts lacks get their keys read through the guest agent.
   */
  proxmoxEnv: NodeJS.ProcessEnv;
}

/** Reads the inputs, masking the secrets before anything can print them. */
export function getProvisionInputs(env: NodeJS.ProcessEnv = process.env): ProvisionInputs {
  const sshPrivateKey = core.getInput(PROVISION_INPUTS.sshPrivateKey, { trimWhitespace: false });
  if (sshPrivateKey.trim()) registerKey(sshPrivateKey.replace(/\r\n/g, '\n').trim() + '\n');
  const k3sToken = core.getInput(PROVISION_INPUTS.k3sToken);
  registerSecret(k3sToken);
  const workspace = path.resolve(env.GITHUB_WORKSPACE ?? process.cwd());
  const runs = core
    .getInput(PROVISION_INPUTS.playbooks)
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map(parseRun);
  const hosts = parseHostList(
    core.getInput(PROVISION_INPUTS.newHosts),
    `The ${PROVISION_INPUTS.newHosts} input`,
  );
  const inputs: ProvisionInputs = {
    repoDir: path.resolve(workspace, core.getInput(PROVISION_INPUTS.workingDirectory) || '.'),
    runs,
    newHosts: hosts.hosts.map((h) => ({ name: h.name, ip: h.ip })),
    sshPrivateKey,
    k3sToken,
    knownHosts: core.getInput(PROVISION_INPUTS.knownHosts),
    trustOnFirstUse: booleanInput(PROVISION_INPUTS.trustOnFirstUse, false),
    simulator: booleanInput(PROVISION_INPUTS.simulator, false) || simulatorMode(env),
    tempRoot: env.RUNNER_TEMP && existsSync(env.RUNNER_TEMP) ? env.RUNNER_TEMP : undefined,
    proxmoxEnv: proxmoxEnvFromInputs(env),
  };
  core.debug(
    `pve-gitops provision: repo ${inputs.repoDir}, ${runs.length} run(s), new hosts [${inputs.newHosts
      .map((h) => h.name)
      .join(
        ', ',
      )}], simulator ${inputs.simulator}, trust-on-first-use ${inputs.trustOnFirstUse}, ` +
      `host keys through Proxmox ${inputs.proxmoxEnv.PROXMOX_URL ? 'yes' : 'no'}`,
  );
  return inputs;
}

/**
 * The provision action: runs the tags' playbooks and each new host's default playbook with
 * ansible-playbook, limited to those hosts. Outputs `provisioned` (host names,
 * space-separated) and `runs` (the number of ansible-playbook runs).
 */
export async function provisionStep(
  log: Logger,
  inputs: ProvisionInputs = getProvisionInputs(),
): Promise<ProvisionResult> {
  const hasWork = inputs.runs.length > 0 || inputs.newHosts.length > 0;
  if (hasWork && !inputs.sshPrivateKey.trim()) {
    throw new ConfigurationError(
      `The ${PROVISION_INPUTS.sshPrivateKey} input is empty; set the repository secret SSH_PRIVATE_KEY.`,
    );
  }
  const proxmox = hasWork ? await connectIfConfigured(inputs.proxmoxEnv, log) : undefined;
  let r: ProvisionResult;
  try {
    r = await provision({
      repoDir: inputs.repoDir,
      runs: inputs.runs,
      newHosts: inputs.newHosts,
      sshPrivateKey: hasWork ? inputs.sshPrivateKey : undefined,
      keySource: `The ${PROVISION_INPUTS.sshPrivateKey} input`,
      knownHosts: inputs.knownHosts.trim() ? inputs.knownHosts : undefined,
      trustOnFirstUse: inputs.trustOnFirstUse,
      simulator: inputs.simulator,
      extraEnv: inputs.k3sToken ? { K3S_TOKEN: inputs.k3sToken } : {},
      tempRoot: inputs.tempRoot,
      proxmox,
      log,
    });
  } finally {
    await proxmox?.close();
  }
  core.setOutput('provisioned', r.provisioned.join(' '));
  core.setOutput('runs', String(r.runs.length));
  return r;
}
