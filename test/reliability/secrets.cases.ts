// Secret cases for `npm run reliability`: each runs real components on loopback, looks for
// every secret it knows in argv, output and files others may read, and reports how many it
// found (secretsFound must be 0). Each case starts and stops everything it uses.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SshTransport } from '../../actions/lib/proxmox/ssh-transport.js';
import { normaliseK3sKubeconfig } from '../../actions/lib/kubeconfig/kubeconfig.js';
import { publishKubeconfig } from '../../actions/lib/kubeconfig/store.js';
import { VaultClient } from '../../actions/lib/kubeconfig/vault-client.js';
import { memoryLogger } from '../../actions/lib/log.js';
import { startKubeApi } from '../../sim/kube/index.js';
import { startVaultSim } from '../../sim/vault/index.js';
import { baseEnv, run } from '../kube-helpers.js';
import { runSecretFlow } from '../secret-flow.js';
import { argvLeaks, argvSampler, fileLeaks, filesUnder, keyLines } from '../secret-scan.js';
import type { ReliabilityCase, ReliabilityOutcome } from './types.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const CLI = path.join(ROOT, 'actions', 'cli', 'dist', 'index.cjs');

const outcome = (found: number, detail: string, ok = true): ReliabilityOutcome => ({
  passed: ok && found === 0,
  detail,
  secretsFound: found,
});

/** The whole demo flow with every process's argv sampled and every file left checked. */
const demoFlow: ReliabilityCase = {
  class: 'secret',
  name: 'demo flow: no secret in any argv (controller and guests), output or readable file',
  async run() {
    const r = await runSecretFlow();
    return outcome(
      r.leaks.length,
      `pve-gitops demo exited ${r.exitCode}; ${r.secrets} secrets looked for in ${r.argvSeen} command lines (${r.samples} samples of /proc) and ${r.filesChecked} files: ${r.leaks.length ? r.leaks.map((l) => l.where).join('; ') : 'none found'}.`,
      r.exitCode === 0,
    );
  },
};

/**
 * The k3s role over Ansible's local connection with a stand-in installer that records the argv
 * of every process above it: the join token must be in a 0600 file only.
 */
