import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PveGitopsError } from '../../actions/lib/errors.js';
import type { Logger } from '../../actions/lib/log.js';
import { parseDocument } from 'yaml';
import { hostsUnavailable, startSimStack, type SimStack } from '../stack.js';

export interface DemoOptions {
  log: Logger;
  /** Keep the demo repository and simulator state afterwards (printed at the end). */
  keep?: boolean;
  /** Simulated task durations are multiplied by this; default 0.05 (a clone takes ~0.5 s). */
  timeScale?: number;
}

interface Step {
  title: string;
  /** What this phase shows to be true, printed under its title. */
  proves: string;
  args: string[];
  /** Exit codes that mean success for this step (plan: 2 = changes). */
  ok?: number[];
  capture?: boolean;
}

/** The checkout this code runs from: the folder above actions/, holding demo/ and playbooks/. */
export function projectRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'demo', 'vms'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new PveGitopsError('Cannot find the demo/ folder of pve-gitops.');
    dir = up;
  }
  return dir;
}

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** A fresh Git repository holding the demo VMs, as a user's repository would. */
function makeRepository(root: string, installerUrl: string): string {
  const repo = mkdtempSync(path.join(tmpdir(), 'pve-gitops-demo-'));
  const copy = (from: string, to = from) =>
    cpSync(path.join(root, from), path.join(repo, to), { recursive: true });
  const commit = (message: string) => {
    git(repo, 'add', '-A');
    git(
      repo,
      '-c',
      'user.name=Demo User',
      '-c',
      'user.email=demo@example.invalid',
      'commit',
      '-q',
      '-m',
      message,
    );
  };
  git(repo, 'init', '-q', '-b', 'main');
  const config = parseDocument(readFileSync(path.join(root, 'demo', 'pve-gitops.yaml'), 'utf8'));
  config.setIn(['k3s', 'installer_url'], installerUrl);
  writeFileSync(path.join(repo, 'pve-gitops.yaml'), config.toString());
  copy('playbooks');
  copy('schemas');
  // The application a CI job deploys once the cluster exists (the demo's last step).
  copy('demo/k8s', 'k8s');
  commit('chore: start the demo repository');
  copy('demo/vms', 'vms');
  commit('feat: demo k3s cluster, one node per Proxmox node [ansible k8s-demo]');
  return repo;
}

/**
 * Runs the whole pve-gitops flow against the embedded simulators on loopback, each step the
 * real `pve-gitops` command in its own process as a user or the workflow would run it:
 * validate, plan, apply, inventory, tags, provision (real ansible-playbook over real sshd
 * hosts, k3s server then agents), kubeconfig publish to Vault and get, and a CI job deploying
 * with that kubeconfig through kubectl; then plan and apply again to show that nothing changes.
 */
