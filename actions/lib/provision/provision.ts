import { existsSync } from 'node:fs';
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadValidConfig } from '../config/load.js';
import { ConfigurationError, PveGitopsError } from '../errors.js';
import type { PlaybookRun } from '../gitops/tags.js';
import type { Logger } from '../log.js';
import { redact, registerSecret } from '../secrets.js';
import { heartbeat } from './heartbeat.js';
import { execProcess, type ProcessExec } from './exec.js';
import { isLoopbackAddress } from '../net/loopback.js';
import { assertLoopbackTargets, readInventory, type InventoryView } from './inventory-view.js';
import { planInvocations, type Invocation } from './invocations.js';
import { failedHosts, parseRecap, type RecapEntry } from './recap.js';
import { trustedHostKeys, type HostKeyClient, type SshHost } from '../ssh/trusted-host-keys.js';
import { preparePrivateDir, type PrivateDir } from './workspace.js';
import { isRunnablePlaybook } from '../vm/playbooks.js';

export const DEFAULT_INVENTORY = 'inventory/k8s.ini';

export interface ProvisionOptions {
  /** Repository root: holds the inventory and playbooks/. */
  repoDir: string;
  /** Parsed tag lines (`parseRun`): `k8s.yml --limit k8s-foo`, `haproxy.yml`. */
  runs: readonly PlaybookRun[];
  /** Hosts created or recreated in this run (`IP,name`); each gets its default playbook. */
  newHosts: ReadonlyArray<{ name: string; ip: string }>;
  /** The guests' SSH private key; absent = ssh's own identities and agent (CLI only). */
  sshPrivateKey?: string;
  /** Names the key's origin in errors, e.g. `The ssh-private-key input`. */
  keySource?: string;
  /** known_hosts file to check host keys against; absent = ssh's default files. */
  knownHostsFile?: string;
  /** known_hosts lines; written to the private directory (wins over knownHostsFile). */
  knownHosts?: string;
  /** Accept and record keys of hosts not yet known (never changed ones). Off by default. */
  trustOnFirstUse?: boolean;
  /**
   * The Proxmox API: every target known_hosts lacks gets its keys read through the guest
   * agent (trustedHostKeys); one that cannot is refused before anything runs.
   */
  proxmox?: HostKeyClient;
  /** Per host, how long to wait for its guest agent to give the keys. Default 60 s. */
  hostKeyTimeoutMs?: number;
  /** Simulator mode: every target must be a loopback address, checked before anything runs. */
  simulator: boolean;
  /** Environment for ansible-playbook, e.g. K3S_TOKEN; every value is treated as a secret. */
  extraEnv?: Record<string, string>;
  /** SSH ports off 22 by host name (simulated VMs whose port 22 was taken). */
  sshPorts?: Record<string, number>;
  /** Inventory, relative to repoDir. Default inventory/k8s.ini. */
  inventory?: string;
  /** Parent of the private temporary directory (RUNNER_TEMP in Actions). */
  tempRoot?: string;
  exec?: ProcessExec;
  log: Logger;
  now?: () => number;
}

export interface ProvisionRun extends Invocation {
  durationMs: number;
  recap: RecapEntry[];
}

export interface ProvisionResult {
  runs: ProvisionRun[];
  /** Hosts a playbook ran on successfully, sorted. */
  provisioned: string[];
}

const ENV_PASSED = ['PATH', 'HOME', 'USER', 'LOGNAME', 'LANG', 'TZ', 'TMPDIR'];

