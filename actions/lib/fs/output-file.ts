// Every file the tool writes at a path someone named (`--out`, an action input, an env file)
// goes through here: one set of refusals, one atomic write.
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, open, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { ConfigurationError } from '../errors.js';

export interface OutputFileOptions {
  /** Names the setting in errors, e.g. `--out` or `the kubeconfig-file input`. Default `The output file`. */
  what?: string;
  /** Mode of the written file. Default 0600: output may hold secrets (kubeconfigs). */
  mode?: number;
  /**
   * Create missing parent directories (0700, or 0755 for a file others may read). Only for paths the tool chose itself (its
   * own temporary folder, the repository's inventory/): a typo in a path someone gave must
   * not silently grow a directory tree.
   */
  createParents?: boolean;
}

const KINDS: Array<[keyof import('node:fs').Stats, string]> = [
  ['isSymbolicLink', 'a symbolic link'],
  ['isDirectory', 'a directory'],
  ['isBlockDevice', 'a block device'],
  ['isCharacterDevice', 'a character device'],
  ['isFIFO', 'a named pipe'],
  ['isSocket', 'a socket'],
];

const WHY: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'the file system is read-only',
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is exhausted',
  ENAMETOOLONG: 'the name is too long',
  ENOTDIR: 'a part of the path is not a directory',
  ELOOP: 'too many symbolic links in the path',
  EISDIR: 'it is a directory',
};

const errno = (err: unknown): string => (err as NodeJS.ErrnoException).code ?? '';
/** Why a file operation failed, in words, without the raw message (it names temporary paths). */
const why = (err: unknown): string =>
  WHY[errno(err)] ?? (errno(err) ? `the system refused it (${errno(err)})` : String(err));

/**
 * Checks that `file` can be written as an output: absent or a regular file, never a symbolic
 * link, directory, device, pipe or socket, in a directory that exists (unless createParents).
 * Call it before any work whose result would go there, so nothing is done for nothing.
 * Throws one sentence naming the setting and the path.
 */
export async function checkOutputPath(file: string, o: OutputFileOptions = {}): Promise<void> {
  const what = o.what ?? 'The output file';
  const target = path.resolve(file);
  const st = await lstat(target).catch((err: unknown) => {
    if (errno(err) === 'ENOENT' || errno(err) === 'ENOTDIR') return undefined;
    throw new ConfigurationError(`${what} ${target} cannot be used: ${why(err)}.`);
  });
  if (st && !st.isFile()) {
    const kind =
      KINDS.find(([k]) => (st[k] as () => boolean).call(st))?.[1] ?? 'not a regular file';
    throw new ConfigurationError(
      `${what} ${target} is ${kind}; name a regular file (it is replaced, never written through).`,
    );
  }
  const dir = path.dirname(target);
  const parent = await stat(dir).catch((err: unknown) => {
    if (errno(err) === 'ENOENT' || errno(err) === 'ENOTDIR') return undefined;
    throw new ConfigurationError(`${what} ${target} cannot be used: ${why(err)}.`);
  });
  if (parent && !parent.isDirectory())
    throw new ConfigurationError(`${what} ${target} cannot be written: ${dir} is not a directory.`);
  if (!parent && !o.createParents)
    throw new ConfigurationError(
      `${what} ${target} cannot be written: the directory ${dir} does not exist; create it first.`,
    );
}

/**
 * Writes `text` to `file` atomically: into a new temporary file in the same directory (so the
 * rename never crosses file systems), with its final mode from the start, then renamed over
 * the target. A reader sees the old file or the whole new one; a symbolic link or device at
 * the path is refused (and a rename would replace it, never write through it). On failure the
 * temporary file is removed and one sentence is thrown.
 */
export async function writeOutputFile(
  file: string,
  text: string,
  o: OutputFileOptions = {},
): Promise<void> {
  const what = o.what ?? 'The output file';
  const target = path.resolve(file);
  await checkOutputPath(target, o);
  const dir = path.dirname(target);
  const mode = o.mode ?? 0o600;
  const tmp = path.join(dir, `.${path.basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    // Parents as private as the file: 0700 for a secret, 0755 for a file others may read.
    if (o.createParents) await mkdir(dir, { recursive: true, mode: mode & 0o044 ? 0o755 : 0o700 });
    const fh = await open(tmp, 'wx', mode);
    try {
      await fh.writeFile(text);
      // The umask may have narrowed the mode given to open; set exactly what was asked.
      await fh.chmod(mode);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, target);
  } catch (err) {
    await rm(tmp, { force: true });
    if (err instanceof ConfigurationError) throw err;
    throw new ConfigurationError(
      `Cannot write ${what.charAt(0).toLowerCase() + what.slice(1)} ${target}: ${why(err)}.`,
      { cause: err },
    );
  }
}
