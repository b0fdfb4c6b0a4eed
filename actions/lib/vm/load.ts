import type { Dirent } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { loadConfig } from '../config/load.js';
import { matchesGlob } from '../text/glob.js';
import type { RepoConfig } from '../config/types.js';
import { ConfigurationError } from '../errors.js';
import { errorsOf, formatDiagnostic, sortDiagnostics, type Diagnostic } from './diagnostics.js';
import { toVmSpec } from './normalize.js';
import { CROSS_FILE_PATHS, crossFileRules, fileRules, type ParsedVm } from './rules.js';
import { checkSchema } from './schema-check.js';
import type { VmDefinition, VmSpec } from './types.js';
import { isRunnablePlaybook, playbookFileProblem } from './playbooks.js';
import { escapeInvisible } from './show-value.js';
import { vmValidator } from './validators.js';
import {
  indexPositions,
  parseYamlText,
  positionOf,
  readYamlFile,
  type KeptPositions,
  type YamlSource,
} from './yaml-source.js';

/** Folder of VM definitions and of playbooks, relative to the repository root. */
export const VMS_DIR = 'vms';
export const PLAYBOOKS_DIR = 'playbooks';

/** Everything validation learns about a repository. */
export interface Repository {
  config: RepoConfig;
  /** Valid VMs, sorted by name. A file with any error contributes no VM. */
  vms: VmSpec[];
  /** Every problem found, sorted by file and position. Empty when the repository is valid. */
  diagnostics: Diagnostic[];
  /** Repository-relative VM files read (after `exclude`), sorted. */
  files: string[];
  /** Names (file name = VM name) of the VM files `exclude` skips: not managed, never pruned. */
  excluded: string[];
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Entries of a folder, without following symbolic links: undefined when there is no folder. */
async function listEntries(dir: string): Promise<Dirent[] | undefined> {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw err;
  }
}

function notRegular(file: string, entries: readonly Dirent[]): Diagnostic {
  const e = entries.find((x) => `${VMS_DIR}/${x.name}` === file);
  const kind = e?.isSymbolicLink()
    ? 'a symbolic link'
    : e?.isDirectory()
      ? 'a folder'
      : 'not a regular file (a FIFO, socket or device)';
  return {
    file,
    line: 1,
    col: 1,
    message: `This is ${kind}, which is never read; a definition must be a regular file in ${VMS_DIR}/.`,
    severity: 'error',
  };
}

const CROSS_FILE_INDEX = new Map(CROSS_FILE_PATHS.map((p, i) => [p.join('\u0000'), i]));

/**
 * A source that drops the parsed document (its nodes and positions take ~20 KB per small
 * file, 100 MB for 5,000) and parses the file again only when a rule needs a position.
 */
function lazySource(
  absPath: string,
  { file, data }: YamlSource,
  positions: KeptPositions,
): YamlSource {
  let parsed: YamlSource | undefined;
  // A file changed or gone since: positions fall back to the top of the file.
  const get = () =>
    (parsed ??=
      readYamlFile(absPath, file, { noFollow: true }).source ?? parseYamlText('{}', file).source!);
  return {
    file,
    data,
    positions,
    get doc() {
      return get().doc;
    },
    get lineCounter() {
      return get().lineCounter;
    },
  };
}

/**
 * Loads and checks a whole repository: `pve-gitops.yaml`, every `vms/*.yaml` not excluded, and
 * the rules across files. Never throws for bad content — that becomes diagnostics — only when
 * the repository has no `vms/` folder or cannot be read at all.
 */
