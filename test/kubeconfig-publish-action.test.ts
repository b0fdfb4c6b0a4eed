// The kubeconfig-publish action bundle end to end, as apply.yml's kubeconfig job runs it: the
// whole simulated world (Proxmox, Vault, the k3s manager, one real sshd per running VM), a
// repository with a k3s server and an agent applied and provisioned through the CLI bundle as
// the demo does, then actions/kubeconfig-publish/dist/index.cjs as a child process with the
// runner's contract, logging in to Vault with the GitHub OIDC stand-in and a JWT role.
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseDocument, stringify } from 'yaml';
import { VaultClient } from '../actions/lib/kubeconfig/vault-client.js';
import { memoryLogger } from '../actions/lib/log.js';
import {
  hostsUnavailable,
  KUBECONFIG_PATH,
  KV_MOUNT,
  startSimStack,
  type SimStack,
} from '../sim/stack.js';
import { startGithubOidc, type GithubOidc } from '../sim/vault/index.js';
import { keyPair } from './provision-helpers.js';
import { parseOutputs } from './runner-helpers.js';
import { sh } from './tags-helpers.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const CLI = path.join(ROOT, 'actions', 'cli', 'dist', 'index.cjs');
const BUNDLE = path.join(ROOT, 'actions', 'kubeconfig-publish', 'dist', 'index.cjs');
// Addresses of this file only (127.0.40.x): parallel suites never share one.
const SERVER = { name: 'k8s-kp', ip: '127.0.40.11' };
const AGENT = { name: 'k8s-kp-w1', ip: '127.0.40.12' };
const ROLE = 'pve-gitops-publish';

/** A context somebody stored before: must survive every publish. */
const OTHER_KUBECONFIG = stringify({
  apiVersion: 'v1',
  kind: 'Config',
  clusters: [
    {
      name: 'k8s-other',
      cluster: {
        server: 'https://127.0.40.99:6443',
        'certificate-authority-data': Buffer.from('other-ca').toString('base64'),
      },
    },
  ],
  users: [{ name: 'k8s-other', user: { token: 'other-cluster-token-6Hq2' } }],
  contexts: [{ name: 'k8s-other', context: { cluster: 'k8s-other', user: 'k8s-other' } }],
  'current-context': 'k8s-other',
});

let dir: string;
let world: SimStack;
let oidc: GithubOidc;
let root: VaultClient;
let repo: string;
let sshKey: string;
let newHostsJson: string;
let knownHosts: string;
let runNo = 0;

interface Stored {
  version: number;
  data: Record<string, unknown>;
  config: {
    clusters: Array<{ name: string; cluster: { server: string; [k: string]: string } }>;
    users: Array<{ name: string; user: Record<string, string> }>;
    contexts: Array<{ name: string; context: { cluster: string; user: string } }>;
  };
}

/** The kubeconfig secret as Vault's root token reads it. */
async function stored(): Promise<Stored> {
  const s = await root.readKv2(KV_MOUNT, KUBECONFIG_PATH);
  if (!s) throw new Error(`Vault has no secret ${KV_MOUNT}/${KUBECONFIG_PATH}.`);
  return {
    version: s.version,
    data: s.data,
    config: parse(String(s.data.KUBECONFIG)) as Stored['config'],
  };
}

/** A CLI command, asynchronously: the simulators answer from this very event loop. */
function cli(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    // `--` keeps node from reading our own flags (nodejs/node#54232).
    execFile(
      process.execPath,
      ['--', CLI, ...args],
      { cwd: repo, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 240_000 },
      (err, stdout, stderr) =>
        err
          ? reject(
              new Error(
                `pve-gitops ${args.join(' ')} exited ${String((err as { code?: unknown }).code)}:\n${stdout}\n${stderr.slice(-4000)}`,
              ),
            )
          : resolve(stdout),
    );
  });
}

