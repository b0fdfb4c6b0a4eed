import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const cli = path.resolve('actions/cli/dist/index.cjs');

/** Processes whose command line mentions `text` (our sshd hosts carry their state path). */
function processesMatching(text: string): string[] {
  const r = spawnSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
  return r.stdout.split('\n').filter((l) => l.includes(text) && !l.includes('ps -eo'));
}

describe('pve-gitops demo', () => {
  it('runs the whole flow on the simulators and leaves nothing behind', () => {
    const before = new Set(processesMatching('pve-gitops-demo-state-'));
    const r = spawnSync(process.execPath, ['--', cli, 'demo'], {
      encoding: 'utf8',
      timeout: 240_000,
      env: { ...process.env, ANSIBLE_NOCOLOR: '1' },
    });
    const out = `${r.stdout}\n${r.stderr}`;
    expect(r.status, out.slice(-3000)).toBe(0);
    // Every stage ran, in order, for real.
    const stages = [
      '$ pve-gitops validate',
      '$ pve-gitops plan',
      '$ pve-gitops apply --json',
      '$ pve-gitops inventory --new-hosts',
      '$ pve-gitops tags --range HEAD~1..HEAD',
      '$ pve-gitops provision --hosts inventory/new_hosts.txt',
      '$ pve-gitops kubeconfig publish --vm k8s-demo',
      '$ pve-gitops kubeconfig get --context k8s-demo',
      // A CI job deploys with the kubeconfig it fetched from Vault (Debian's kubectl).
      '$ kubectl apply -f k8s/hello.yaml',
      '$ kubectl rollout status deployment/hello',
      '$ kubectl get pods -o wide -l app=hello',
    ];
    let at = 0;
    for (const s of stages) {
      const i = out.indexOf(s, at);
      expect(i, `stage missing or out of order: ${s}`).toBeGreaterThanOrEqual(0);
      at = i;
    }
    expect(out).toContain('k8s.yml --limit k8s-demo');
    expect(out).toMatch(/k8s-demo\s+: ok=\d+\s+changed=\d+\s+unreachable=0\s+failed=0/);
    // Each join is verified on the server until the cluster reports the node Ready.
    expect(out).toMatch(/TASK \[k3s : Wait until this node is Ready in its cluster\]/);
    for (const agent of ['k8s-demo-w1', 'k8s-demo-w2'])
      expect(out).toMatch(
        new RegExp(`${agent}\\s+: ok=\\d+\\s+changed=\\d+\\s+unreachable=0\\s+failed=0`),
      );
    expect(out).toContain('k8s-demo: 3/3 nodes Ready.');
    expect(out).toContain(
      'Cluster k8s-demo: k8s-demo (server), k8s-demo-w1 (agent), k8s-demo-w2 (agent)',
    );
    expect(out).toContain('deployment.apps/hello created\nservice/hello created');
    expect(out).toContain('deployment "hello" successfully rolled out');
    // Both replicas Running, each on one of the demo's nodes, with a pod address of its node.
    const pods =
      out.match(/^hello-\S+\s+1\/1\s+Running\s+0\s+\S+\s+10\.42\.\d+\.\d+\s+(\S+)\s/gm) ?? [];
    expect(pods).toHaveLength(2);
    for (const p of pods) expect(p).toMatch(/\s(k8s-demo|k8s-demo-w1|k8s-demo-w2)\s$/);
    expect(out).toContain('No changes; 3 unchanged.');
    // It reads as a story: numbered phases, what each proves, timings, and what exists at the end.
    expect(out).toContain('1. Validate the VM definitions');
    expect(out).toMatch(/^Proves: the cluster is read and every change is shown/m);
    expect(out).toMatch(/^\(phase 3 took \d+\.\d s\)$/m);
    const table = out.slice(out.indexOf('What exists now:'));
    for (const [vm, role] of [
      ['k8s-demo', 'server'],
      ['k8s-demo-w1', 'agent'],
      ['k8s-demo-w2', 'agent'],
    ])
      expect(table).toMatch(
        new RegExp(
          `^  ${vm} +\\S+ +\\d+ +127\\.0\\.10\\.1\\d +k3s ${role} of k8s-demo, Ready$`,
          'm',
        ),
      );
    expect(table).toMatch(/kubeconfig: Vault kv\/cluster-secret-store\/secrets\/KUBECONFIG/);
    expect(table).toMatch(/^ {2}13\. Apply again: idempotent \(\d+\.\d s\)$/m);
    expect(out).toMatch(
      /\d+ changes to the simulated cluster by the first apply, none by the second\./,
    );
    // Nothing secret printed, nothing left running, nothing installed on this machine.
    expect(out).not.toMatch(/PRIVATE KEY|hvs\.[A-Za-z0-9]{8}|K10[0-9a-f]{20}/);
    const after = processesMatching('pve-gitops-demo-state-').filter((p) => !before.has(p));
    expect(after).toEqual([]);
    expect(existsSync('/usr/local/bin/k3s')).toBe(false);
    expect(existsSync('/etc/rancher/k3s/k3s.yaml')).toBe(false);
  }, 300_000);

  it('stops its hosts and removes its state when interrupted mid-way', async () => {
    const before = new Set(processesMatching('pve-gitops-demo-state-'));
    const child = spawn(process.execPath, ['--', cli, 'demo'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ANSIBLE_NOCOLOR: '1' },
    });
    let out = '';
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    // Interrupt once provisioning runs: simulators, sshd hosts and ansible are all up then.
    await new Promise<void>((resolve, reject) => {
      const look = (d: Buffer) => {
        out += d.toString();
        if (out.includes('$ pve-gitops provision')) resolve();
      };
      child.stdout.on('data', look);
      child.stderr.on('data', look);
      child.once('exit', () => reject(new Error(`demo ended before provisioning:\n${out}`)));
    });
    const state = /pve-gitops-demo-state-[A-Za-z0-9]+/.exec(out);
    child.kill('SIGTERM');
    expect(await exited).toBe(143);
    expect(out).toContain('Demo interrupted by SIGTERM');
    const after = processesMatching('pve-gitops-demo-state-').filter((p) => !before.has(p));
    expect(after).toEqual([]);
    expect(state, 'the demo prints where its state lives').not.toBeNull();
    expect(existsSync(path.join(tmpdir(), state![0]))).toBe(false);
  }, 120_000);
});
