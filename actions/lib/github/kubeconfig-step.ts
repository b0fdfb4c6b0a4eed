import * as core from '@actions/core';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { loadValidConfig } from '../config/load.js';
import { ConfigurationError } from '../errors.js';
import type { Logger } from '../log.js';
import { checkOutputPath } from '../fs/output-file.js';
import { getKubeconfig, writePrivateFile } from '../kubeconfig/get.js';
import { locationOf } from '../kubeconfig/vault-env.js';
import { connectVault, getVaultInputs, type VaultInputs } from './kubeconfig-vault.js';

/** Input names of the kubeconfig action (action.yml). */
export const KUBECONFIG_INPUTS = {
  workingDirectory: 'working-directory',
  context: 'context',
  file: 'file',
  exportEnv: 'export-env',
} as const;

export interface KubeconfigInputs {
  vault: VaultInputs;
  /** Repository root (`working-directory` under GITHUB_WORKSPACE): its pve-gitops.yaml's vault settings are the defaults. */
  repoDir: string;
  /** Contexts to fetch (newline, comma or space separated); the first becomes current. */
  contexts: string[];
  /** Where to write; default a fresh 0700 directory under RUNNER_TEMP. */
  file: string;
  /** The file input was given: its directory must exist (never created unasked). */
  fileGiven?: boolean;
  /** Export KUBECONFIG for later steps (default true). */
  exportEnv: boolean;
}

export function getKubeconfigInputs(env: NodeJS.ProcessEnv = process.env): KubeconfigInputs {
  const vault = getVaultInputs(env);
  const contexts = core
    .getInput(KUBECONFIG_INPUTS.context)
    .split(/[\s,]+/)
    .filter(Boolean);
  if (!contexts.length)
    throw new ConfigurationError(
      `Set the ${KUBECONFIG_INPUTS.context} input to the context (cluster name) to fetch.`,
    );
  const temp = env.RUNNER_TEMP || path.join(process.cwd(), '.pve-gitops');
  const given = core.getInput(KUBECONFIG_INPUTS.file);
  const file = given || path.join(temp, `kubeconfig-${randomBytes(6).toString('hex')}`, 'config');
  const raw = core.getInput(KUBECONFIG_INPUTS.exportEnv).trim().toLowerCase();
  if (raw && !['true', 'false'].includes(raw))
    throw new ConfigurationError(
      `Input ${KUBECONFIG_INPUTS.exportEnv} is '${raw}'; use true or false.`,
    );
  const workspace = path.resolve(env.GITHUB_WORKSPACE ?? process.cwd());
  const repoDir = path.resolve(workspace, core.getInput(KUBECONFIG_INPUTS.workingDirectory) || '.');
  return {
    vault,
    repoDir,
    contexts,
    file: path.resolve(file),
    fileGiven: !!given,
    exportEnv: raw !== 'false',
  };
}

/** The kubeconfig action: Vault → a 0600 kubeconfig with only the asked contexts → KUBECONFIG. */
export async function kubeconfigStep(log: Logger, inputs = getKubeconfigInputs()): Promise<void> {
  // pve-gitops.yaml, when the job has the repository checked out, gives the defaults; when it
  // is invalid nothing is fetched, never the built-in path (another cluster's credentials).
  const repoConfig = await loadValidConfig(inputs.repoDir);
  const location = locationOf(repoConfig.vault, {
    mount: inputs.vault.mount,
    path: inputs.vault.path,
    key: inputs.vault.key,
  });
  core.debug(
    `kubeconfig: ${inputs.vault.addr} ${location.mount}/${location.path} key ${location.key}, contexts ${inputs.contexts.join(',')}`,
  );
  const output = {
    what: inputs.fileGiven ? `The ${KUBECONFIG_INPUTS.file} input` : 'The kubeconfig file',
    createParents: !inputs.fileGiven,
  };
  // A path that cannot be written is refused before Vault is asked for anything.
  await checkOutputPath(inputs.file, output);
  const vault = await connectVault(inputs.vault, log);
  const { text, config } = await log.group('Fetch the kubeconfig from Vault', () =>
    getKubeconfig({ vault, location, contexts: inputs.contexts }),
  );
  await writePrivateFile(inputs.file, text, output);
  log.info(
    `Wrote ${config.contexts.length} context(s) (${inputs.contexts.join(', ')}) to ${inputs.file} (mode 0600).`,
  );
  if (inputs.exportEnv) core.exportVariable('KUBECONFIG', inputs.file);
  core.setOutput('kubeconfig-path', inputs.file);
  core.setOutput('contexts', config.contexts.map((c) => c.name).join(' '));
  core.setOutput('servers', config.clusters.map((c) => c.cluster.server).join(' '));
}