/** GET on a cluster's API with a kubeconfig's CA and client certificate: status and body. */
function kubeGet(
  server: string,
  cluster: Record<string, string>,
  user: Record<string, string>,
  apiPath: string,
): Promise<{ status: number; body: string }> {
  const b64 = (v: string | undefined) => Buffer.from(v ?? '', 'base64');
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(apiPath, server),
      {
        ca: b64(cluster['certificate-authority-data']),
        cert: b64(user['client-certificate-data']),
        key: b64(user['client-key-data']),
        timeout: 30_000,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.once('error', reject);
    req.once('timeout', () => req.destroy(new Error(`GET ${apiPath} on ${server} timed out`)));
    req.end();
  });
}

/** Every input of action.yml at its default, as the runner fills them in. */
function actionDefaults(): Record<string, string> {
  const doc = parse(
    readFileSync(path.join(ROOT, 'actions', 'kubeconfig-publish', 'action.yml'), 'utf8'),
  ) as { inputs: Record<string, { default?: string }> };
  return Object.fromEntries(
    Object.entries(doc.inputs).map(([k, v]) => [k, String(v.default ?? '')]),
  );
}

/** The `with:` apply.yml's kubeconfig job gives the action. */
function applyYmlInputs(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    ...actionDefaults(),
    'new-hosts': newHostsJson,
    'known-hosts': knownHosts,
    'ssh-private-key': sshKey,
    'proxmox-url': world.proxmox.url,
    'proxmox-token-id': world.proxmox.tokenId,
    'proxmox-token-secret': world.proxmox.tokenSecret,
    'proxmox-tls-fingerprint': world.proxmox.fingerprint,
    'vault-addr': world.vault.addr,
    'vault-role': ROLE,
    ...overrides,
  };
}

interface StepResult {
  code: number;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
}

/** Runs the action bundle as the runner does: INPUT_*, GITHUB_* files, OIDC request URL. */
function runAction(inputs: Record<string, string>): Promise<StepResult> {
  const d = path.join(dir, 'runner', String(++runNo));
  mkdirSync(path.join(d, 'temp'), { recursive: true });
  const outputFile = path.join(d, 'output');
  const summaryFile = path.join(d, 'summary');
  const eventFile = path.join(d, 'event.json');
  writeFileSync(outputFile, '');
  writeFileSync(summaryFile, '');
  writeFileSync(
    eventFile,
    JSON.stringify({ ref: 'refs/heads/main', repository: { full_name: 'acme/homelab' } }),
  );
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: path.join(dir, 'home'),
    LANG: 'C.UTF-8',
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_EVENT_NAME: 'push',
    GITHUB_EVENT_PATH: eventFile,
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    GITHUB_WORKSPACE: repo,
    GITHUB_REF: 'refs/heads/main',
    GITHUB_REPOSITORY: 'acme/homelab',
    GITHUB_REPOSITORY_OWNER: 'acme',
    GITHUB_JOB: 'kubeconfig',
    GITHUB_WORKFLOW: 'apply',
    GITHUB_RUN_ID: String(2000 + runNo),
    // Any stray API call would go to a closed loopback port, never to github.com.
    GITHUB_SERVER_URL: 'http://127.0.0.1:9',
    GITHUB_API_URL: 'http://127.0.0.1:9',
    RUNNER_TEMP: path.join(d, 'temp'),
    RUNNER_OS: 'Linux',
    ACTIONS_ID_TOKEN_REQUEST_URL: oidc.requestUrl,
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: oidc.requestToken,
    PVE_GITOPS_SIMULATOR: 'true',
  };
  for (const [k, v] of Object.entries(inputs))
    env[`INPUT_${k.replace(/ /g, '_').toUpperCase()}`] = v;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BUNDLE],
      { cwd: repo, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 240_000 },
      (err, stdout, stderr) =>
        resolve({
          code: err ? Number((err as { code?: number }).code ?? 1) : 0,
          stdout,
          stderr,
          outputs: parseOutputs(readFileSync(outputFile, 'utf8')),
          summary: readFileSync(summaryFile, 'utf8'),
        }),
    );
  });
}

