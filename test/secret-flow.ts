// Runs the whole demo flow (`pve-gitops demo --keep`: simulators, real sshd hosts, real
// ansible-playbook, Vault) while sampling the argv of every process on this machine, then
// collects every secret the run used from the state it kept and looks for them in those
// command lines, in the output, and in every file the run left behind.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import {
  argvLeaks,
  argvSampler,
  fileLeaks,
  filesUnder,
  keyLines,
  usableSecrets,
  type Leak,
} from './secret-scan.js';

// The repository root, found upwards: npm run reliability bundles this file with the case
// files, and import.meta.dirname is then test/reliability rather than test/.
function repoRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`No package.json above ${from}.`);
  }
}
const cli = path.join(repoRoot(import.meta.dirname), 'actions', 'cli', 'dist', 'index.cjs');

export interface SecretFlowResult {
  exitCode: number | null;
  output: string;
  /** Distinct secret values looked for. */
  secrets: number;
  /** Distinct command lines seen, and how many times /proc was read. */
  argvSeen: number;
  samples: number;
  /** Files looked at (kept state, demo repository, new temporary files). */
  filesChecked: number;
  leaks: Leak[];
}

const json = (f: string): unknown => JSON.parse(readFileSync(f, 'utf8'));

/** Every secret of the run, read from the simulator state it kept. */
function secretsOf(state: string, extra: string[]): string[] {
  const found: Array<string | undefined> = [...extra];
  const cluster = json(path.join(state, 'cluster.json')) as {
    tokens: Array<{ secret: string }>;
    users: Array<{ password?: string }>;
  };
  found.push(...cluster.tokens.map((t) => t.secret), ...cluster.users.map((u) => u.password));
  const vault = json(path.join(state, 'vault', 'vault.json')) as { tokens: object };
  found.push(...Object.keys(vault.tokens));
  for (const f of readdirSync(path.join(state, 'kube'))) {
    const k = json(path.join(state, 'kube', f)) as {
      secret: string;
      bearerToken: string;
      pki: Record<string, string>;
    };
    found.push(k.secret, k.bearerToken);
    for (const [name, pem] of Object.entries(k.pki))
      if (/Key/.test(name)) found.push(...keyLines(pem));
  }
  // The full join token (K10<ca hash>::server:<secret>) as the server wrote it.
  for (const f of filesUnder(path.join(state, 'hosts')))
    if (f.endsWith('/server/node-token')) found.push(readFileSync(f, 'utf8').trim());
  found.push(...keyLines(readFileSync(path.join(state, 'ssh', 'id_ed25519'), 'utf8')));
  found.push(...keyLines(readFileSync(path.join(state, 'pve-ssl.key'), 'utf8')));
  return usableSecrets(found);
}

const listing = (dir: string): Set<string> => {
  try {
    return new Set(readdirSync(dir));
  } catch {
    return new Set();
  }
};

/** Runs the demo once with a known CI_CLOUDINIT_PASSWORD and reports every leak found. */
export async function runSecretFlow(): Promise<SecretFlowResult> {
  const cloudinitPassword = `ci-pw-${randomBytes(12).toString('hex')}`;
  const watched = [tmpdir(), path.join(homedir(), '.ansible', 'tmp')];
  const before = watched.map(listing);
  const sampler = argvSampler();
  const child = spawn(process.execPath, ['--', cli, 'demo', '--keep'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CI_CLOUDINIT_PASSWORD: cloudinitPassword, ANSIBLE_NOCOLOR: '1' },
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exitCode = await new Promise<number | null>((resolve) => child.once('close', resolve));
  const argvs = sampler.stop();
  const kept = /Demo repository kept in (\S+), simulator state in (\S+?)\.?$/m.exec(output);
  if (!kept)
    throw new Error(`The demo did not say where it kept its state:\n${output.slice(-2000)}`);
  const [repo, state] = [kept[1], kept[2]];
  try {
    const secrets = secretsOf(state, [cloudinitPassword]);
    const files = [state, repo];
    watched.forEach((dir, i) => {
      for (const e of listing(dir)) if (!before[i].has(e)) files.push(path.join(dir, e));
    });
    const all = files.flatMap((f) => (existsSync(f) ? [f, ...filesUnder(f)] : []));
    const leaks = [
      ...argvLeaks(argvs, secrets),
      ...fileLeaks(all, secrets),
      ...secrets
        .filter((s) => output.includes(s))
        .map((s) => ({ where: 'the demo output', secret: s.slice(0, 4) })),
    ];
    return {
      exitCode,
      output,
      secrets: secrets.length,
      argvSeen: argvs.length,
      samples: sampler.samples(),
      filesChecked: all.length,
      leaks,
    };
  } finally {
    rmSync(repo, { recursive: true, force: true });
    rmSync(state, { recursive: true, force: true });
  }
}
