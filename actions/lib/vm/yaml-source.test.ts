import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_FILE_BYTES, parseYamlText, positionOf, readYamlFile } from './yaml-source.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'yaml-source-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function readBytes(name: string, bytes: Buffer | string) {
  const abs = path.join(dir, name);
  await writeFile(abs, bytes);
  return readYamlFile(abs, `vms/${name}`);
}

function only(result: ReturnType<typeof parseYamlText>) {
  expect(result.source).toBeUndefined();
  expect(result.diagnostics).toHaveLength(1);
  const d = result.diagnostics[0];
  expect(d.message).not.toMatch(/\n|\bat .*:\d+:\d+\)/);
  return d;
}

describe('parseYamlText', () => {
  it('keeps positions of keys and values, 1-based', () => {
    const r = parseYamlText('name: a\nnetwork:\n  vlan: 5\ntags: [x, y]\n', 'vms/a.yaml');
    expect(r.source?.data).toEqual({ name: 'a', network: { vlan: 5 }, tags: ['x', 'y'] });
    expect(positionOf(r.source!, ['network', 'vlan'])).toEqual({ line: 3, col: 9 });
    expect(positionOf(r.source!, ['network', 'vlan'], 'key')).toEqual({ line: 3, col: 3 });
    expect(positionOf(r.source!, ['tags', 1])).toEqual({ line: 4, col: 11 });
    // A path past the document falls back to the deepest node on it.
    expect(positionOf(r.source!, ['network', 'mac'])).toEqual({ line: 3, col: 3 });
  });

  it('reports invalid YAML at its line', () => {
    const d = only(parseYamlText('name: a\ncores: [1, 2\nmemory: 3\n', 'vms/a.yaml'));
    expect(d.message).toMatch(/^Invalid YAML: /);
    expect(d.line).toBeGreaterThanOrEqual(2);
  });

  it('reports a duplicate key by name at the second occurrence', () => {
    const d = only(parseYamlText('name: a\ncores: 1\ncores: 2\n', 'vms/a.yaml'));
    expect(d).toMatchObject({ file: 'vms/a.yaml', line: 3, col: 1 });
    expect(d.message).toBe('Duplicate key `cores`; each key may appear only once.');
  });

  it('refuses an alias bomb without expanding it', () => {
    let bomb = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n';
    for (let i = 0; i < 9; i++) {
      const c = String.fromCharCode(98 + i);
      const p = String.fromCharCode(97 + i);
      bomb += `${c}: &${c} [${Array(9).fill(`*${p}`).join(',')}]\n`;
    }
    const before = process.memoryUsage().heapUsed;
    const d = only(parseYamlText(bomb, 'vms/bomb.yaml'));
    expect(d.message).toMatch(/aliases expand more than 100 times/);
    expect(d.line).toBe(2);
    // Expanding it would need 9^10 strings; refusing keeps the heap where it was.
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(64 * 1024 * 1024);
  });

  it('refuses deep flow nesting before parsing and deep block nesting after', () => {
    const flow = only(
      parseYamlText(`name: ${'['.repeat(200_000)}${']'.repeat(200_000)}\n`, 'vms/deep.yaml'),
    );
    expect(flow.message).toMatch(/Nesting is deeper than 32 levels/);
    expect(flow).toMatchObject({ line: 1, col: 39 });
    let block = '';
    for (let i = 0; i < 40; i++) block += `${'  '.repeat(i)}k${i}:\n`;
    const d = only(parseYamlText(block + `${'  '.repeat(40)}v: 1\n`, 'vms/deep.yaml'));
    expect(d.message).toMatch(/Nesting is deeper than 32 levels/);
    expect(d.line).toBeGreaterThan(30);
  });

  it('does not count brackets inside quotes or comments as nesting', () => {
    const text = `description: "${'['.repeat(100)}"\n# ${'{'.repeat(100)}\nname: 'a [b'\n`;
    expect(parseYamlText(text, 'vms/a.yaml').source?.data).toMatchObject({ name: 'a [b' });
  });

  it('reports an empty or comments-only file, unless allowed', () => {
    expect(only(parseYamlText('', 'vms/a.yaml')).message).toMatch(/^This file is empty/);
    expect(only(parseYamlText('# nothing\n', 'vms/a.yaml')).message).toMatch(/^This file is empty/);
    expect(parseYamlText('# nothing\n', 'x.yaml', { allowEmpty: true }).source?.data).toEqual({});
  });

  it('refuses unknown tags and several documents', () => {
    expect(only(parseYamlText('name: !!js/function x\n', 'vms/a.yaml')).message).toMatch(
      /^Invalid YAML: .*tag/i,
    );
    expect(only(parseYamlText('name: a\n---\nname: b\n', 'vms/a.yaml')).line).toBe(2);
  });
});

describe('readYamlFile', () => {
  it('refuses a file over 1 MiB with its size, before parsing it', async () => {
    // Invalid YAML past the first line: a parser would report that instead of the size.
    const big = Buffer.alloc(MAX_FILE_BYTES + 1, 'x');
    big.write('name: [\n');
    const r = await readBytes('big.yaml', big);
    expect(r.diagnostics[0]).toMatchObject({ line: 1, col: 1 });
    expect(r.diagnostics[0].message).toBe(
      `This file is ${MAX_FILE_BYTES + 1} bytes, over the 1 MiB limit for a definition file.`,
    );
  });

  it('refuses non-UTF-8 bytes naming the line', async () => {
    const r = await readBytes(
      'latin1.yaml',
      Buffer.from('name: a\n\ndescription: caf\xe9\n', 'latin1'),
    );
    expect(r.diagnostics[0]).toMatchObject({ file: 'vms/latin1.yaml', line: 3 });
    expect(r.diagnostics[0].message).toMatch(/not valid UTF-8 \(first bad byte on line 3\)/);
  });

  it('refuses what is not a regular file, such as a link to a device', async () => {
    const link = path.join(dir, 'zero.yaml');
    await symlink('/dev/zero', link);
    expect(readYamlFile(link, 'vms/zero.yaml').diagnostics[0]?.message).toBe(
      'This is not a regular file; a definition must be one.',
    );
    const fifo = path.join(dir, 'fifo.yaml');
    execFileSync('mkfifo', [fifo]);
    expect(readYamlFile(fifo, 'vms/fifo.yaml').diagnostics[0]?.message).toBe(
      'This is not a regular file; a definition must be one.',
    );
  });

  it('accepts UTF-8 with a byte order mark', async () => {
    const r = await readBytes(
      'bom.yaml',
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('name: é\n')]),
    );
    expect(r.source?.data).toEqual({ name: 'é' });
  });
});
