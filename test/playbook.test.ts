import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '..');
const playbooks = path.join(root, 'playbooks');
const PLAYBOOKS = ['k8s.yml', 'k3s-agent.yml', 'haproxy.yml'];

describe('playbooks', () => {
  it.each(PLAYBOOKS)('%s passes ansible-playbook --syntax-check', async (p) => {
    const { stdout } = await run(
      'ansible-playbook',
      ['--syntax-check', '-i', 'localhost,', path.join(playbooks, p)],
      {
        cwd: playbooks,
      },
    );
    expect(stdout).toContain(`playbook: ${path.join(playbooks, p)}`);
  });

  it('pass ansible-lint (production profile, offline)', async () => {
    const r = await run('ansible-lint', ['--offline', '--nocolor', ...PLAYBOOKS, 'roles/'], {
      cwd: playbooks,
      env: { ...process.env, NO_COLOR: '1' },
    }).then(
      (ok) => ({ code: 0, out: ok.stdout + ok.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({
        code: e.code,
        out: e.stdout + e.stderr,
      }),
    );
    expect(r.out).toMatch(/Passed.*0 failure\(s\), 0 warning\(s\)/);
    expect(r.code).toBe(0);
  }, 120_000);
});

/**
 * Runs the k3s role for real against this machine over Ansible's local connection, with a
 * stand-in installer that records its environment, its arguments and the command lines of
 * every process above it (Ansible's `/bin/sh -c '… python3'` wrapper among them): settings
 * reach the installer through the environment, the token through a 0600 file named by
 * K3S_TOKEN_FILE (docs.k3s.io/cli/agent), never argv, an environment Ansible would put on a
 * command line, or the log.
 */
describe('the k3s role hands the installer its settings in the environment', () => {
  let dir: string;
  const token = 'K10-secret-token-for-the-test-0123456789';

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'pve-gitops-k3s-'));
    const installer = path.join(dir, 'fake-installer.sh');
    await writeFile(
      installer,
      [
        '#!/bin/sh',
        // The local connection inherits ansible-playbook's own K3S_TOKEN: not the role's doing.
        `env | grep -E '^(K3S_|INSTALL_K3S_)' | grep -v '^K3S_TOKEN=' | sort > "${dir}/env.txt"`,
        `echo "$@" > "${dir}/argv.txt"`,
        // The argv of this process and each ancestor, NULs as spaces.
        `: > "${dir}/ancestors.txt"; p=$$`,
        'while [ "$p" -gt 1 ]; do',
        `  tr '\\0' ' ' < /proc/$p/cmdline >> "${dir}/ancestors.txt"; echo >> "${dir}/ancestors.txt"`,
        "  p=$(awk '/^PPid:/ {print $2}' /proc/$p/status)",
        'done',
        '',
      ].join('\n'),
    );
    await chmod(installer, 0o755);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function play(file: string, host: string, hostVars: string) {
    const inv = path.join(dir, 'hosts.ini');
    await writeFile(
      inv,
      [
        `${host} ansible_connection=local ansible_become=false ansible_python_interpreter=${'/usr/bin/python3'} ${hostVars}`,
        '[k3s_server]',
        ...(file === 'k8s.yml' ? [host] : []),
        '[k3s_agent]',
        ...(file === 'k3s-agent.yml' ? [host] : []),
        '[all:vars]',
        `k3s_installer_url=file://${dir}/fake-installer.sh`,
        'k3s_version=v1.31.4+k3s1',
        `k3s_installer_path=${dir}/bin/k3s-install.sh`,
        `k3s_token_file=${dir}/bin/k3s-token`,
      ].join('\n') + '\n',
    );
    return run('ansible-playbook', ['-v', '-i', inv, path.join(playbooks, file)], {
      cwd: playbooks,
      env: {
        ...process.env,
        K3S_TOKEN: token,
        ANSIBLE_NOCOLOR: '1',
        ANSIBLE_HOST_KEY_CHECKING: 'false',
      },
    });
  }

  it('joins an agent with K3S_URL and the token in a 0600 K3S_TOKEN_FILE, never in argv', async () => {
    const { stdout } = await play('k3s-agent.yml', 'k8s-w1', 'k3s_join=https://127.0.0.1:6443');
    const env = await readFile(path.join(dir, 'env.txt'), 'utf8');
    const tokenFile = path.join(dir, 'bin', 'k3s-token');
    expect(env).toBe(
      `INSTALL_K3S_EXEC=agent\nINSTALL_K3S_VERSION=v1.31.4+k3s1\nK3S_TOKEN_FILE=${tokenFile}\nK3S_URL=https://127.0.0.1:6443\n`,
    );
    expect((await readFile(tokenFile, 'utf8')).trim()).toBe(token);
    expect((await stat(tokenFile)).mode & 0o777).toBe(0o600);
    expect(await readFile(path.join(dir, 'argv.txt'), 'utf8')).toBe('\n');
    const ancestors = await readFile(path.join(dir, 'ancestors.txt'), 'utf8');
    expect(ancestors).toContain('python3');
    expect(ancestors).not.toContain(token);
    expect(stdout).not.toContain(token);
    expect(stdout).toMatch(/failed=0/);
  }, 120_000);

  it('initialises the first server of an HA cluster', async () => {
    // The stand-in starts no k3s, so the wait for the node token then fails: by design here.
    const r = await play('k8s.yml', 'k8s-cp1', 'k3s_cluster_init=true k3s_token_timeout=1').then(
      () => 'ok',
      (e: { stdout: string }) => e.stdout,
    );
    expect(r).toMatch(/Wait for the server's node token/);
    const env = await readFile(path.join(dir, 'env.txt'), 'utf8');
    expect(env).toContain('INSTALL_K3S_EXEC=server --cluster-init\n');
    expect(env).not.toContain('K3S_URL');
  }, 120_000);
});
