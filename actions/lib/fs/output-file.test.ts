import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigurationError } from '../errors.js';
import { checkOutputPath, writeOutputFile } from './output-file.js';

const dir = mkdtempSync(path.join(tmpdir(), 'output-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const refusal = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected a refusal');
    },
    (err: unknown) => {
      expect(err).toBeInstanceOf(ConfigurationError);
      return (err as Error).message;
    },
  );

describe('writeOutputFile', () => {
  it('writes a new file with mode 0600 and leaves no temporary file', async () => {
    const f = path.join(dir, 'new.yaml');
    await writeOutputFile(f, 'secret: 1\n', { what: '--out' });
    expect(readFileSync(f, 'utf8')).toBe('secret: 1\n');
    expect(lstatSync(f).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir).filter((e) => e.endsWith('.tmp'))).toEqual([]);
  });

  it('replaces a readable file by a new 0600 file (a new inode: old readers keep the old text)', async () => {
    const f = path.join(dir, 'old.yaml');
    writeFileSync(f, 'old\n', { mode: 0o644 });
    const before = lstatSync(f).ino;
    await writeOutputFile(f, 'new\n');
    expect(readFileSync(f, 'utf8')).toBe('new\n');
    expect(lstatSync(f).mode & 0o777).toBe(0o600);
    expect(lstatSync(f).ino).not.toBe(before);
  });

  it('honours a wider mode when asked (inventory files are shared), parents 0755 then', async () => {
    const f = path.join(dir, 'inventory', 'k8s.ini');
    await writeOutputFile(f, '[all]\n', { mode: 0o644, createParents: true });
    expect(lstatSync(f).mode & 0o777).toBe(0o644);
    expect(lstatSync(path.dirname(f)).mode & 0o777).toBe(0o755);
  });

  it('refuses a symbolic link, leaving it and its target alone', async () => {
    const target = path.join(dir, 'target.txt');
    writeFileSync(target, 'keep me\n');
    const link = path.join(dir, 'link.yaml');
    symlinkSync(target, link);
    const msg = await refusal(writeOutputFile(link, 'x', { what: '--out' }));
    expect(msg).toBe(
      `--out ${link} is a symbolic link; name a regular file (it is replaced, never written through).`,
    );
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readFileSync(target, 'utf8')).toBe('keep me\n');
    // A dangling link is refused too: following it would create a file elsewhere.
    const dangling = path.join(dir, 'dangling.yaml');
    symlinkSync(path.join(dir, 'elsewhere', 'x'), dangling);
    expect(await refusal(writeOutputFile(dangling, 'x'))).toContain('is a symbolic link');
  });

  it('refuses a directory in one sentence, not a raw EISDIR', async () => {
    const d = path.join(dir, 'adir');
    mkdirSync(d);
    const msg = await refusal(writeOutputFile(d, 'x', { what: '--out' }));
    expect(msg).toBe(
      `--out ${d} is a directory; name a regular file (it is replaced, never written through).`,
    );
    expect(msg).not.toMatch(/EISDIR/);
  });

  it('refuses a character device without touching it', async () => {
    expect(await refusal(writeOutputFile('/dev/null', 'x', { what: '--out' }))).toBe(
      '--out /dev/null is a character device; name a regular file (it is replaced, never written through).',
    );
    expect(lstatSync('/dev/null').isCharacterDevice()).toBe(true);
  });

  it('refuses a socket', async () => {
    const sock = path.join(dir, 's.sock');
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(sock, resolve));
    try {
      expect(await refusal(checkOutputPath(sock))).toContain('is a socket');
    } finally {
      server.close();
    }
  });

  it('never creates a missing parent unless asked', async () => {
    const f = path.join(dir, 'missing', 'deeper', 'config');
    const msg = await refusal(writeOutputFile(f, 'x', { what: '--out' }));
    expect(msg).toBe(
      `--out ${f} cannot be written: the directory ${path.dirname(f)} does not exist; create it first.`,
    );
    expect(existsSync(path.join(dir, 'missing'))).toBe(false);
    await writeOutputFile(f, 'x', { createParents: true });
    expect(readFileSync(f, 'utf8')).toBe('x');
    expect(lstatSync(path.dirname(f)).mode & 0o777).toBe(0o700);
  });

  it('names a parent that is a file', async () => {
    const file = path.join(dir, 'plain');
    writeFileSync(file, '');
    expect(await refusal(writeOutputFile(path.join(file, 'x'), 'x'))).toBe(
      `The output file ${path.join(file, 'x')} cannot be written: ${file} is not a directory.`,
    );
  });

  it('reports an unwritable directory in one sentence and leaves no temporary file', async () => {
    // root ignores directory permissions; a read-only file system does not exist here, so
    // use /proc, which refuses every new file.
    const msg = await refusal(writeOutputFile('/proc/pve-gitops-out', 'x', { what: '--out' }));
    expect(msg).toMatch(/^Cannot write --out \/proc\/pve-gitops-out: [a-z].*\.$/);
    expect(existsSync('/proc/pve-gitops-out')).toBe(false);
  });
});
