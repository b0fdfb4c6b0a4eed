// The `pve-gitops validate` command, run through its bundle as users run it.
import { spawnSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');
const cli = path.join(root, 'actions/cli/dist/index.cjs');
let work: string;

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'validate-cli-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

function validate(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [cli, 'validate', ...args], {
    cwd,
    encoding: 'utf8',
    env: { PATH: process.env.PATH },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

async function repo(name: string, files: Record<string, string | Buffer>): Promise<string> {
  const dir = path.join(work, name);
  await mkdir(path.join(dir, 'vms'), { recursive: true });
  for (const [rel, text] of Object.entries(files)) await writeFile(path.join(dir, rel), text);
  return dir;
}

const noStack = (text: string) => expect(text).not.toMatch(/^\s+at |Error:|node:internal/m);

describe('pve-gitops validate', () => {
  it('accepts the example repository: exit 0', async () => {
    const dir = path.join(work, 'examples');
    await cp(path.join(root, 'vms'), path.join(dir, 'vms'), { recursive: true });
    await cp(path.join(root, 'pve-gitops.yaml'), path.join(dir, 'pve-gitops.yaml'));
    const r = validate([], dir);
    expect(r).toMatchObject({ code: 0, stdout: '5 VM definitions valid.\n', stderr: '' });
  });

  it('lists file:line:col lines on stderr and exits 1 for each kind of bad input', async () => {
    let bomb = 'a: &a [x,x,x,x,x,x,x,x,x]\n';
    for (let i = 0; i < 9; i++)
      bomb += `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(9)
        .fill(`*${String.fromCharCode(97 + i)}`)
        .join(',')}]\n`;
    const dir = await repo('bad', {
      'vms/a-invalid.yaml': 'name: a-invalid\ntarget_node: [pve1\n',
      'vms/b-dup.yaml': 'name: b-dup\nname: b-dup\n',
      'vms/c-bomb.yaml': bomb,
      'vms/d-deep.yaml': `name: ${'['.repeat(100)}${']'.repeat(100)}\n`,
      'vms/e-big.yaml': Buffer.alloc(1024 * 1024 + 10, 'a'),
      'vms/f-latin1.yaml': Buffer.from('name: f-latin1\ndescription: caf\xe9\n', 'latin1'),
      'vms/g-empty.yaml': '',
      'vms/h-list.yaml': '- name: h-list\n',
      'vms/i-slash.yaml': 'name: ../i\ntarget_node: pve1\n',
      'vms/j-other.yaml': 'name: jay\ntarget_node: pve1\n',
      'vms/k-unknown.yaml': 'name: k-unknown\ntarget_node: pve1\nmemroy: 2048\nvmid: 501\n',
      'vms/l-type.yaml': 'name: l-type\ntarget_node: pve1\ncores: many\n',
      'vms/m-ip.yaml': 'name: m-ip\ntarget_node: pve1\nipconfig0: ip=300.1.1.1/24\n',
      'vms/n-gw.yaml': 'name: n-gw\ntarget_node: pve1\nipconfig0: ip=10.0.0.5/24,gw=10.0.9.1\n',
      'vms/o-one.yaml': 'name: o-one\ntarget_node: pve1\nvmid: 500\nipconfig0: ip=10.0.1.5/24\n',
      'vms/o-two.yaml': 'name: o-two\ntarget_node: pve1\nvmid: 500\nipconfig0: ip=10.0.1.5/24\n',
      // refused by the schema, yet its name and VMID are still checked
      'vms/p-mixed.yaml': 'name: pee\ntarget_node: pve1\nvmid: 501\ncolour: red\n',
    });
    const r = validate([], dir);
    expect(r.code).toBe(1);
    noStack(r.stderr);
    const lines = r.stderr.trimEnd().split('\n');
    for (const l of lines) expect(l).toMatch(/^(vms\/[a-z0-9-]+\.yaml):\d+:\d+: [A-Z`][^\n]*[.?]$/);
    const byFile = (f: string) => lines.filter((l) => l.startsWith(`vms/${f}.yaml:`)).join('\n');
    expect(byFile('a-invalid')).toMatch(/^vms\/a-invalid\.yaml:3:1: Invalid YAML: /);
    expect(byFile('b-dup')).toBe(
      'vms/b-dup.yaml:2:1: Duplicate key `name`; each key may appear only once.',
    );
    expect(byFile('c-bomb')).toMatch(
      /^vms\/c-bomb\.yaml:2:\d+: YAML refused: aliases expand more than 100 times/,
    );
    expect(byFile('d-deep')).toMatch(/^vms\/d-deep\.yaml:1:39: Nesting is deeper than 32 levels/);
    expect(byFile('e-big')).toBe(
      'vms/e-big.yaml:1:1: This file is 1048586 bytes, over the 1 MiB limit for a definition file.',
    );
    expect(byFile('f-latin1')).toMatch(/^vms\/f-latin1\.yaml:2:1: This file is not valid UTF-8/);
    expect(byFile('g-empty')).toMatch(/^vms\/g-empty\.yaml:1:1: This file is empty/);
    expect(byFile('h-list')).toMatch(
      /^vms\/h-list\.yaml:1:1: The file must be a mapping .* not a list\.$/,
    );
    expect(byFile('i-slash')).toMatch(/^vms\/i-slash\.yaml:1:7: `name` must be an RFC 1123 label/);
    expect(byFile('j-other')).toMatch(
      /^vms\/j-other\.yaml:1:7: `name: jay` does not match the file name j-other\.yaml/,
    );
    expect(byFile('k-unknown')).toBe(
      [
        'vms/k-unknown.yaml:3:1: Unknown key `memroy`; did you mean `memory`?',
        'vms/k-unknown.yaml:4:7: VMID 501 is also used by vms/p-mixed.yaml:3; each VM needs its own.',
      ].join('\n'),
    );
    expect(byFile('p-mixed').split('\n')).toEqual([
      expect.stringMatching(
        /^vms\/p-mixed\.yaml:1:7: `name: pee` does not match the file name p-mixed\.yaml/,
      ),
      'vms/p-mixed.yaml:3:7: VMID 501 is also used by vms/k-unknown.yaml:4; each VM needs its own.',
      expect.stringMatching(/^vms\/p-mixed\.yaml:4:1: Unknown key `colour`/),
    ]);
    expect(byFile('l-type')).toBe(
      'vms/l-type.yaml:3:8: `cores` must be a whole number, not "many".',
    );
    expect(byFile('m-ip')).toMatch(
      /^vms\/m-ip\.yaml:3:12: `ipconfig0` has ip=300\.1\.1\.1\/24, which is neither dhcp/,
    );
    expect(byFile('n-gw')).toBe(
      'vms/n-gw.yaml:3:12: `ipconfig0` has gateway 10.0.9.1 outside the subnet of 10.0.0.5/24.',
    );
    expect(byFile('o-one')).toBe(
      [
        'vms/o-one.yaml:3:7: VMID 500 is also used by vms/o-two.yaml:3; each VM needs its own.',
        'vms/o-one.yaml:4:12: Static IP 10.0.1.5 is also used by vms/o-two.yaml:4; each VM needs its own.',
      ].join('\n'),
    );
    expect(r.stdout).toBe(`${lines.length} errors in 17 files.\n`);
  });

  it('prints the documented JSON object with --json', async () => {
    const dir = await repo('json', {
      'vms/good.yaml': 'name: good\ntarget_node: pve1\nipconfig0: ip=10.0.0.5/24,gw=10.0.0.1\n',
      'vms/bad.yaml': 'name: bad\ntarget_node: pve1\ncores: 0\n',
    });
    const r = validate(['--json'], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('');
    const report = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(report).toMatchObject({
      valid: false,
      vmCount: 1,
      errorCount: 1,
      warningCount: 0,
      files: ['vms/bad.yaml', 'vms/good.yaml'],
      diagnostics: [
        {
          file: 'vms/bad.yaml',
          line: 3,
          col: 8,
          vm: 'bad',
          severity: 'error',
          message: '`cores` must be at least 1, not 0.',
        },
      ],
      vms: [
        {
          name: 'good',
          file: 'vms/good.yaml',
          node: 'pve1',
          staticIp: '10.0.0.5',
          cores: 2,
          memory: 2048,
          tags: ['pve-gitops'],
        },
      ],
    });
  });

  it('exits 64 on a usage error and 1 without a vms/ folder, one sentence each', () => {
    const usage = validate(['--jsn'], work);
    expect(usage.code).toBe(64);
    expect(usage.stderr).toMatch(
      /^error: Unknown option '--jsn' for validate; did you mean --json\? See pve-gitops validate --help\.\n$/,
    );
    const none = validate(['--repo', path.join(work, 'nowhere')], work);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(
      /^error: There is no vms\/ folder in .*nowhere; VM definitions go in vms\/<name>\.yaml\.\n$/,
    );
    noStack(none.stderr);
  });
});