export async function runDemo(o: DemoOptions): Promise<number> {
  const { log } = o;
  const root = projectRoot();
  const cli = path.join(root, 'actions', 'cli', 'dist', 'index.cjs');
  const state = mkdtempSync(path.join(tmpdir(), 'pve-gitops-demo-state-'));
  const started = Date.now();
  let world: SimStack | undefined;
  let repo: string | undefined;
  // Interrupted (Ctrl-C, a CI timeout): stop the step, the simulators and their sshd hosts, and
  // remove the state, as the normal end does; otherwise the hosts would outlive us.
  let cleaning: Promise<void> | undefined;
  const cleanup = () =>
    (cleaning ??= (async () => {
      await world?.stop();
      if (o.keep)
        log.info(
          `Demo repository kept in ${repo ?? '(not created)'}, simulator state in ${state}.`,
        );
      else {
        if (repo) rmSync(repo, { recursive: true, force: true });
        rmSync(state, { recursive: true, force: true });
      }
    })());
  const interrupted = (signal: NodeJS.Signals) => {
    void (async () => {
      log.error(`Demo interrupted by ${signal}; stopping the simulators.`);
      for (const child of running) child.kill('SIGTERM');
      await cleanup();
      process.exit(signal === 'SIGINT' ? 130 : 143);
    })();
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    // The VMs of the demo are real sshd hosts in private namespaces: that needs root.
    const why = hostsUnavailable();
    if (why)
      throw new PveGitopsError(
        `The demo boots its VMs as sshd hosts, which it cannot do here: ${why}.`,
      );
    world = await log.group('Start the simulators (loopback only)', async () => {
      const s = await startSimStack({
        dir: state,
        persistent: true,
        timeScale: o.timeScale ?? 0.05,
        log,
      });
      log.info(`Proxmox VE: ${s.proxmox.url} (nodes pve1, pve2, still-fawn)`);
      log.info(`Vault: ${s.vault.addr} (KV v2 at kv/, a token limited to the kubeconfig secret)`);
      log.info(
        `k3s: installer at ${s.kube.installerUrl}; every running VM with a 127.x address gets its own sshd`,
      );
      return s;
    });
    const w = world;
    const keyFile = w.sshPrivateKeyFile;
    if (!keyFile) throw new PveGitopsError('The simulator made no SSH key for the demo.');
    repo = makeRepository(root, w.kube.installerUrl);
    const cwd = repo;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PROXMOX_URL: w.proxmox.url,
      PROXMOX_TOKEN_ID: w.proxmox.tokenId,
      PROXMOX_TOKEN_SECRET: w.proxmox.tokenSecret,
      PROXMOX_TLS_FINGERPRINT: w.proxmox.fingerprint,
      VAULT_ADDR: w.vault.addr,
      VAULT_TOKEN: w.vaultToken,
      SSH_PRIVATE_KEY: readFileSync(keyFile, 'utf8'),
      PVE_GITOPS_SIMULATOR: 'true',
      ANSIBLE_NOCOLOR: '1',
    };
    // The demo reads as a story: numbered phases, what each proves, and how long it took.
    const timings: Array<{ n: number; title: string; seconds: number }> = [];
    const phase = <T>(title: string, proves: string, fn: () => Promise<T>): Promise<T> => {
      const n = timings.length + 1;
      return log.group(`${n}. ${title}`, async () => {
        log.info(`Proves: ${proves}`);
        const t0 = Date.now();
        const r = await fn();
        const seconds = (Date.now() - t0) / 1000;
        timings.push({ n, title, seconds });
        log.info(`(phase ${n} took ${seconds.toFixed(1)} s)`);
        return r;
      });
    };
    const run = (step: Step) =>
      phase(step.title, step.proves, async () => {
        log.info(`$ pve-gitops ${step.args.join(' ')}`);
        const r = await runCli(cli, step.args, cwd, env, !!step.capture);
        if (!(step.ok ?? [0]).includes(r.code))
          throw new PveGitopsError(
            `Demo step '${step.title}' failed: pve-gitops ${step.args[0]} exited ${r.code}.`,
          );
        return r.stdout;
      });

    await run({
      title: 'Validate the VM definitions',
      proves: 'every file is checked against the schema and the rules, with no server contacted',
      args: ['validate'],
    });
    await run({
      title: 'Plan (what a pull request comment shows)',
      proves: 'the cluster is read and every change is shown before anything happens',
      args: ['plan'],
      ok: [2],
    });
    const applied = await run({
      title: 'Apply: clone, configure, resize, start, wait for the guest agent',
      proves: 'VMs are made through the Proxmox API and verified alive by their guest agents',
      args: ['apply', '--json'],
      capture: true,
    });
    const afterApply = w.proxmox.stats().mutations;
    const applyFile = path.join(state, 'apply.json');
    writeFileSync(applyFile, applied, { mode: 0o600 });
    const { newHosts, knownHosts, hostKeysMissing } = JSON.parse(applied) as {
      newHosts: Array<{ name: string; ip?: string; vmid: number }>;
      knownHosts: string;
      hostKeysMissing: string[];
    };
    if (hostKeysMissing.length)
      throw new PveGitopsError(
        `Apply could not read the SSH host keys of ${hostKeysMissing.join(', ')} through the guest agent.`,
      );
    // Only the keys apply read through the guest agent over the pinned API: strict checking
    // with nothing learned from the hosts themselves.
    const knownHostsFile = path.join(state, 'known_hosts');
    writeFileSync(knownHostsFile, knownHosts, { mode: 0o600 });
    log.info(`New hosts: ${newHosts.map((h) => `${h.name} (${h.ip ?? 'no address'})`).join(', ')}`);
    await run({
      title: 'Regenerate the Ansible inventory',
      proves: 'the inventory and new_hosts.txt follow vms/ and the addresses apply found',
      args: ['inventory', '--new-hosts', applyFile],
    });
    log.info(readFileSync(path.join(repo, 'inventory', 'k8s.ini'), 'utf8').trimEnd());
    await run({
      title: 'Read the [ansible X] tags of the pushed commits',
      proves: 'a commit message tag selects the playbook to run, checked before it runs',
      args: ['tags', '--range', 'HEAD~1..HEAD'],
    });

    log.info(`known_hosts from apply (read through the guest agent): ${knownHostsFile}`);
    const known = ['--known-hosts', knownHostsFile];
    await run({
      title: 'Provision the new hosts: k3s server, then the agents join',
      proves:
        'real Ansible over real SSH provisions only the new hosts; each join is verified Ready',
      args: ['provision', '--hosts', 'inventory/new_hosts.txt', ...known],
    });
    await run({
      title: "Publish the new cluster's kubeconfig to Vault (check-and-set merge)",
      proves: 'the kubeconfig is merged into Vault without overwriting other clusters',
      args: ['kubeconfig', 'publish', '--vm', 'k8s-demo', ...known],
    });
    const kubeconfig = path.join(state, 'kubeconfig');
    await run({
      title: 'Any CI job: fetch one context from Vault',
      proves: 'a job gets exactly the context it asks for, in a private file',
      args: ['kubeconfig', 'get', '--context', 'k8s-demo', '--out', kubeconfig],
    });
    const nodes = [...(w.kube.clusterOf('k8s-demo')?.nodes() ?? [])].sort((a, b) =>
      a.name.localeCompare(b.name),
    );
    log.info(
      `Cluster k8s-demo: ${nodes.map((n) => `${n.name} (${n.role})`).join(', ')}; kubeconfig in ${kubeconfig} (mode 0600)`,
    );
    // The consumer: what a user's CI job does with the kubeconfig it fetched from Vault.
    const kubectlEnv = {
      PATH: process.env.PATH,
      LANG: 'C.UTF-8',
      HOME: state,
      KUBECONFIG: kubeconfig,
    };
    const kubectl = (title: string, proves: string, args: string[]) =>
      phase(title, proves, async () => {
        log.info(`$ kubectl ${args.join(' ')}`);
        const r = await runProcess(KUBECTL, args, cwd, kubectlEnv, true).catch((e: unknown) => {
          throw new PveGitopsError(
            `Demo step '${title}' needs kubectl (${KUBECTL}), which did not start: ${(e as Error).message}. On Debian: apt-get install kubernetes-client.`,
          );
        });
        log.info(r.stdout.trimEnd());
        if (r.code !== 0)
          throw new PveGitopsError(
            `Demo step '${title}' failed: kubectl ${args[0]} exited ${r.code}.`,
          );
      });
    await kubectl(
      'A CI job deploys to the new cluster with that kubeconfig',
      "the kubeconfig from Vault reaches the cluster's API as cluster-admin",
      ['apply', '-f', 'k8s/hello.yaml'],
    );
    await kubectl('… waits for the rollout', 'the Deployment rolls out on the new nodes', [
      'rollout',
      'status',
      'deployment/hello',
      '--timeout=120s',
    ]);
    await kubectl(
      '… and sees its pods running on the cluster',
      'the pods run on the nodes the flow created',
      ['get', 'pods', '-o', 'wide', '-l', 'app=hello'],
    );

    await run({
      title: 'Plan again: nothing to do',
      proves: 'the cluster now matches the repository',
      args: ['plan'],
    });
    await run({
      title: 'Apply again: idempotent',
      proves: 'running again converges and changes nothing',
      args: ['apply'],
    });
    const again = w.proxmox.stats().mutations - afterApply;
    if (again !== 0)
      throw new PveGitopsError(
        `The second apply changed the cluster ${again} times; it should change nothing.`,
      );
    log.info(
      `Demo finished in ${((Date.now() - started) / 1000).toFixed(1)} s: ${afterApply} changes to the simulated cluster by the first apply, none by the second.`,
    );
    log.info(
      closingTable({
        hosts: newHosts,
        nodes: nodes.map((n) => ({ name: n.name, role: n.role })),
        vms: w.proxmox.cluster.vms(),
        kubeconfig,
        timings,
      }),
    );
    return 0;
  } finally {
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
    await cleanup();
  }
}

