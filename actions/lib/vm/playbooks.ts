import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

/** Playbook files are small; anything larger is not one of ours. */
const MAX_PLAYBOOK_BYTES = 1024 * 1024;
const IMPORT_KEYS = ['import_playbook', 'ansible.builtin.import_playbook'];

/**
 * Why a playbook file's text cannot be run by ansible-playbook, or undefined. What
 * ansible-playbook 2.14 answers here (`--syntax-check`): a mapping (such as the Galaxy
 * `requirements.yml` beside the playbooks) is "A playbook must be a list of plays", and a
 * play without `hosts` is "the field 'hosts' is required but was not set".
 */
export function playbookTextProblem(text: string): string | undefined {
  let doc: unknown;
  try {
    doc = parse(text, { maxAliasCount: 100 });
  } catch {
    return 'is not valid YAML';
  }
  if (!Array.isArray(doc) || !doc.length)
    return 'is not a list of plays (ansible-playbook cannot run it)';
  const bad = doc.findIndex(
    (play) =>
      !play ||
      typeof play !== 'object' ||
      Array.isArray(play) ||
      !(['hosts', ...IMPORT_KEYS] as const).some((k) => k in (play as Record<string, unknown>)),
  );
  if (bad >= 0)
    return `has a play (item ${bad + 1}) without \`hosts\` (ansible-playbook cannot run it)`;
  return undefined;
}

/**
 * Why `playbooks/<file>` of a repository cannot be run: missing, not a regular file (a
 * symlink is not followed), or not a list of plays. Undefined when it can be.
 */
export function playbookFileProblem(repoDir: string, file: string): string | undefined {
  const abs = path.join(repoDir, 'playbooks', file);
  let fd: number | undefined;
  try {
    fd = openSync(abs, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    const info = fstatSync(fd);
    if (!info.isFile()) return 'is not a regular file';
    if (info.size > MAX_PLAYBOOK_BYTES) return 'is over 1 MiB';
    return playbookTextProblem(readFileSync(fd, 'utf8'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return 'does not exist';
    if (code === 'ELOOP') return 'is a symbolic link';
    return `cannot be read (${code ?? 'error'})`;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Whether `playbooks/<file>` exists and ansible-playbook can run it. */
export function isRunnablePlaybook(repoDir: string, file: string): boolean {
  return playbookFileProblem(repoDir, file) === undefined;
}