function sshQuote(p: string): string {
  if (/['\n]/.test(p))
    throw new ConfigurationError(`The path ${JSON.stringify(p)} contains a quote.`);
  return `'${p}'`;
}

function ansibleEnv(
  o: ProvisionOptions,
  priv: PrivateDir,
  knownHosts: string | undefined,
): Record<string, string> {
  const { dir, keyFile } = priv;
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && (ENV_PASSED.includes(k) || k.startsWith('ANSIBLE_'))) env[k] = v;
  }
  if (!keyFile && process.env.SSH_AUTH_SOCK) env.SSH_AUTH_SOCK = process.env.SSH_AUTH_SOCK;
  const ssh = [
    '-C',
    '-o ControlMaster=auto',
    '-o ControlPersist=10s',
    '-o BatchMode=yes',
    `-o StrictHostKeyChecking=${o.trustOnFirstUse ? 'accept-new' : 'yes'}`,
    ...(knownHosts ? [`-o UserKnownHostsFile=${sshQuote(knownHosts)}`] : []),
    ...(keyFile ? ['-o IdentitiesOnly=yes'] : []),
  ];
  return {
    ...env,
    ...o.extraEnv,
    ANSIBLE_HOST_KEY_CHECKING: 'True',
    ANSIBLE_SSH_ARGS: ssh.join(' '),
    ...(keyFile ? { ANSIBLE_PRIVATE_KEY_FILE: keyFile } : {}),
    ANSIBLE_SSH_CONTROL_PATH_DIR: priv.controlDir,
    ANSIBLE_LOCAL_TEMP: path.join(dir, 'tmp'),
    ANSIBLE_PIPELINING: 'True',
    ANSIBLE_RETRY_FILES_ENABLED: 'False',
    ANSIBLE_NOCOLOR: '1',
    ANSIBLE_FORCE_COLOR: '0',
    // Never run an executable "inventory": only INI and YAML files are read.
    ANSIBLE_INVENTORY_ENABLED: 'yaml,ini',
    ANSIBLE_INVENTORY_UNPARSED_FAILED: 'True',
    PYTHONUNBUFFERED: '1',
  };
}

const GLOBAL_KNOWN_HOSTS = '/etc/ssh/ssh_known_hosts';

/** A known_hosts file's text; ssh's own (~/.ssh/known_hosts) when none is named; '' if absent. */
async function readKnownHosts(file: string | undefined): Promise<string> {
  const f = file ?? path.join(process.env.HOME ?? os.homedir(), '.ssh', 'known_hosts');
  return readFile(f, 'utf8').catch(() => '');
}

/** Every host the runs may reach, as ssh reaches it (ansible_host, ansible_port). */
function sshHosts(view: InventoryView, invocations: readonly Invocation[]): SshHost[] {
  const names = [...new Set(invocations.flatMap((i) => i.targets))].sort();
  return names.map((name) => {
    const vars = view.hosts.get(name) ?? {};
    const address = typeof vars.ansible_host === 'string' ? vars.ansible_host : name;
    const port = Number(vars.ansible_port ?? 22);
    return { name, address, ...(Number.isInteger(port) && port !== 22 ? { port } : {}) };
  });
}

/** `playbooks/k8s.yml on k8s-foo` for progress and errors. */
export function describeInvocation(i: Pick<Invocation, 'playbook' | 'limit'>): string {
  return `playbooks/${i.playbook}${i.limit ? ` on ${i.limit.join(', ')}` : ''}`;
}

function failure(inv: Invocation, code: number, output: string): PveGitopsError {
  const recap = parseRecap(output);
  const failed = failedHosts(recap);
  const hostKey = /Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED/.test(output)
    ? ' (host key not trusted: give a known_hosts file, or enable trust-on-first-use for new hosts)'
    : '';
  if (failed.length) {
    return new PveGitopsError(
      `playbooks/${inv.playbook} failed on ${failed.join(', ')}${hostKey}; see the ansible output above.`,
    );
  }
  const last = output
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /ERROR!|fatal|error/i.test(l))
    .at(-1);
  return new PveGitopsError(
    `playbooks/${inv.playbook} failed before any host finished (ansible-playbook exit ${code})${last ? `: ${redact(last).slice(0, 300)}` : ''}.`,
  );
}

/**
 * Runs the playbooks that tags ask for and the default playbook of each new host, with the
 * real ansible-playbook against the repository's inventory, limited to those hosts. The key
 * lives in a 0600 file in a private temporary directory removed afterwards; secrets reach
 * Ansible through its environment only. Everything is checked before the first run: the
 * key, the inventory, every limit and, in simulator mode, that every target is loopback.
 */
