import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryLogger } from '../actions/lib/log.js';
import { execProcess, type ProcessExec } from '../actions/lib/provision/exec.js';
import { provision, type ProvisionOptions } from '../actions/lib/provision/provision.js';
import { startVmHosts, type VmHosts } from '../sim/hosts/vm-hosts.js';
import { keyPair, MARKER_PLAYBOOK, randomLoopback, writeRepo } from './provision-helpers.js';

let root: string;
let vms: VmHosts;
let key: ReturnType<typeof keyPair>;
const A = { name: 'k8s-a', ip: randomLoopback() };
const B = { name: 'k8s-b', ip: randomLoopback() };
const TOKEN = 'k3s-token-Zq81xVv0pLm3';

const marker = (name: string) =>
  path.join(vms.hosts.find((h) => h.name === name)!.dirs['/var/lib/rancher'], 'marker');

/** Records every process started (file, argv, environment) and runs it for real. */
function recordingExec(): ProcessExec & {
  calls: Array<{ file: string; args: string[]; env: Record<string, string> }>;
} {
  const calls: Array<{ file: string; args: string[]; env: Record<string, string> }> = [];
  const exec = ((file, args, opts) => {
    calls.push({ file, args, env: opts.env });
    return execProcess(file, args, opts);
  }) as ProcessExec & { calls: typeof calls };
  exec.calls = calls;
  return exec;
}

async function freshRepo(
  playbooks?: Record<string, string>,
  hosts: Array<{ name: string; ip: string }> = [A, B],
): Promise<string> {
  const repo = await mkdtemp(path.join(root, 'repo-'));
  writeRepo(repo, hosts, playbooks);
  return repo;
}

function opts(repo: string, over: Partial<ProvisionOptions> = {}): ProvisionOptions {
  return {
    repoDir: repo,
    runs: [],
    newHosts: [],
    sshPrivateKey: key.privateKey,
    knownHostsFile: vms.knownHostsFile,
    simulator: true,
    log: memoryLogger(),
    tempRoot: path.join(root, 'tmp'),
    ...over,
  };
}

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'pve-gitops-provision-'));
  key = keyPair(root);
  await import('node:fs').then((fs) => fs.mkdirSync(path.join(root, 'tmp')));
  vms = await startVmHosts({
    vms: [A, B],
    authorizedKey: key.publicKey,
    stateDir: path.join(root, 'vms'),
  });
});
afterAll(async () => {
  await vms?.stop();
  await rm(root, { recursive: true, force: true });
});