/** Lines a step printed, without the runner's own ::add-mask:: commands. */
const unmasked = (r: StepResult) =>
  `${r.stdout}\n${r.stderr}\n${r.summary}`
    .split('\n')
    .filter((l) => !l.startsWith('::add-mask::'))
    .join('\n');

function vmFile(vm: { name: string; ip: string }, node: string, k3s: string[]): string {
  return [
    `name: ${vm.name}`,
    `target_node: ${node}`,
    'cores: 1',
    'memory: 2048',
    'agent: true',
    `ipconfig0: ip=${vm.ip}/8,gw=127.0.0.1`,
    'ciuser: root',
    'disks:',
    '  scsi0: { size: 10G, storage: local-lvm }',
    'k3s:',
    ...k3s.map((l) => `  ${l}`),
    '',
  ].join('\n');
}

beforeAll(async () => {
  // The VMs are real sshd hosts in private namespaces: without them this suite proves nothing.
  const why = hostsUnavailable();
  if (why) throw new Error(`This suite boots sshd hosts and cannot run here: ${why}.`);
  dir = mkdtempSync(path.join(tmpdir(), 'pve-gitops-kp-action-'));
  mkdirSync(path.join(dir, 'home'));
  const key = keyPair(dir);
  sshKey = key.privateKey;
  writeFileSync(`${key.file}.pub`, `${key.publicKey}\n`);
  world = await startSimStack({
    dir: path.join(dir, 'sim'),
    persistent: true,
    timeScale: 0.05,
    authorizedKeyFile: `${key.file}.pub`,
    log: memoryLogger(),
  });
  if (!world.hosts) throw new Error('The sim stack started no VM hosts although root can.');
  oidc = await startGithubOidc({ repository: 'acme/homelab' });
  // apply.yml passes vault-role and no vault-audience: GitHub's default audience.
  world.vault.configureJwt({
    boundIssuer: oidc.issuer,
    jwksUrl: oidc.jwksUrl,
    roles: {
      [ROLE]: {
        user_claim: 'sub',
        bound_audiences: ['https://github.com/acme'],
        bound_claims: { repository: 'acme/homelab', ref: 'refs/heads/main' },
        bound_claims_type: 'glob',
        token_policies: ['pve-gitops-kubeconfig'],
      },
    },
  });
  root = new VaultClient({ addr: world.vault.addr, token: world.vault.rootToken });
  const first = await root.writeKv2(
    KV_MOUNT,
    KUBECONFIG_PATH,
    { KUBECONFIG: OTHER_KUBECONFIG, OWNER: 'platform-team' },
    0,
  );
  expect(first).toBe(1);

  // The user's repository: the demo's configuration, a server and an agent joining it.
  repo = path.join(dir, 'repo');
  mkdirSync(path.join(repo, 'vms'), { recursive: true });
  const config = parseDocument(readFileSync(path.join(ROOT, 'demo', 'pve-gitops.yaml'), 'utf8'));
  config.setIn(['k3s', 'installer_url'], world.kube.installerUrl);
  writeFileSync(path.join(repo, 'pve-gitops.yaml'), config.toString());
  cpSync(path.join(ROOT, 'playbooks'), path.join(repo, 'playbooks'), { recursive: true });
  cpSync(path.join(ROOT, 'schemas'), path.join(repo, 'schemas'), { recursive: true });
  writeFileSync(
    path.join(repo, 'vms', `${SERVER.name}.yaml`),
    vmFile(SERVER, 'pve1', ['role: server']),
  );
  writeFileSync(
    path.join(repo, 'vms', `${AGENT.name}.yaml`),
    vmFile(AGENT, 'pve2', ['role: agent', `join: ${SERVER.name}`]),
  );
  sh(dir, 'init', '--quiet', '--initial-branch=main', repo);
  sh(repo, 'add', '-A');
  sh(repo, 'commit', '--quiet', '-m', `feat: k3s cluster ${SERVER.name} [ansible ${SERVER.name}]`);

  // Apply and provision through the CLI bundle, as the demo does.
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: path.join(dir, 'home'),
    LANG: 'C.UTF-8',
    PROXMOX_URL: world.proxmox.url,
    PROXMOX_TOKEN_ID: world.proxmox.tokenId,
    PROXMOX_TOKEN_SECRET: world.proxmox.tokenSecret,
    PROXMOX_TLS_FINGERPRINT: world.proxmox.fingerprint,
    SSH_PRIVATE_KEY: sshKey,
    PVE_GITOPS_SIMULATOR: 'true',
    ANSIBLE_NOCOLOR: '1',
  };
  const applied = await cli(['apply', '--json'], env);
  const result = JSON.parse(applied) as {
    newHosts: Array<{ name: string; ip?: string }>;
    knownHosts: string;
    hostKeysMissing: string[];
  };
  expect(result.hostKeysMissing).toEqual([]);
  expect(result.newHosts.map((h) => `${h.name}=${h.ip}`).sort()).toEqual(
    [`${SERVER.name}=${SERVER.ip}`, `${AGENT.name}=${AGENT.ip}`].sort(),
  );
  // The apply step's new-hosts output is this very JSON array.
  newHostsJson = JSON.stringify(result.newHosts);
  knownHosts = result.knownHosts;
  const applyFile = path.join(dir, 'apply.json');
  writeFileSync(applyFile, applied, { mode: 0o600 });
  const knownHostsFile = path.join(dir, 'known_hosts');
  writeFileSync(knownHostsFile, knownHosts, { mode: 0o600 });
  await cli(['inventory', '--new-hosts', applyFile], env);
  await cli(
    ['provision', '--hosts', 'inventory/new_hosts.txt', '--known-hosts', knownHostsFile],
    env,
  );
  const nodes = [...(world.kube.clusterOf(SERVER.name)?.nodes() ?? [])].map((n) => n.name);
  expect(nodes.sort()).toEqual([SERVER.name, AGENT.name].sort());
}, 300_000);

