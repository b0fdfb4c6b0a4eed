import * as core from '@actions/core';
import path from 'node:path';
import type { Diagnostic } from '../vm/diagnostics.js';

/**
 * Prints each diagnostic as a GitHub annotation (`::error file=…,line=…,col=…::…`). `prefix` is
 * the repository folder relative to the workspace, so annotations land on the right file.
 */
export function annotate(diagnostics: readonly Diagnostic[], prefix = ''): void {
  for (const d of diagnostics) {
    const props: core.AnnotationProperties = {
      title: d.vm ? `VM ${d.vm}` : 'pve-gitops',
      file: path.posix.join(prefix.split(path.sep).join('/') || '.', d.file),
      startLine: d.line,
      startColumn: d.col,
    };
    if (d.severity === 'warning') core.warning(d.message, props);
    else core.error(d.message, props);
  }
}