describe('provision with the real ansible-playbook against simulated VMs', () => {
  it('runs a tag limited to one host: the marker exists there and nowhere else', async () => {
    const repo = await freshRepo();
    const log = memoryLogger();
    const exec = recordingExec();
    const r = await provision(
      opts(repo, { runs: [{ playbook: 'k8s.yml', limit: 'k8s-a' }], log, exec }),
    );
    expect(r.provisioned).toEqual(['k8s-a']);
    expect(readFileSync(marker('k8s-a'), 'utf8')).toBe('k8s-a\n');
    expect(existsSync(marker('k8s-b'))).toBe(false);
    const play = exec.calls.find((c) => c.file === 'ansible-playbook')!;
    expect(play.args).toEqual(['-i', 'inventory/k8s.ini', 'playbooks/k8s.yml', '--limit', 'k8s-a']);
    expect(play.env.ANSIBLE_HOST_KEY_CHECKING).toBe('True');
    expect(play.env.ANSIBLE_SSH_ARGS).toContain('StrictHostKeyChecking=yes');
    expect(log.lines.join('\n')).toMatch(/playbooks\/k8s\.yml on k8s-a: exit 0 after \d+\.\d s/);
    expect(log.lines.join('\n')).toMatch(/k8s-a\s+: ok=1\s+changed=1/);
    // The private directory with the key is gone.
    expect(readdirSync(path.join(root, 'tmp'))).toEqual([]);
  });

  it('gives a new host its default playbook (k8s.yml for the k3s group), only that host', async () => {
    const repo = await freshRepo();
    await rm(marker('k8s-a'), { force: true });
    await rm(marker('k8s-b'), { force: true });
    const r = await provision(opts(repo, { newHosts: [B] }));
    expect(r.runs.map((x) => [x.playbook, x.limit])).toEqual([['k8s.yml', ['k8s-b']]]);
    expect(readFileSync(marker('k8s-b'), 'utf8')).toBe('k8s-b\n');
    expect(existsSync(marker('k8s-a'))).toBe(false);
  });

  it('says so and runs nothing when there is nothing to do', async () => {
    const repo = await freshRepo();
    const log = memoryLogger();
    const exec = recordingExec();
    const r = await provision(opts(repo, { log, exec }));
    expect(r.runs).toEqual([]);
    expect(exec.calls).toEqual([]);
    expect(log.lines).toContain('info: Nothing to provision: no new hosts and no playbook runs.');
  });

  it('refuses in simulator mode any target that is not loopback, before running anything', async () => {
    const repo = await freshRepo(undefined, [A, B, { name: 'k8s-far', ip: '192.168.1.50' }]);
    await rm(marker('k8s-a'), { force: true });
    const exec = recordingExec();
    // Unlimited: every host it may reach must be loopback.
    await expect(provision(opts(repo, { runs: [{ playbook: 'k8s.yml' }], exec }))).rejects.toThrow(
      /^Simulator mode: k8s-far in inventory\/k8s\.ini has the address 192\.168\.1\.50, which is not a loopback address \(127\.0\.0\.0\/8\); nothing was run\.$/,
    );
    // A loopback host limited alongside a remote one: the remote one still stops everything.
    await expect(
      provision(
        opts(repo, {
          runs: [{ playbook: 'k8s.yml', limit: 'k8s-a' }],
          newHosts: [{ name: 'k8s-far', ip: '127.0.0.9' }],
          exec,
        }),
      ),
    ).rejects.toThrow(/k8s-far .*192\.168\.1\.50.*nothing was run/);
    await expect(
      provision(opts(repo, { newHosts: [{ name: 'k8s-far', ip: '192.168.1.50' }], exec })),
    ).rejects.toThrow(/the new host k8s-far has the address 192\.168\.1\.50/);
    expect(exec.calls.filter((c) => c.file === 'ansible-playbook')).toEqual([]);
    expect(existsSync(marker('k8s-a'))).toBe(false);
    // The same inventory limited to loopback hosts runs.
    const ok = await provision(opts(repo, { runs: [{ playbook: 'k8s.yml', limit: 'k8s-a' }] }));
    expect(ok.provisioned).toEqual(['k8s-a']);
  });

  it('keeps secrets out of argv and output: the token reaches Ansible by environment only', async () => {
    const repo = await freshRepo({
      'k8s.yml': MARKER_PLAYBOOK,
      'leak.yml': `---
- name: Try to print secrets
  hosts: k8s-a
  gather_facts: false
  tasks:
    - name: Print the token
      ansible.builtin.debug:
        msg: "token={{ lookup('ansible.builtin.env', 'K3S_TOKEN') }} key={{ lookup('ansible.builtin.file', lookup('ansible.builtin.env', 'ANSIBLE_PRIVATE_KEY_FILE')) }}"
`,
    });
    const log = memoryLogger();
    const exec = recordingExec();
    const r = await provision(
      opts(repo, { runs: [{ playbook: 'leak.yml' }], extraEnv: { K3S_TOKEN: TOKEN }, log, exec }),
    );
    expect(r.provisioned).toEqual(['k8s-a']);
    const text = log.lines.join('\n');
    expect(text).toContain('token=***');
    expect(text).not.toContain(TOKEN);
    const keyBody = key.privateKey.split('\n')[1];
    expect(keyBody.length).toBeGreaterThan(16);
    expect(text).not.toContain(keyBody);
    for (const c of exec.calls)
      expect(c.args.join(' ')).not.toMatch(new RegExp(`${TOKEN}|${keyBody.slice(0, 20)}`));
    expect(exec.calls.find((c) => c.file === 'ansible-playbook')!.env.K3S_TOKEN).toBe(TOKEN);
  });

  it('fails with one sentence naming the playbook and the failed host', async () => {
    const repo = await freshRepo({
      'k8s.yml': MARKER_PLAYBOOK,
      'fail.yml': `---
- name: Fail on one host
  hosts: k3s
  gather_facts: false
  tasks:
    - name: Fail on k8s-b
      ansible.builtin.command: /bin/false
      when: inventory_hostname == 'k8s-b'
      changed_when: false
`,
    });
    await expect(provision(opts(repo, { runs: [{ playbook: 'fail.yml' }] }))).rejects.toThrow(
      /^playbooks\/fail\.yml failed on k8s-b \(failed\); see the ansible output above\.$/,
    );
    expect(readdirSync(path.join(root, 'tmp'))).toEqual([]);
  });

  it('checks host keys: an unknown host is unreachable unless trust-on-first-use is asked', async () => {
    const repo = await freshRepo();
    const empty = path.join(root, 'empty_known_hosts');
    writeFileSync(empty, '');
    await expect(
      provision(
        opts(repo, { runs: [{ playbook: 'k8s.yml', limit: 'k8s-b' }], knownHostsFile: empty }),
      ),
    ).rejects.toThrow(/playbooks\/k8s\.yml failed on k8s-b \(unreachable\) \(host key not trusted/);
    const r = await provision(
      opts(repo, {
        runs: [{ playbook: 'k8s.yml', limit: 'k8s-b' }],
        knownHostsFile: empty,
        trustOnFirstUse: true,
      }),
    );
    expect(r.provisioned).toEqual(['k8s-b']);
    const bKey = readFileSync(vms.knownHostsFile, 'utf8')
      .split('\n')
      .find((l) => l.startsWith(`${B.ip} `))!
      .split(' ')
      .slice(1)
      .join(' ');
    expect(readFileSync(empty, 'utf8')).toContain(bKey);
  });

  it('refuses a bad key with one sentence that does not quote it, running nothing', async () => {
    const repo = await freshRepo();
    const exec = recordingExec();
    const bad =
      '-----BEGIN OPENSSH PRIVATE KEY-----\nnot-a-key-but-secret-text-123456\n-----END OPENSSH PRIVATE KEY-----\n';
    const err = await provision(
      opts(repo, {
        runs: [{ playbook: 'k8s.yml', limit: 'k8s-a' }],
        sshPrivateKey: bad,
        keySource: 'The ssh-private-key input',
        exec,
      }),
    ).then(
      () => new Error('provision succeeded'),
      (e: unknown) => e as Error,
    );
    expect(err.message).toBe(
      'The ssh-private-key input is not a valid SSH private key without a passphrase (ssh-keygen cannot read it).',
    );
    expect(exec.calls.map((c) => c.file)).toEqual(['ssh-keygen']);
    expect(readdirSync(path.join(root, 'tmp'))).toEqual([]);
  });

  it('refuses a limit that names no host in the inventory', async () => {
    const repo = await freshRepo();
    await expect(
      provision(opts(repo, { runs: [{ playbook: 'k8s.yml', limit: 'k8s-nope' }] })),
    ).rejects.toThrow(
      'k8s.yml --limit k8s-nope: k8s-nope is not in inventory/k8s.ini (no address known?); nothing was run.',
    );
  });
});

describe('provision through a simulated VM whose port 22 was taken', () => {
  it('reaches it on the reported port, passed as sshPorts', async () => {
    const net = await import('node:net');
    const ip = randomLoopback();
    // Holds port 22 and never answers, as a stuck service would; connections are dropped at the end.
    const sockets: import('node:net').Socket[] = [];
    const blocker = net.createServer((s) => sockets.push(s));
    await new Promise<void>((r) => blocker.listen(22, ip, () => r()));
    const more = await startVmHosts({
      vms: [{ name: 'k8s-c', ip }],
      authorizedKey: key.publicKey,
      stateDir: path.join(root, 'vms-c'),
    });
    try {
      const repo = await freshRepo(undefined, [{ name: 'k8s-c', ip }]);
      const r = await provision(
        opts(repo, {
          runs: [{ playbook: 'k8s.yml', limit: 'k8s-c' }],
          knownHostsFile: more.knownHostsFile,
          sshPorts: more.ports,
        }),
      );
      expect(more.ports['k8s-c']).not.toBe(22);
      expect(r.provisioned).toEqual(['k8s-c']);
      const dir = more.hosts[0].dirs['/var/lib/rancher'];
      expect(readFileSync(path.join(dir, 'marker'), 'utf8')).toBe('k8s-c\n');
    } finally {
      await more.stop();
      for (const s of sockets) s.destroy();
      await new Promise((r) => blocker.close(r));
    }
  });
});