afterAll(async () => {
  await oidc?.stop();
  await world?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('kubeconfig-publish action bundle, after apply and provision', () => {
  let firstVersion = 0;

  it('publishes the new cluster to Vault next to what was there, masking its credentials', async () => {
    const before = await stored();
    const r = await runAction(applyYmlInputs());
    expect(r.code, `${r.stdout.slice(-4000)}${r.stderr.slice(-2000)}`).toBe(0);
    expect(r.stdout).not.toContain('::error');
    // Logged in through GitHub OIDC with the default audience, as apply.yml does.
    expect(oidc.issued.at(-1)).toEqual({ audience: undefined });

    const after = await stored();
    firstVersion = after.version;
    expect(after.version).toBe(before.version + 1);
    const ctx = after.config.contexts.filter((c) => c.name === SERVER.name);
    expect(ctx).toHaveLength(1);
    const cluster = after.config.clusters.find((c) => c.name === ctx[0].context.cluster);
    expect(cluster?.cluster.server).toBe(`https://${SERVER.ip}:6443`);
    const user = after.config.users.find((u) => u.name === ctx[0].context.user)?.user ?? {};
    const clientKey = user['client-key-data'] ?? '';
    expect(clientKey.length).toBeGreaterThan(40);
    // The stored entry works as it is: the cluster's API at the VM's address, its CA checked,
    // accepts the client certificate and lists the server and the agent.
    const nodes = await kubeGet(cluster!.cluster.server, cluster!.cluster, user, '/api/v1/nodes');
    expect(nodes.status, nodes.body.slice(0, 300)).toBe(200);
    const names = (JSON.parse(nodes.body) as { items: Array<{ metadata: { name: string } }> }).items
      .map((n) => n.metadata.name)
      .sort();
    expect(names).toEqual([SERVER.name, AGENT.name].sort());
    // An agent has nothing to publish; the other context and the other key survive.
    expect(after.config.contexts.map((c) => c.name).sort()).toEqual(
      ['k8s-other', SERVER.name].sort(),
    );
    expect(after.config.clusters.find((c) => c.name === 'k8s-other')?.cluster.server).toBe(
      'https://127.0.40.99:6443',
    );
    expect(after.data.OWNER).toBe('platform-team');
    expect(r.stdout).toContain(`${AGENT.name}: nothing to publish`);
    expect(r.stdout).toContain(`${SERVER.name}: 2/2 nodes Ready.`);

    expect(r.outputs.published).toBe(SERVER.name);
    expect(r.outputs.contexts.split(' ').sort()).toEqual(['k8s-other', SERVER.name].sort());
    // The job summary names the cluster, where it went, and the agent with nothing to publish.
    expect(r.summary).toContain(
      `Stored \`${SERVER.name}\` in Vault ${KV_MOUNT}/${KUBECONFIG_PATH} (key KUBECONFIG), version ${after.version}.`,
    );
    expect(r.summary).toContain(`| \`${AGENT.name}\` | a k3s agent joining ${SERVER.name} |`);

    // The client key is masked before anything could print it, and printed nowhere else.
    expect(r.stdout).toContain(`::add-mask::${clientKey}`);
    const keyLines = Buffer.from(clientKey, 'base64')
      .toString('utf8')
      .split('\n')
      .filter((l) => l.length > 20 && !l.startsWith('-----'));
    const sshKeyLines = sshKey.split('\n').filter((l) => l.length > 16 && !l.startsWith('-----'));
    const text = unmasked(r);
    for (const secret of [clientKey, ...keyLines, ...sshKeyLines, world.proxmox.tokenSecret])
      expect(text).not.toContain(secret);
  }, 240_000);

  it('a second run with the same inputs replaces the context: one per cluster, a new version', async () => {
    expect(firstVersion).toBeGreaterThan(0);
    const r = await runAction(applyYmlInputs());
    expect(r.code, `${r.stdout.slice(-4000)}${r.stderr.slice(-2000)}`).toBe(0);
    const after = await stored();
    // docs/kubeconfig.md: read version N, merge, write with cas N — every publish writes.
    expect(after.version).toBe(firstVersion + 1);
    for (const list of [after.config.contexts, after.config.clusters, after.config.users])
      expect(list.filter((x) => x.name === SERVER.name)).toHaveLength(1);
    expect(after.config.contexts.map((c) => c.name).sort()).toEqual(
      ['k8s-other', SERVER.name].sort(),
    );
    expect(after.data.OWNER).toBe('platform-team');
    expect(r.outputs.published).toBe(SERVER.name);
  }, 240_000);

  it('refuses a server whose host key is not the one known-hosts lists, writing nothing', async () => {
    const before = await stored();
    // Another key of the same type, for the server's address.
    const real = knownHosts.split('\n').find((l) => l.startsWith(`${SERVER.ip} `)) ?? '';
    expect(real).not.toBe('');
    const other = keyPair(dir).publicKey.split(' ').slice(0, 2).join(' ');
    expect(other.split(' ')[0]).toBe(real.split(' ')[1]);
    const forged = knownHosts
      .split('\n')
      .map((l) => (l.startsWith(`${SERVER.ip} `) ? `${SERVER.ip} ${other}` : l))
      .join('\n');
    const r = await runAction(applyYmlInputs({ 'known-hosts': forged }));
    expect(r.code).toBe(1);
    const errors = r.stdout.split('\n').filter((l) => l.startsWith('::error'));
    expect(errors, r.stdout.slice(-3000)).toHaveLength(1);
    expect(errors[0]).toContain(`The host key of ${SERVER.name} (${SERVER.ip})`);
    expect(errors[0]).toContain('refusing to connect');
    const after = await stored();
    expect(after.version).toBe(before.version);
    expect(after.data).toEqual(before.data);
    expect(r.outputs.published ?? '').toBe('');
  }, 240_000);
});
