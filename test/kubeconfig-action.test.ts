import {
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parse } from 'yaml';
import { normaliseK3sKubeconfig } from '../actions/lib/kubeconfig/kubeconfig.js';
import { publishKubeconfig } from '../actions/lib/kubeconfig/store.js';
import { VaultClient } from '../actions/lib/kubeconfig/vault-client.js';
import { memoryLogger } from '../actions/lib/log.js';
import { startKubeApi, type KubeApiSim } from '../sim/kube/index.js';
import {
  startGithubOidc,
  startVaultSim,
  type GithubOidc,
  type VaultSim,
} from '../sim/vault/index.js';
import { baseEnv, run } from './kube-helpers.js';

const bundle = path.resolve('actions/kubeconfig/dist/index.cjs');
let vault: VaultSim;
let oidc: GithubOidc;
let kube: KubeApiSim;
const dir = mkdtempSync(path.join(tmpdir(), 'kubeconfig-action-'));

beforeAll(async () => {
  [vault, oidc, kube] = await Promise.all([
    startVaultSim(),
    startGithubOidc({ repository: 'octo-org/apps' }),
    startKubeApi({ name: 'k8s-obs', port: 0, readyDelayMs: 0 }),
  ]);
  vault.writePolicy(
    'kubeconfig-read',
    'path "kv/data/cluster-secret-store/secrets/KUBECONFIG" {\n  capabilities = ["read"]\n}\n',
  );
  vault.configureJwt({
    boundIssuer: oidc.issuer,
    jwksUrl: oidc.jwksUrl,
    roles: {
      ci: {
        user_claim: 'sub',
        bound_audiences: ['vault'],
        bound_claims: { repository: 'octo-org/*' },
        bound_claims_type: 'glob',
        token_policies: ['kubeconfig-read'],
      },
      other: {
        user_claim: 'sub',
        bound_audiences: ['vault'],
        bound_claims: { repository: 'someone-else/*' },
        bound_claims_type: 'glob',
        token_policies: ['kubeconfig-read'],
      },
    },
  });
  const entry = (name: string) =>
    normaliseK3sKubeconfig(kube.kubeconfig(), { name, address: '127.0.0.1', source: name });
  await publishKubeconfig({
    vault: new VaultClient({ addr: vault.addr, token: vault.rootToken }),
    location: { mount: 'kv', path: 'cluster-secret-store/secrets/KUBECONFIG', key: 'KUBECONFIG' },
    entries: [entry('k8s-obs'), entry('k8s-prod')],
    log: memoryLogger(),
  });
});
afterAll(async () => {
  await Promise.all([vault.stop(), oidc.stop(), kube.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

function runnerEnv(
  name: string,
  inputs: Record<string, string>,
): NodeJS.ProcessEnv & { GITHUB_ENV: string; GITHUB_OUTPUT: string; RUNNER_TEMP: string } {
  const d = mkdtempSync(path.join(dir, `${name}-`));
  const files = {
    GITHUB_ENV: path.join(d, 'env'),
    GITHUB_OUTPUT: path.join(d, 'output'),
    RUNNER_TEMP: path.join(d, 'temp'),
  };
  writeFileSync(files.GITHUB_ENV, '');
  writeFileSync(files.GITHUB_OUTPUT, '');
  const env: NodeJS.ProcessEnv = {
    ...baseEnv(),
    ...files,
    GITHUB_WORKSPACE: d,
    ACTIONS_ID_TOKEN_REQUEST_URL: oidc.requestUrl,
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: oidc.requestToken,
  };
  for (const [k, v] of Object.entries(inputs)) env[`INPUT_${k.toUpperCase()}`] = v;
  return env as ReturnType<typeof runnerEnv>;
}

it('logs in with GitHub OIDC, writes only the asked context to a 0600 file and exports KUBECONFIG', async () => {
  const env = runnerEnv('ok', {
    context: 'k8s-obs',
    'vault-addr': vault.addr,
    'vault-role': 'ci',
    'vault-audience': 'vault',
  });
  const r = await run(process.execPath, [bundle], env);
  expect(r.stdout).not.toContain('::error');
  expect(r.code).toBe(0);
  expect(oidc.issued.at(-1)).toEqual({ audience: 'vault' });
  const out = readFileSync(env.GITHUB_OUTPUT, 'utf8');
  const file = /kubeconfig-path<<(\S+)\n(.*)\n\1/.exec(out)?.[2];
  expect(file && file.startsWith(env.RUNNER_TEMP)).toBe(true);
  expect(readFileSync(env.GITHUB_ENV, 'utf8')).toMatch(
    new RegExp(`KUBECONFIG<<(\\S+)\\n${file}\\n\\1`),
  );
  expect(out).toMatch(/contexts<<(\S+)\nk8s-obs\n\1/);
  expect(statSync(file!).mode & 0o777).toBe(0o600);
  const doc = parse(readFileSync(file!, 'utf8')) as {
    contexts: Array<{ name: string }>;
    users: Array<{ user: Record<string, string> }>;
    'current-context': string;
  };
  expect(doc.contexts.map((c) => c.name)).toEqual(['k8s-obs']);
  expect(doc['current-context']).toBe('k8s-obs');
  const key = doc.users[0].user['client-key-data'];
  // Masked before anything could print it; the raw value never reaches the log.
  expect(r.stdout).toContain(`::add-mask::${key}`);
  expect(r.stdout.replace(`::add-mask::${key}`, '')).not.toContain(key);
});

it("fails in one sentence with Vault's reason when the role does not bind this repository, writing nothing", async () => {
  const env = runnerEnv('denied', {
    context: 'k8s-obs',
    'vault-addr': vault.addr,
    'vault-role': 'other',
    'vault-audience': 'vault',
  });
  const r = await run(process.execPath, [bundle], env);
  expect(r.code).toBe(1);
  expect(r.stdout).toContain(
    `::error::Vault refused the GitHub OIDC login to role 'other' on auth/jwt: error validating claims: claim "repository" does not match any associated bound claim values.`,
  );
  expect(readFileSync(env.GITHUB_ENV, 'utf8')).toBe('');
  expect(existsSync(env.RUNNER_TEMP) ? readdirSync(env.RUNNER_TEMP) : []).toEqual([]);
});

it('fails naming the context when it is not stored', async () => {
  const token = vault.createToken(['kubeconfig-read']);
  const env = runnerEnv('missing', {
    context: 'k8s-nope',
    'vault-addr': vault.addr,
    'vault-token': token,
  });
  const r = await run(process.execPath, [bundle], env);
  expect(r.code).toBe(1);
  expect(r.stdout).toContain(
    "::error::There is no context 'k8s-nope' in Vault kv/cluster-secret-store/secrets/KUBECONFIG (key KUBECONFIG)",
  );
  expect(r.stdout).toContain(`::add-mask::${token}`);
  expect(r.stdout.replace(`::add-mask::${token}`, '')).not.toContain(token);
});