export async function loadRepository(repoDir: string): Promise<Repository> {
  const loaded = await loadConfig(repoDir);
  const { config, diagnostics: configDiagnostics } = loaded;
  const entries = await listEntries(path.join(repoDir, VMS_DIR));
  if (!entries) {
    throw new ConfigurationError(
      `There is no ${VMS_DIR}/ folder in ${repoDir}; VM definitions go in ${VMS_DIR}/<name>.yaml.`,
    );
  }
  const yamlEntries = entries
    .filter((e) => /\.ya?ml$/.test(e.name) && !e.name.startsWith('.'))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const isExcluded = (n: string) => config.exclude.some((g) => matchesGlob(n, g, 'path'));
  const taken = yamlEntries.filter((e) => !isExcluded(e.name));
  const excluded = yamlEntries
    .filter((e) => isExcluded(e.name))
    .map((e) => e.name.replace(/\.ya?ml$/, ''));
  const files = taken.map((e) => `${VMS_DIR}/${e.name}`);
  const special = new Set(taken.filter((e) => !e.isFile()).map((e) => `${VMS_DIR}/${e.name}`));
  // Only what ansible-playbook can run counts (not requirements.yml): the tags use the same check.
  const playbookFiles = ((await listEntries(path.join(repoDir, PLAYBOOKS_DIR))) ?? [])
    .filter((e) => /\.ya?ml$/.test(e.name))
    .map((e) => e.name);
  const playbooks = new Set(
    playbookFiles
      .filter((n) => isRunnablePlaybook(repoDir, n))
      .map((n) => n.replace(/\.ya?ml$/, '')),
  );
  const playbookProblem = (name: string) => playbookFileProblem(repoDir, `${name}.yml`);

  const diagnostics: Diagnostic[] = [...configDiagnostics];
  // A symbolic link, folder, FIFO or device is refused without being opened: a link could
  // point outside the repository (/etc/passwd, /proc/self/environ) and an error would quote it.
  for (const file of special) diagnostics.push(notRegular(file, entries));
  if (yamlEntries.length && !files.length && loaded.source) {
    // Nothing left to manage: with prune on, every VM would go.
    const { line, col } = positionOf(loaded.source, ['exclude'], 'key');
    diagnostics.push({
      file: loaded.source.file,
      line,
      col,
      message:
        `exclude matches every file in ${VMS_DIR}/ (${yamlEntries.length}); nothing would be ` +
        `managed — narrow the globs.`,
      severity: 'error',
    });
  }
  // Every file that is a mapping takes part in the rules, even when the schema refused some of
  // its keys: those keys are left out, so a file with an unknown key still gets its name and
  // duplicate checks. Only files without any error become VMs.
  const readable: ParsedVm[] = [];
  const schemaBroken = new Set<string>();
  const validate = vmValidator();
  for (const file of files) {
    if (special.has(file)) continue;
    const result = readYamlFile(path.join(repoDir, file), file, { noFollow: true });
    if (!result.source) {
      diagnostics.push(...result.diagnostics);
      continue;
    }
    const data = result.source.data;
    const mapping = isMapping(data) ? data : undefined;
    const name = typeof mapping?.name === 'string' ? mapping.name : undefined;
    const check = checkSchema(validate, result.source, name);
    diagnostics.push(...check.diagnostics);
    if (check.diagnostics.length) schemaBroken.add(file);
    if (!mapping) continue;
    const def = Object.fromEntries(
      Object.entries(mapping).filter(([k]) => !check.faultyKeys.has(k)),
    ) as unknown as VmDefinition;
    const kept = indexPositions(result.source, CROSS_FILE_PATHS, CROSS_FILE_INDEX);
    const source = lazySource(path.join(repoDir, file), result.source, kept);
    readable.push({ file, source, def, omitted: check.faultyKeys });
  }

  const ruleDiagnostics = [
    ...readable.flatMap((vm) => fileRules(vm, { config, playbooks, playbookProblem })),
    ...crossFileRules(readable, config),
  ];
  diagnostics.push(...ruleDiagnostics);
  const broken = new Set([...schemaBroken, ...errorsOf(ruleDiagnostics).map((d) => d.file)]);
  const vms = readable
    .filter((vm) => !broken.has(vm.file))
    .map((vm) => toVmSpec(vm.def, vm.file, config))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  // Invisible characters in a message (a zero-width space in a value) are shown as \u{…} in
  // every output: the CLI, annotations, the job summary and --json.
  const shown = sortDiagnostics(diagnostics).map((d) => ({
    ...d,
    message: escapeInvisible(d.message),
  }));
  return { config, vms, diagnostics: shown, files, excluded };
}

/**
 * Like {@link loadRepository}, for commands that act on the cluster: throws a
 * ConfigurationError naming the first problem (file:line:col) when anything is invalid.
 */
export async function loadValidRepository(
  repoDir: string,
): Promise<{ config: RepoConfig; vms: VmSpec[]; excluded: string[] }> {
  const repo = await loadRepository(repoDir);
  const errors = errorsOf(repo.diagnostics);
  if (errors.length) {
    const more =
      errors.length > 1
        ? ` ${errors.length - 1} more problems: run pve-gitops validate to see them all.`
        : '';
    throw new ConfigurationError(`${formatDiagnostic(errors[0])}${more}`);
  }
  return { config: repo.config, vms: repo.vms, excluded: repo.excluded };
}
