import * as core from '@actions/core';
import path from 'node:path';
import { ConfigurationError } from '../errors.js';

/** Input names of the plan and apply actions (action.yml). */
/** The Proxmox connection inputs every action that talks to Proxmox takes (PROXMOX_* in kebab-case). */
export const PROXMOX_INPUTS = {
  proxmoxUrl: 'proxmox-url',
  proxmoxTokenId: 'proxmox-token-id',
  proxmoxTokenSecret: 'proxmox-token-secret',
  proxmoxTlsFingerprint: 'proxmox-tls-fingerprint',
  proxmoxCaFile: 'proxmox-ca-file',
} as const;

export const RECONCILE_INPUTS = {
  ...PROXMOX_INPUTS,
  proxmoxInsecure: 'proxmox-insecure',
  githubToken: 'github-token',
  comment: 'comment',
  dryRun: 'dry-run',
  only: 'only',
  recreate: 'recreate',
  prune: 'prune',
  allowDeletes: 'allow-deletes',
  workingDirectory: 'working-directory',
} as const;

export interface ReconcileInputs {
  /** The repository root: `working-directory` under GITHUB_WORKSPACE. */
  repoDir: string;
  /** PROXMOX_* for the client: inputs override the job's environment. */
  env: NodeJS.ProcessEnv;
  /** Token for the PR comment; empty = no comment. */
  githubToken: string;
  /** Post or update the sticky plan comment on pull requests (default true). */
  comment: boolean;
  /** Plan only, change nothing (apply; default false). */
  dryRun: boolean;
  /** VM names, one a line or comma-separated. */
  only: string[];
  recreate: string[];
  /** Delete owned VMs without a file (default: the repository's prune.enabled). */
  prune: boolean;
  /** Deletes confirmed for this run beyond prune.max_deletes (0 = none). */
  allowDeletes: number;
}

/** A boolean input, its default when empty; anything but true/false is a configuration error. */
export function booleanInput(name: string, fallback: boolean): boolean {
  const raw = core.getInput(name).trim();
  if (!raw) return fallback;
  if (/^(true|yes|on|1)$/i.test(raw)) return true;
  if (/^(false|no|off|0)$/i.test(raw)) return false;
  throw new ConfigurationError(`Input ${name} is '${raw}'; use true or false.`);
}

/** A whole number input, 0 when empty. */
function countInput(name: string): number {
  const raw = core.getInput(name).trim();
  if (!raw) return 0;
  if (!/^\d{1,6}$/.test(raw))
    throw new ConfigurationError(`Input ${name} is '${raw}'; use a whole number of VMs.`);
  return Number(raw);
}

const listInput = (name: string) =>
  core
    .getInput(name)
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter(Boolean);

/**
 * The job's environment with the proxmox-* inputs (same names in every action that talks to
 * Proxmox) as PROXMOX_* variables, inputs winning; the token secret masked first. Inputs an
 * action does not declare read as empty, so each action may offer a subset.
 */
export function proxmoxEnvFromInputs(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  for (const s of [core.getInput(RECONCILE_INPUTS.proxmoxTokenSecret), env.PROXMOX_TOKEN_SECRET])
    if (s) core.setSecret(s);
  const merged: NodeJS.ProcessEnv = { ...env };
  const pass = (input: string, variable: string) => {
    const v = core.getInput(input);
    if (v) merged[variable] = v;
  };
  pass(RECONCILE_INPUTS.proxmoxUrl, 'PROXMOX_URL');
  pass(RECONCILE_INPUTS.proxmoxTokenId, 'PROXMOX_TOKEN_ID');
  pass(RECONCILE_INPUTS.proxmoxTokenSecret, 'PROXMOX_TOKEN_SECRET');
  pass(RECONCILE_INPUTS.proxmoxTlsFingerprint, 'PROXMOX_TLS_FINGERPRINT');
  pass(RECONCILE_INPUTS.proxmoxCaFile, 'PROXMOX_CA_FILE');
  if (booleanInput(RECONCILE_INPUTS.proxmoxInsecure, false)) merged.PROXMOX_INSECURE = 'true';
  return merged;
}

/**
 * Reads the inputs, masking the secrets (core.setSecret) before anything can print them.
 * Secret inputs never go to argv: they reach the client through an environment object.
 */
export function getReconcileInputs(env: NodeJS.ProcessEnv = process.env): ReconcileInputs {
  const githubToken = core.getInput(RECONCILE_INPUTS.githubToken);
  for (const s of [githubToken, env.CI_CLOUDINIT_PASSWORD]) if (s) core.setSecret(s);
  const merged = proxmoxEnvFromInputs(env);
  const workspace = path.resolve(env.GITHUB_WORKSPACE ?? process.cwd());
  const inputs: ReconcileInputs = {
    repoDir: path.resolve(workspace, core.getInput(RECONCILE_INPUTS.workingDirectory) || '.'),
    env: merged,
    githubToken,
    comment: booleanInput(RECONCILE_INPUTS.comment, true),
    dryRun: booleanInput(RECONCILE_INPUTS.dryRun, false),
    only: listInput(RECONCILE_INPUTS.only),
    recreate: listInput(RECONCILE_INPUTS.recreate),
    prune: booleanInput(RECONCILE_INPUTS.prune, false),
    allowDeletes: countInput(RECONCILE_INPUTS.allowDeletes),
  };
  core.debug(
    `pve-gitops: repo ${inputs.repoDir}, dry-run ${inputs.dryRun}, only ` +
      `[${inputs.only.join(', ')}], recreate [${inputs.recreate.join(', ')}], prune ` +
      `${inputs.prune}, comment ${inputs.comment}`,
  );
  return inputs;
}
