import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCommands } from '../actions/cli/cli.js';
import { GLOBAL_OPTIONS, type Command } from '../actions/cli/command.js';
import { cliMarkdown, oneLine } from '../actions/cli/help.js';

// The help, docs/cli.md and the completion all come from the option declarations; these tests
// hold the bundle's output against the declarations themselves.
const cli = path.resolve('actions/cli/dist/index.cjs');
const run = (args: string[], env: NodeJS.ProcessEnv = {}, cwd?: string) =>
  spawnSync(process.execPath, ['--', cli, ...args], {
    encoding: 'utf8',
    cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
  });

let commands: Record<string, Command>;
let dir: string;
beforeAll(async () => {
  commands = await loadCommands();
  dir = mkdtempSync(path.join(tmpdir(), 'pve-gitops-cli-help-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('pve-gitops --help', () => {
  it('lists every command with its one-line summary', () => {
    const r = run(['--help']);
    expect(r.status).toBe(0);
    const lines = r.stdout.split('\n');
    for (const [name, cmd] of Object.entries(commands)) {
      const line = lines.find((l) => l.startsWith(`  ${name} `));
      expect(line?.trim(), name).toMatch(new RegExp(`^${name} +`));
      expect(line?.endsWith(oneLine(cmd.summary)), name).toBe(true);
    }
  });

  it('explains every option of every command and shows its examples', () => {
    for (const [name, cmd] of Object.entries(commands)) {
      const r = run([name, '--help']);
      expect(r.status, name).toBe(0);
      expect(cmd.examples.length, `${name} has examples`).toBeGreaterThanOrEqual(1);
      const flat = r.stdout.replace(/\s+/g, ' ');
      for (const [opt, spec] of Object.entries({ ...cmd.options, ...GLOBAL_OPTIONS })) {
        expect(spec.description.length, `${name} --${opt} is described`).toBeGreaterThan(10);
        expect(flat, `${name} --${opt}`).toContain(`--${opt}`);
        expect(flat, `${name} --${opt}`).toContain(spec.description.replace(/\s+/g, ' '));
      }
      for (const [line, what] of cmd.examples) {
        expect(r.stdout, name).toContain(`  ${line}\n`);
        expect(flat, name).toContain(what.replace(/\s+/g, ' '));
      }
    }
  });

  it('suggests the nearest option for an unknown one, exit 64', () => {
    const r = run(['apply', '--onyl', 'x']);
    expect(r.status).toBe(64);
    expect(r.stderr.trim()).toBe(
      "error: Unknown option '--onyl' for apply; did you mean --only? See pve-gitops apply --help.",
    );
    const c = run(['valdiate']);
    expect(c.status).toBe(64);
    expect(c.stderr).toContain("Unknown command 'valdiate'; did you mean validate?");
  });

  it('keeps docs/cli.md the reference made from the declarations', () => {
    expect(readFileSync('docs/cli.md', 'utf8')).toBe(cliMarkdown(commands));
  });
});

describe('colour', () => {
  const esc = '\u001b[';
  it('is off when stderr is not a terminal, and with NO_COLOR', () => {
    expect(run(['frobnicate']).stderr).not.toContain(esc);
    expect(run(['frobnicate'], { NO_COLOR: '1' }).stderr).not.toContain(esc);
  });
  it('is forced with FORCE_COLOR, on the prefix only', () => {
    const r = run(['frobnicate'], { FORCE_COLOR: '1' });
    expect(r.stderr).toContain(`${esc}1m${esc}31merror: ${esc}39m${esc}22mUnknown command`);
    expect(run(['frobnicate'], { FORCE_COLOR: '0' }).stderr).not.toContain(esc);
  });
});

describe('pve-gitops completion', () => {
  let bin: string;
  let repo: string;
  beforeAll(() => {
    bin = path.join(dir, 'bin');
    mkdirSync(bin);
    writeFileSync(
      path.join(bin, 'pve-gitops'),
      `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} -- ${JSON.stringify(cli)} "$@"\n`,
    );
    chmodSync(path.join(bin, 'pve-gitops'), 0o755);
    repo = path.join(dir, 'repo');
    mkdirSync(path.join(repo, 'vms'), { recursive: true });
    const vm = (name: string, k3s: string) =>
      `name: ${name}\ntarget_node: pve1\nclone: ubuntu-24.04-cloudinit\n${k3s}`;
    writeFileSync(path.join(repo, 'vms', 'k8s-a.yaml'), vm('k8s-a', 'k3s: { role: server }\n'));
    writeFileSync(
      path.join(repo, 'vms', 'k8s-a-w1.yaml'),
      vm('k8s-a-w1', 'k3s: { role: agent, join: k8s-a }\n'),
    );
    writeFileSync(path.join(repo, 'vms', 'haproxy-1.yaml'), vm('haproxy-1', ''));
  });

  /** What bash's completion function offers for `line` (the cursor at its end). */
  function bashComplete(line: string): string[] {
    const script = run(['completion', 'bash']).stdout;
    const words = line.split(' ');
    const r = spawnSync(
      '/bin/bash',
      [
        '-c',
        `${script}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _pve_gitops; printf '%s\\n' "\${COMPREPLY[@]}"`,
      ],
      { encoding: 'utf8', cwd: repo, env: { PATH: `${bin}:${process.env.PATH}`, HOME: dir } },
    );
    expect(r.stderr).toBe('');
    return r.stdout.split('\n').filter(Boolean);
  }

  it('completes commands, options, subcommands, VM names and contexts in bash', () => {
    expect(bashComplete('pve-gitops ap')).toEqual(['apply']);
    expect(bashComplete('pve-gitops apply --on')).toEqual(['--only']);
    expect(bashComplete('pve-gitops apply --only k8s').sort()).toEqual(['k8s-a', 'k8s-a-w1']);
    expect(bashComplete('pve-gitops kubeconfig get --context ')).toEqual(['k8s-a']);
    expect(bashComplete('pve-gitops kubeconfig ').sort()).toEqual(['get', 'publish']);
    expect(bashComplete('pve-gitops sim --pve-version ').sort()).toEqual(['8', '9']);
  });

  it('prints zsh and fish scripts that ask pve-gitops itself, and refuses other shells', () => {
    expect(run(['completion', 'zsh']).stdout).toMatch(/^#compdef pve-gitops[\s\S]*__complete/);
    expect(run(['completion', 'fish']).stdout).toContain(
      "complete -c pve-gitops -f -a '(__pve_gitops_complete)'",
    );
    const r = run(['completion', 'tcsh']);
    expect(r.status).toBe(64);
    expect(r.stderr).toContain('completion needs one of bash, zsh, fish');
  });
});