export async function provision(o: ProvisionOptions): Promise<ProvisionResult> {
  const log = o.log;
  const exec = o.exec ?? execProcess;
  const now = o.now ?? Date.now;
  for (const v of Object.values(o.extraEnv ?? {})) registerSecret(v);
  // An invalid pve-gitops.yaml stops every step, this one too (never the defaults instead).
  await loadValidConfig(o.repoDir);
  if (!o.runs.length && !o.newHosts.length) {
    log.info('Nothing to provision: no new hosts and no playbook runs.');
    return { runs: [], provisioned: [] };
  }
  if (o.simulator) {
    const bad = o.newHosts.find((h) => !isLoopbackAddress(h.ip));
    if (bad)
      throw new PveGitopsError(
        `Simulator mode: the new host ${bad.name} has the address ${bad.ip}, which is not a loopback address (127.0.0.0/8); nothing was run.`,
      );
  }
  const inventoryName = o.inventory ?? DEFAULT_INVENTORY;
  if (!existsSync(path.join(o.repoDir, inventoryName)))
    throw new ConfigurationError(
      `${inventoryName} does not exist; run pve-gitops inventory first.`,
    );
  if (o.knownHostsFile && !existsSync(o.knownHostsFile))
    throw new ConfigurationError(`The known_hosts file ${o.knownHostsFile} does not exist.`);

  const priv = await preparePrivateDir({
    sshPrivateKey: o.sshPrivateKey,
    tempRoot: o.tempRoot,
    exec,
    keySource: o.keySource ?? 'The SSH private key',
  });
  try {
    let knownHosts = o.knownHostsFile && path.resolve(o.knownHostsFile);
    // With the Proxmox API, keys read through the agent join what was given in a private copy.
    const given = o.knownHosts ?? (o.proxmox ? await readKnownHosts(knownHosts) : undefined);
    if (given !== undefined) {
      knownHosts = path.join(priv.dir, 'known_hosts');
      await writeFile(knownHosts, given.trim() + '\n', { mode: 0o600 });
    }
    const env = ansibleEnv(o, priv, knownHosts);
    const inventoryArgs = ['-i', inventoryName];
    const ports = Object.entries(o.sshPorts ?? {});
    if (ports.length) {
      const file = path.join(priv.dir, 'ports.yml');
      const lines = ports.map(([h, p]) => {
        if (!/^[a-z0-9][a-z0-9.-]*$/.test(h) || !Number.isInteger(p) || p < 1 || p > 65535)
          throw new ConfigurationError(`SSH port ${p} of host '${h.slice(0, 60)}' is not valid.`);
        return `    ${h}:\n      ansible_port: ${p}\n`;
      });
      await writeFile(file, `all:\n  hosts:\n${lines.join('')}`, { mode: 0o600 });
      inventoryArgs.push('-i', file);
    }
    const view = await readInventory({
      repoDir: o.repoDir,
      inventoryArgs,
      env,
      exec,
      inventoryName,
    });
    const invocations = planInvocations({
      runs: o.runs,
      newHosts: o.newHosts,
      view,
      playbookExists: (f) => isRunnablePlaybook(o.repoDir, f),
      inventoryName,
      log,
    });
    if (o.simulator)
      for (const i of invocations) assertLoopbackTargets(view, i.targets, inventoryName);
    if (!invocations.length) {
      log.info('Nothing to provision: no playbook applies to the new hosts.');
      return { runs: [], provisioned: [] };
    }
    if (o.proxmox && knownHosts) {
      const { added } = await trustedHostKeys({
        hosts: sshHosts(view, invocations),
        knownHosts: `${given ?? ''}\n${await readKnownHosts(GLOBAL_KNOWN_HOSTS)}`,
        proxmox: o.proxmox,
        trustOnFirstUse: !!o.trustOnFirstUse,
        timeoutMs: o.hostKeyTimeoutMs,
        log,
      });
      if (added) await appendFile(knownHosts, added, { mode: 0o600 });
    }
    for (const i of invocations) log.info(`will run: ${describeInvocation(i)}`);

    const done: ProvisionRun[] = [];
    for (const [n, inv] of invocations.entries()) {
      const label = `${describeInvocation(inv)} (${n + 1}/${invocations.length})`;
      const run = await log.group(label, async () => {
        const args = [...inventoryArgs, `playbooks/${inv.playbook}`];
        if (inv.limit) args.push('--limit', inv.limit.join(','));
        const started = now();
        const hb = heartbeat(log, describeInvocation(inv));
        const r = await exec('ansible-playbook', args, {
          cwd: o.repoDir,
          env,
          onLine: (line) => {
            hb.seen(line);
            log.info(redact(line));
          },
        }).finally(() => hb.stop());
        const durationMs = now() - started;
        const output = `${r.stdout}\n${r.stderr}`;
        log.info(
          `${describeInvocation(inv)}: exit ${r.code} after ${(durationMs / 1000).toFixed(1)} s`,
        );
        if (r.code !== 0) throw failure(inv, r.code, output);
        return { ...inv, durationMs, recap: parseRecap(r.stdout) };
      });
      done.push(run);
    }
    const provisioned = [...new Set(done.flatMap((d) => d.recap.map((e) => e.host)))].sort();
    return { runs: done, provisioned };
  } finally {
    await priv.remove();
  }
}
