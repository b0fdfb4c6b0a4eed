import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigurationError } from '../actions/lib/errors.js';
import { VaultClient } from '../actions/lib/kubeconfig/vault-client.js';
import {
  startGithubOidc,
  startVaultSim,
  type GithubOidc,
  type VaultSim,
} from '../sim/vault/index.js';
import { baseEnv, run } from './kube-helpers.js';

// `pve-gitops vault setup` on an empty Vault, then the logins the workflows make. The JWT
// checks are vault-plugin-auth-jwt's (bound_audiences, bound_claims; see
// developer.hashicorp.com/vault/docs/auth/jwt and GitHub's "Configuring OpenID Connect in
// HashiCorp Vault": the default audience is https://github.com/<owner>).
const CLI = path.resolve('actions/cli/dist/index.cjs');
const LOCATION = { mount: 'kv', path: 'cluster-secret-store/secrets/KUBECONFIG' };
let vault: VaultSim;
let oidc: GithubOidc;
let repo: string;

beforeAll(async () => {
  vault = await startVaultSim();
  oidc = await startGithubOidc({ repository: 'acme/homelab' });
  repo = mkdtempSync(path.join(tmpdir(), 'pve-gitops-vault-setup-'));
  mkdirSync(path.join(repo, 'vms'));
  // An empty Vault: the dev-mode kv/ mount removed, no auth method, no policy.
  const root = new VaultClient({ addr: vault.addr, token: vault.rootToken });
  await root.request('DELETE', 'sys/mounts/kv');
});
afterAll(async () => {
  await vault.stop();
  await oidc.stop();
  rmSync(repo, { recursive: true, force: true });
});

const setup = (...extra: string[]) =>
  run(
    process.execPath,
    [
      CLI,
      'vault',
      'setup',
      '--repo',
      repo,
      '--repository',
      'acme/homelab',
      '--reader',
      'acme/apps',
      '--jwks-url',
      oidc.jwksUrl,
      ...extra,
    ],
    {
      ...baseEnv(),
      VAULT_ADDR: vault.addr,
      VAULT_TOKEN: vault.rootToken,
      PVE_GITOPS_SIMULATOR: 'true',
    },
  );

/** A GitHub OIDC token for a job of `repository` at `ref`, asking for `aud`. */
function idToken(repository: string, aud: string, ref = 'refs/heads/main'): string {
  const now = Math.floor(Date.now() / 1000);
  return oidc.sign({
    iss: oidc.issuer,
    aud,
    sub: `repo:${repository}:ref:${ref}`,
    repository,
    repository_owner: repository.split('/')[0],
    ref,
    iat: now,
    nbf: now - 5,
    exp: now + 300,
  });
}

async function login(role: string, jwt: string): Promise<VaultClient> {
  const c = new VaultClient({ addr: vault.addr });
  await c.loginJwt(role, jwt);
  return c;
}

describe('pve-gitops vault setup', () => {
  it('sets up an empty Vault so the publisher writes and the readers read', async () => {
    const first = await setup();
    expect(first.stderr).not.toContain(vault.rootToken);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/^7 of 7 items created or updated\./);

    const publisher = await login(
      'pve-gitops-publish',
      idToken('acme/homelab', 'https://github.com/acme'),
    );
    expect(await publisher.writeKv2(LOCATION.mount, LOCATION.path, { KUBECONFIG: 'x' }, 0)).toBe(1);
    const reader = await login('pve-gitops-read', idToken('acme/apps', 'vault'));
    expect((await reader.readKv2(LOCATION.mount, LOCATION.path))?.data).toEqual({
      KUBECONFIG: 'x',
    });
    // The reader's policy is read only.
    await expect(
      reader.writeKv2(LOCATION.mount, LOCATION.path, { KUBECONFIG: 'y' }, 1),
    ).rejects.toThrow(ConfigurationError);
  });

  it('binds the roles to the named repositories, ref and audiences exactly', async () => {
    const refused = [
      ['pve-gitops-read', idToken('acme/other', 'vault')],
      ['pve-gitops-read', idToken('acme/apps', 'https://github.com/acme')],
      [
        'pve-gitops-publish',
        idToken('acme/homelab', 'https://github.com/acme', 'refs/pull/7/merge'),
      ],
      ['pve-gitops-publish', idToken('acme/apps', 'https://github.com/acme')],
    ] as const;
    for (const [role, jwt] of refused)
      await expect(login(role, jwt), `${role} ${jwt.slice(0, 8)}`).rejects.toThrow(
        /Vault refused the GitHub OIDC login/,
      );
  });

  it('changes nothing on a second run', async () => {
    const writes = () => (vault.requests.POST ?? 0) + (vault.requests.PUT ?? 0);
    const before = writes();
    const again = await setup();
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/^Vault was already set up; nothing changed\./);
    expect(writes()).toBe(before);
  });

  it('reads back as hvac sees it', async () => {
    const py = String.raw`
import hvac, os
c = hvac.Client(url=os.environ['VAULT_ADDR'], token=os.environ['VAULT_TOKEN'])
m = c.sys.list_mounted_secrets_engines()['data']['kv/']
assert m['type'] == 'kv' and m['options']['version'] == '2', m
assert c.sys.list_auth_methods()['data']['jwt/']['type'] == 'jwt'
p = c.sys.read_policy('pve-gitops-kubeconfig-read')['data']['rules']
assert 'path "kv/data/cluster-secret-store/secrets/KUBECONFIG"' in p and '["read"]' in p, p
r = c.auth.jwt.read_role('pve-gitops-publish')['data']
assert r['bound_claims'] == {'repository': 'acme/homelab', 'ref': 'refs/heads/main'}, r
assert r['bound_audiences'] == ['https://github.com/acme'], r
print('ok')
`;
    const r = await run('/usr/bin/python3', ['-c', py], {
      ...baseEnv(),
      VAULT_ADDR: vault.addr,
      VAULT_TOKEN: vault.rootToken,
    });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('ok');
  });

  it('--print shows the vault commands without connecting', async () => {
    const r = await run(
      process.execPath,
      [CLI, 'vault', 'setup', '--print', '--repo', repo, '--repository', 'acme/homelab'],
      { ...baseEnv(), VAULT_ADDR: 'http://127.0.0.1:1' },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("vault secrets enable -path='kv' -version=2 kv");
    expect(r.stdout).toContain(
      "vault write auth/jwt/config oidc_discovery_url='https://token.actions.githubusercontent.com'",
    );
    // bound_claims is a map: the role goes in as JSON on stdin, which `vault write` accepts.
    expect(r.stdout).toContain("vault write auth/jwt/role/pve-gitops-publish - <<'EOF'");
    expect(r.stdout).toContain('"repository": "acme/homelab"');
  });

  it('refuses a KV v1 engine at the mount instead of replacing it', async () => {
    const root = new VaultClient({ addr: vault.addr, token: vault.rootToken });
    await root.request('POST', 'sys/mounts/kv1', { type: 'kv', options: { version: '1' } });
    const other = mkdtempSync(path.join(tmpdir(), 'pve-gitops-vault-setup-v1-'));
    mkdirSync(path.join(other, 'vms'));
    writeFileSync(path.join(other, 'pve-gitops.yaml'), 'vault:\n  mount: kv1\n');
    const r = await run(
      process.execPath,
      [CLI, 'vault', 'setup', '--repo', other, '--repository', 'acme/homelab'],
      { ...baseEnv(), VAULT_ADDR: vault.addr, VAULT_TOKEN: vault.rootToken },
    );
    rmSync(other, { recursive: true, force: true });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Vault already has a KV v1 engine at kv1/');
  });
});