const k3sRole: ReliabilityCase = {
  class: 'secret',
  name: 'k3s role: the join token reaches the installer in a 0600 file, never argv',
  async run() {
    const dir = await mkdtemp(path.join(tmpdir(), 'rel-k3s-'));
    const token = `K10${randomBytes(32).toString('hex')}::server:${randomBytes(8).toString('hex')}`;
    try {
      const installer = path.join(dir, 'installer.sh');
      await writeFile(
        installer,
        `#!/bin/sh\n: > "${dir}/argv"; p=$$\nwhile [ "$p" -gt 1 ]; do tr '\\0' ' ' < /proc/$p/cmdline >> "${dir}/argv"; echo >> "${dir}/argv"; p=$(awk '/^PPid:/ {print $2}' /proc/$p/status); done\n`,
        { mode: 0o755 },
      );
      const inv = path.join(dir, 'hosts.ini');
      await writeFile(
        inv,
        [
          `k8s-w1 ansible_connection=local ansible_python_interpreter=/usr/bin/python3 k3s_join=https://127.0.0.1:6443`,
          '[k3s_agent]',
          'k8s-w1',
          '[all:vars]',
          `k3s_installer_url=file://${installer}`,
          `k3s_installer_path=${dir}/bin/k3s-install.sh`,
          `k3s_token_file=${dir}/bin/k3s-token`,
          '',
        ].join('\n'),
      );
      const sampler = argvSampler();
      const r = await new Promise<{ code: number; out: string }>((resolve) =>
        execFile(
          'ansible-playbook',
          ['-i', inv, path.join(ROOT, 'playbooks', 'k3s-agent.yml')],
          {
            cwd: path.join(ROOT, 'playbooks'),
            env: { ...process.env, K3S_TOKEN: token, ANSIBLE_NOCOLOR: '1' },
          },
          (err, stdout, stderr) =>
            resolve({
              code: err ? Number((err as { code?: number }).code ?? 1) : 0,
              out: stdout + stderr,
            }),
        ),
      );
      const seen = sampler.stop();
      const ancestors = await readFile(path.join(dir, 'argv'), 'utf8').catch(() => '');
      const mode = (await stat(path.join(dir, 'bin', 'k3s-token'))).mode & 0o777;
      const found =
        argvLeaks([...seen, ...ancestors.split('\n')], [token]).length +
        (r.out.includes(token) ? 1 : 0) +
        fileLeaks(filesUnder(dir), [token]).length;
      return outcome(
        found,
        `ansible-playbook k3s-agent.yml exited ${r.code}; token file mode ${mode.toString(8)}; ${found} places showed the token.`,
        r.code === 0 && mode === 0o600,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
};

/** `kubeconfig get --out` over a world-readable file and beside a symlink: 0600 or refused. */
const kubeconfigOut: ReliabilityCase = {
  class: 'secret',
  name: 'kubeconfig get --out: the client key never lands in a file others may read',
  async run() {
    const dir = await mkdtemp(path.join(tmpdir(), 'rel-kcout-'));
    const [vault, kube] = await Promise.all([
      startVaultSim(),
      startKubeApi({ name: 'k8s-rel', port: 0, readyDelayMs: 0 }),
    ]);
    try {
      const entry = normaliseK3sKubeconfig(kube.kubeconfig(), {
        name: 'k8s-rel',
        address: '127.0.0.1',
        source: 'k8s-rel',
      });
      await publishKubeconfig({
        vault: new VaultClient({ addr: vault.addr, token: vault.rootToken }),
        location: {
          mount: 'kv',
          path: 'cluster-secret-store/secrets/KUBECONFIG',
          key: 'KUBECONFIG',
        },
        entries: [entry],
        log: memoryLogger(),
      });
      const raw = entry.user['client-key-data'];
      const keyData = typeof raw === 'string' ? raw : '';
      const key = Buffer.from(keyData, 'base64').toString('utf8');
      const secrets = [keyData, ...keyLines(key), vault.rootToken].filter((s) => s.length >= 8);
      const readable = path.join(dir, 'existing-0644');
      await writeFile(readable, 'old\n');
      await chmod(readable, 0o644);
      const target = path.join(dir, 'shared-0644');
      await writeFile(target, 'shared\n');
      await chmod(target, 0o644);
      await symlink(target, path.join(dir, 'link'));
      const env = { ...baseEnv(), VAULT_ADDR: vault.addr, VAULT_TOKEN: vault.rootToken };
      const sampler = argvSampler();
      const results = [];
      for (const out of [readable, path.join(dir, 'link')])
        results.push(
          await run(
            process.execPath,
            ['--', CLI, 'kubeconfig', 'get', '--context', 'k8s-rel', '--out', out],
            env,
          ),
        );
      const seen = sampler.stop();
      const found =
        argvLeaks(seen, secrets).length +
        fileLeaks(filesUnder(dir), secrets).length +
        results.filter((r) => secrets.some((s) => r.stderr.includes(s))).length;
      const written = (await stat(readable)).mode & 0o777;
      return outcome(
        found,
        `--out over a 0644 file exited ${results[0].code} leaving mode ${written.toString(8)}; --out at a symlink exited ${results[1].code}; ${found} leaks.`,
        results[0].code === 0 && written === 0o600 && results[1].code !== 0,
      );
    } finally {
      await Promise.all([vault.stop(), kube.stop()]);
      await rm(dir, { recursive: true, force: true });
    }
  },
};

/** Secret API parameters over the SSH transport: read from stdin, never in the exec request. */
const sshTransport: ReliabilityCase = {
  class: 'secret',
  name: 'ssh transport: cipassword and password travel on stdin, not in the remote command',
  run() {
    const secret = `pw-${randomBytes(12).toString('hex')}`;
    const t = new SshTransport({
      host: '127.0.0.1',
      port: 22,
      user: 'root',
      privateKey: '',
      knownHostsFile: '/nonexistent/known_hosts',
      trustOnFirstUse: false,
    });
    const { command, stdin } = t.command('PUT', '/nodes/pve1/qemu/100/config', {
      cipassword: secret,
      password: `${secret}-2`,
      description: 'not secret',
    });
    const found = [secret, `${secret}-2`].filter((s) => command.includes(s)).length;
    return Promise.resolve(
      outcome(
        found,
        `the exec request holds ${found} of 2 secrets; stdin carries ${stdin?.split('\n').filter(Boolean).length ?? 0} lines.`,
        stdin === `${secret}\n${secret}-2\n`,
      ),
    );
  },
};

export const cases: ReliabilityCase[] = [sshTransport, kubeconfigOut, k3sRole, demoFlow];
