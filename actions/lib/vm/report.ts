import { errorsOf, type Diagnostic } from './diagnostics.js';
import type { Repository } from './load.js';
import type { VmSpec } from './types.js';

/** The object `pve-gitops validate --json` prints (documented in docs/vm-definition.md). */
export interface ValidationReport {
  valid: boolean;
  vmCount: number;
  errorCount: number;
  warningCount: number;
  /** Files read, repository-relative. */
  files: string[];
  diagnostics: Diagnostic[];
  /** The valid VMs with every default applied. */
  vms: VmSpec[];
}

/** Builds the machine-readable result of a validation. */
export function validationReport(repo: Repository): ValidationReport {
  const errorCount = errorsOf(repo.diagnostics).length;
  return {
    valid: errorCount === 0,
    vmCount: repo.vms.length,
    errorCount,
    warningCount: repo.diagnostics.length - errorCount,
    files: repo.files,
    diagnostics: repo.diagnostics,
    vms: repo.vms,
  };
}

/** One line for people: how many VMs are valid, or how many errors in how many files. */
export function validationHeadline(repo: Repository): string {
  const errors = errorsOf(repo.diagnostics);
  if (!errors.length)
    return `${repo.vms.length} VM definition${repo.vms.length === 1 ? '' : 's'} valid.`;
  const files = new Set(errors.map((d) => d.file)).size;
  return `${errors.length} error${errors.length === 1 ? '' : 's'} in ${files} file${files === 1 ? '' : 's'}.`;
}
