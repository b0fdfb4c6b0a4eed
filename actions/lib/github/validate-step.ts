import * as core from '@actions/core';
import path from 'node:path';
import { ConfigurationError } from '../errors.js';
import type { Logger } from '../log.js';
import { errorsOf } from '../vm/diagnostics.js';
import { loadRepository, type Repository } from '../vm/load.js';
import { validationHeadline } from '../vm/report.js';
import { annotate } from './annotations.js';
import { validationSummary } from './validate-summary.js';

/** Input names of the validate action (action.yml). */
export const VALIDATE_INPUTS = { workingDirectory: 'working-directory' } as const;

/** The validate action's inputs. */
export interface ValidateInputs {
  /** Workspace: GITHUB_WORKSPACE, where the repository is checked out. */
  workspace: string;
  /** The repository root to validate: `working-directory`, relative to the workspace. */
  repoDir: string;
}

/** Reads the inputs from the runner's environment. */
export function getValidateInputs(env: NodeJS.ProcessEnv = process.env): ValidateInputs {
  const workspace = path.resolve(env.GITHUB_WORKSPACE ?? process.cwd());
  const dir = core.getInput(VALIDATE_INPUTS.workingDirectory) || '.';
  return { workspace, repoDir: path.resolve(workspace, dir) };
}

/**
 * The validate action: annotations for every problem, a job summary table, outputs `valid`,
 * `vm-count` and `error-count`; fails the step when anything is invalid.
 */
export async function validateStep(log: Logger, inputs = getValidateInputs()): Promise<Repository> {
  log.debug(`validating ${inputs.repoDir}`);
  const repo = await log.group('Validate VM definitions', () => loadRepository(inputs.repoDir));
  const errors = errorsOf(repo.diagnostics);
  try {
    annotate(repo.diagnostics, path.relative(inputs.workspace, inputs.repoDir));
    core.setOutput('valid', String(errors.length === 0));
    core.setOutput('vm-count', String(repo.vms.length));
    core.setOutput('error-count', String(errors.length));
  } finally {
    if (process.env.GITHUB_STEP_SUMMARY) await core.summary.addRaw(validationSummary(repo)).write();
  }
  if (errors.length)
    throw new ConfigurationError(
      `${validationHeadline(repo)} See the annotations or run pve-gitops validate.`,
    );
  log.info(validationHeadline(repo));
  return repo;
}
