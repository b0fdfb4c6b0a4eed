import NodeVault from 'node-vault';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startGithubOidc,
  startVaultSim,
  type GithubOidc,
  type VaultSim,
} from '../sim/vault/index.js';
import { baseEnv, run } from './kube-helpers.js';

let vault: VaultSim;
let oidc: GithubOidc;
const state = mkdtempSync(path.join(tmpdir(), 'vault-sim-'));

beforeAll(async () => {
  vault = await startVaultSim({ stateDir: state });
  oidc = await startGithubOidc({ repository: 'octo-org/infra' });
});
afterAll(async () => {
  await vault.stop();
  await oidc.stop();
  rmSync(state, { recursive: true, force: true });
});

const v1 = (p: string, init: RequestInit & { token?: string } = {}) =>
  fetch(`${vault.addr}/v1/${p}`, {
    ...init,
    headers: { 'X-Vault-Token': init.token ?? vault.rootToken, 'Content-Type': 'application/json' },
  });

const HVAC = String.raw`
import hvac, os, sys
url, root = os.environ['VAULT_ADDR'], os.environ['VAULT_TOKEN']
c = hvac.Client(url=url, token=root)
assert c.is_authenticated()
kv = c.secrets.kv.v2
w = kv.create_or_update_secret(path='apps/demo', secret={'k': 'one'}, cas=0, mount_point='kv')
assert w['data']['version'] == 1, w
kv.create_or_update_secret(path='apps/demo', secret={'k': 'two'}, cas=1, mount_point='kv')
try:
    kv.create_or_update_secret(path='apps/demo', secret={'k': 'three'}, cas=1, mount_point='kv')
    sys.exit('cas mismatch was accepted')
except hvac.exceptions.InvalidRequest as e:
    assert 'check-and-set parameter did not match the current version' in str(e), str(e)
r = kv.read_secret_version(path='apps/demo', mount_point='kv')
assert r['data']['data'] == {'k': 'two'} and r['data']['metadata']['version'] == 2, r
old = kv.read_secret_version(path='apps/demo', version=1, mount_point='kv')
assert old['data']['data'] == {'k': 'one'}, old
m = kv.read_secret_metadata(path='apps/demo', mount_point='kv')
assert m['data']['current_version'] == 2 and sorted(m['data']['versions']) == ['1', '2'], m
assert kv.list_secrets(path='apps', mount_point='kv')['data']['keys'] == ['demo']
try:
    kv.read_secret_version(path='apps/missing', mount_point='kv')
    sys.exit('missing secret was found')
except hvac.exceptions.InvalidPath:
    pass
c.sys.enable_secrets_engine('kv', path='legacy', options={'version': '1'})
c.secrets.kv.v1.create_or_update_secret(path='x', secret={'a': 'b'}, mount_point='legacy')
assert c.secrets.kv.v1.read_secret(path='x', mount_point='legacy')['data'] == {'a': 'b'}
assert c.sys.list_mounted_secrets_engines()['data']['legacy/']['options']['version'] == '1'
c.sys.create_or_update_policy(name='reader', policy='path "kv/data/apps/*" {\n  capabilities = ["read"]\n}\n')
t = c.auth.token.create(policies=['reader'])['auth']['client_token']
ro = hvac.Client(url=url, token=t)
assert ro.lookup_token()['data']['policies'] == ['default', 'reader'] if hasattr(ro, 'lookup_token') else True
assert ro.auth.token.lookup_self()['data']['policies'] == ['default', 'reader']
assert ro.secrets.kv.v2.read_secret_version(path='apps/demo', mount_point='kv')['data']['data'] == {'k': 'two'}
try:
    ro.secrets.kv.v2.create_or_update_secret(path='apps/demo', secret={'k': 'x'}, mount_point='kv')
    sys.exit('write with a read-only policy was accepted')
except hvac.exceptions.Forbidden as e:
    assert 'permission denied' in str(e)
c.sys.enable_auth_method('jwt')
c.auth.jwt.configure(jwks_url=os.environ['JWKS_URL'], bound_issuer='https://token.actions.githubusercontent.com')
c.auth.jwt.create_role(name='ci', user_claim='sub', allowed_redirect_uris=[], role_type='jwt', bound_audiences=['vault'], bound_claims={'repository': 'octo-org/*', 'ref': 'refs/heads/main'}, bound_claims_type='glob', token_policies=['reader'])
j = hvac.Client(url=url)
r = j.auth.jwt.jwt_login(role='ci', jwt=os.environ['JWT_GOOD'])
assert r['auth']['policies'] == ['default', 'reader'], r
assert j.secrets.kv.v2.read_secret_version(path='apps/demo', mount_point='kv')['data']['data'] == {'k': 'two'}
try:
    hvac.Client(url=url).auth.jwt.jwt_login(role='ci', jwt=os.environ['JWT_OTHER_REPO'])
    sys.exit('a token from another repository was accepted')
except hvac.exceptions.InvalidRequest as e:
    assert 'claim "repository" does not match any associated bound claim values' in str(e), str(e)
print('hvac ok')
`;