/** The step running now: a signal must stop it before the hosts it talks to go away. */
const running = new Set<ChildProcess>();

/** kubectl for the consumer step: Debian's kubernetes-client, or KUBECTL. */
const KUBECTL = process.env.KUBECTL ?? 'kubectl';

function runCli(
  cli: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
  capture: boolean,
): Promise<{ code: number; stdout: string }> {
  // `--` keeps node from reading our own flags (nodejs/node#54232).
  return runProcess(process.execPath, ['--', cli, ...args], cwd, env, capture);
}

function runProcess(
  cmd: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
  capture: boolean,
): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd,
      env,
      stdio: ['ignore', capture ? 'pipe' : 'inherit', 'inherit'],
    });
    running.add(child);
    child.once('exit', () => running.delete(child));
    let stdout = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code: code ?? 1, stdout }));
  });
}

/** What exists when the demo ends: VMs, addresses, cluster membership, the kubeconfig. */
function closingTable(o: {
  hosts: Array<{ name: string; ip?: string; vmid: number }>;
  nodes: Array<{ name: string; role: string }>;
  vms: Array<{ vmid: number; node: string }>;
  kubeconfig: string;
  timings: Array<{ n: number; title: string; seconds: number }>;
}): string {
  const hosts = [...o.hosts].sort((a, b) => a.name.localeCompare(b.name));
  const rows = hosts.map((h) => {
    const role = o.nodes.find((n) => n.name === h.name)?.role;
    return [
      h.name,
      o.vms.find((v) => v.vmid === h.vmid)?.node ?? '?',
      String(h.vmid),
      h.ip ?? '–',
      role ? `k3s ${role} of k8s-demo, Ready` : '–',
    ];
  });
  const head = ['VM', 'Proxmox node', 'VMID', 'address', 'cluster'];
  const width = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => `  ${r.map((c, i) => c.padEnd(width[i])).join('  ')}`.trimEnd();
  return [
    'What exists now:',
    line(head),
    ...rows.map(line),
    `  kubeconfig: Vault kv/cluster-secret-store/secrets/KUBECONFIG (key KUBECONFIG), context k8s-demo; fetched to ${o.kubeconfig}`,
    'Phases:',
    ...o.timings.map((t) => `  ${String(t.n).padStart(2)}. ${t.title} (${t.seconds.toFixed(1)} s)`),
  ].join('\n');
}