describe('Vault simulator', () => {
  it('serves python3-hvac: KV v2 with cas, v1, policies, token and JWT auth', async () => {
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      iss: oidc.issuer,
      aud: 'vault',
      sub: 'repo:octo-org/infra:ref:refs/heads/main',
      ref: 'refs/heads/main',
      iat: now,
      exp: now + 300,
    };
    const r = await run('/usr/bin/python3', ['-c', HVAC], {
      ...baseEnv(),
      VAULT_ADDR: vault.addr,
      VAULT_TOKEN: vault.rootToken,
      JWKS_URL: oidc.jwksUrl,
      JWT_GOOD: oidc.sign({ ...claims, repository: 'octo-org/infra' }),
      JWT_OTHER_REPO: oidc.sign({ ...claims, repository: 'evil-org/infra' }),
    });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('hvac ok');
  });

  it('serves node-vault: KV v2 write with cas, read, conflict error, jwtLogin', async () => {
    const nv = NodeVault({ endpoint: vault.addr, token: vault.rootToken });
    await nv.write('kv/data/node/one', { data: { a: '1' }, options: { cas: 0 } });
    const got = (await nv.read('kv/data/node/one')) as {
      data: { data: unknown; metadata: { version: number } };
    };
    expect(got.data).toMatchObject({ data: { a: '1' }, metadata: { version: 1 } });
    await expect(
      nv.write('kv/data/node/one', { data: { a: '2' }, options: { cas: 0 } }),
    ).rejects.toThrow('check-and-set parameter did not match the current version');
    vault.configureJwt({
      path: 'gh',
      boundIssuer: oidc.issuer,
      pubkeys: [oidc.publicKeyPem],
      roles: {
        deploy: {
          user_claim: 'sub',
          token_policies: ['reader'],
          bound_audiences: ['https://github.com/octo-org'],
        },
      },
    });
    const jwt = oidc.sign({
      iss: oidc.issuer,
      aud: 'https://github.com/octo-org',
      sub: 'repo:octo-org/infra:ref:refs/heads/main',
      exp: Math.floor(Date.now() / 1000) + 60,
    });
    const anon = NodeVault({ endpoint: vault.addr });
    const login = (await anon.jwtLogin({ role: 'deploy', jwt, mount_point: 'gh' })) as {
      auth: { client_token: string; policies: string[] };
    };
    expect(login.auth.policies).toEqual(['default', 'reader']);
    expect(login.auth.client_token).toMatch(/^hvs\./);
  });

  it('answers errors in Vault form: permission denied, unknown role', async () => {
    vault.configureJwt({ path: 'gh', pubkeys: [oidc.publicKeyPem], roles: {} });
    const none = await v1('kv/data/apps/demo', { token: 'hvs.nope' });
    expect(none.status).toBe(403);
    // An unknown token: Vault's multierror of 'permission denied' and 'invalid token'.
    expect(await none.json()).toEqual({
      errors: ['2 errors occurred:\n\t* permission denied\n\t* invalid token\n\n'],
    });
    const ui = await v1('sys/internal/ui/mounts/kv/cluster-secret-store/secrets/KUBECONFIG');
    expect(((await ui.json()) as { data: unknown }).data).toMatchObject({
      path: 'kv/',
      type: 'kv',
      options: { version: '2' },
    });
    const login = await fetch(`${vault.addr}/v1/auth/gh/login`, {
      method: 'POST',
      body: JSON.stringify({ role: 'nope', jwt: 'a.b.c' }),
    });
    expect(login.status).toBe(400);
    expect(await login.json()).toEqual({ errors: ['role "nope" could not be found'] });
  });

  it('checks JWT roles as recent Vault: aud without bound_audiences, issuer, signature, glob claims', async () => {
    const other = await startGithubOidc();
    try {
      vault.configureJwt({
        path: 'jwt2',
        boundIssuer: oidc.issuer,
        jwksUrl: oidc.jwksUrl,
        roles: {
          open: { user_claim: 'sub', token_policies: ['reader'] },
          main: {
            user_claim: 'sub',
            token_policies: ['reader'],
            bound_audiences: ['vault'],
            bound_claims: { ref: 'refs/heads/main', repository: 'octo-org/*' },
            bound_claims_type: 'glob',
          },
        },
      });
      const now = Math.floor(Date.now() / 1000);
      const base = {
        iss: oidc.issuer,
        sub: 's',
        repository: 'octo-org/infra',
        ref: 'refs/heads/main',
        exp: now + 60,
      };
      const login = async (role: string, jwt: string) => {
        const r = await fetch(`${vault.addr}/v1/auth/jwt2/login`, {
          method: 'POST',
          body: JSON.stringify({ role, jwt }),
        });
        return {
          status: r.status,
          body: (await r.json()) as { errors?: string[]; auth?: { client_token: string } },
        };
      };
      expect((await login('open', oidc.sign({ ...base, aud: 'vault' }))).body.errors).toEqual([
        'audience claim found in JWT but no audiences bound to the role',
      ]);
      expect((await login('open', oidc.sign(base))).status).toBe(200);
      expect(
        (await login('main', oidc.sign({ ...base, aud: 'other' }))).body.errors?.[0],
      ).toContain('invalid audience');
      expect(
        (await login('main', oidc.sign({ ...base, aud: 'vault', iss: 'https://evil' }))).body
          .errors?.[0],
      ).toContain('invalid issuer');
      expect(
        (await login('main', other.sign({ ...base, aud: 'vault' }))).body.errors?.[0],
      ).toContain('no known key');
      expect(
        (await login('main', oidc.sign({ ...base, aud: 'vault', ref: 'refs/heads/dev' }))).body
          .errors?.[0],
      ).toBe(
        'error validating claims: claim "ref" does not match any associated bound claim values',
      );
      expect(
        (await login('main', oidc.sign({ ...base, aud: 'vault', exp: now - 600 }))).body
          .errors?.[0],
      ).toContain('expired');
      const ok = await login('main', oidc.sign({ ...base, aud: ['x', 'vault'] }));
      expect(ok.status).toBe(200);
      const self = await v1('auth/token/lookup-self', { token: ok.body.auth!.client_token });
      expect(
        ((await self.json()) as { data: { policies: string[]; meta: unknown } }).data,
      ).toMatchObject({ policies: ['default', 'reader'], meta: { role: 'main' } });
    } finally {
      await other.stop();
    }
  });

  it('keeps its state across restarts in the state dir', async () => {
    await v1('kv/data/persist/me', {
      method: 'POST',
      body: JSON.stringify({ data: { v: 'kept' } }),
    });
    const again = await startVaultSim({ stateDir: state });
    try {
      expect(again.rootToken).toBe(vault.rootToken);
      const r = await fetch(`${again.addr}/v1/kv/data/persist/me`, {
        headers: { 'X-Vault-Token': again.rootToken },
      });
      expect(((await r.json()) as { data: { data: unknown } }).data.data).toEqual({ v: 'kept' });
    } finally {
      await again.stop();
    }
  });

  it('refuses to listen off loopback', async () => {
    await expect(startVaultSim({ host: '0.0.0.0' })).rejects.toThrow(/loopback only/);
  });
});
