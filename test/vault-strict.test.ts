// Vault answers as real Vault does, through python3-hvac and node-vault. Sources, checked with
// the search tool: hashicorp/cap jwt/jwt.go (Validate: order, wording, DefaultLeeway 60 s for
// exp/nbf/iat), vault-plugin-auth-jwt path_login.go (`error validating token: …`),
// vault-plugin-secrets-kv path_data.go / path_metadata.go / path_subkeys.go (PATCH, subkeys),
// Vault's http/logical.go (PATCH wants application/merge-patch+json) and go-multierror's text
// for 403 bodies (vault issue #17246, node-vault issue #166: `1 error occurred:\n\t* permission denied`;
// an unknown token adds `invalid token`, as Vault's UI tests stub it).
import NodeVault from 'node-vault';
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
let other: GithubOidc;

beforeAll(async () => {
  vault = await startVaultSim({});
  oidc = await startGithubOidc({ repository: 'octo-org/infra' });
  other = await startGithubOidc({ repository: 'octo-org/infra' });
  vault.configureJwt({
    path: 'jwt',
    boundIssuer: oidc.issuer,
    pubkeys: [oidc.publicKeyPem],
    roles: { ci: { user_claim: 'sub', token_policies: ['reader'], bound_audiences: ['vault'] } },
  });
});
afterAll(async () => {
  await vault.stop();
  await oidc.stop();
  await other.stop();
});

const HVAC_JWT = String.raw`
import hvac, json, os
url = os.environ['VAULT_ADDR']
out = {}
for name in ['EXPIRED_100', 'EXPIRED_30', 'NOT_YET', 'WRONG_ISS', 'WRONG_KEY']:
    try:
        hvac.Client(url=url).auth.jwt.jwt_login(role='ci', jwt=os.environ[name])
        out[name] = 'ok'
    except hvac.exceptions.InvalidRequest as e:
        out[name] = str(e).split(', on post')[0]
print(json.dumps(out))
`;

describe('JWT login', () => {
  it('allows 60 s of clock skew, not 150, and words refusals as vault-plugin-auth-jwt does', async () => {
    const now = Math.floor(Date.now() / 1000);
    const base = { iss: oidc.issuer, aud: 'vault', sub: 'repo:octo-org/infra', iat: now - 400 };
    const r = await run('/usr/bin/python3', ['-c', HVAC_JWT], {
      ...baseEnv(),
      VAULT_ADDR: vault.addr,
      EXPIRED_100: oidc.sign({ ...base, exp: now - 100 }),
      EXPIRED_30: oidc.sign({ ...base, exp: now - 30 }),
      NOT_YET: oidc.sign({ ...base, nbf: now + 100, exp: now + 400 }),
      WRONG_ISS: oidc.sign({ ...base, iss: 'https://evil.example', exp: now + 300 }),
      WRONG_KEY: other.sign({ ...base, exp: now + 300 }),
    });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({
      EXPIRED_100: 'error validating token: invalid expiration time (exp) claim: token is expired',
      EXPIRED_30: 'ok',
      NOT_YET: 'error validating token: invalid not before (nbf) claim: token not yet valid',
      WRONG_ISS: 'error validating token: invalid issuer (iss) claim',
      WRONG_KEY:
        'error validating token: error verifying token signature: no known key successfully validated the token signature',
    });
  });
});

describe('403 bodies', () => {
  it('sends the multierror text for a policy denial and for an unknown token', async () => {
    const root = NodeVault({ endpoint: vault.addr, token: vault.rootToken });
    await root.write('sys/policies/acl/reader', {
      policy: 'path "kv/data/apps/*" {\n  capabilities = ["read"]\n}\n',
    });
    const t = (await root.write('auth/token/create', { policies: ['reader'] })) as {
      auth: { client_token: string };
    };
    const ro = await fetch(`${vault.addr}/v1/kv/data/other`, {
      headers: { 'X-Vault-Token': t.auth.client_token },
    });
    expect([ro.status, await ro.json()]).toEqual([
      403,
      { errors: ['1 error occurred:\n\t* permission denied\n\n'] },
    ]);
    const nv = NodeVault({ endpoint: vault.addr, token: t.auth.client_token });
    await expect(nv.read('kv/data/other')).rejects.toThrow(
      '1 error occurred:\n\t* permission denied\n\n',
    );
  });
});

describe('KV v2 PATCH and subkeys', () => {
  it('merges data and metadata through node-vault PATCH and serves subkeys', async () => {
    const nv = NodeVault({ endpoint: vault.addr, token: vault.rootToken });
    await nv.write('kv/data/apps/p', { data: { a: '1', nested: { x: '1', y: '2' } } });
    const patched = (await nv.update('kv/data/apps/p', {
      data: { b: '2', nested: { y: null } },
    })) as { data: { version: number } };
    expect(patched.data.version).toBe(2);
    const read = (await nv.read('kv/data/apps/p')) as { data: { data: unknown } };
    expect(read.data.data).toEqual({ a: '1', nested: { x: '1' }, b: '2' });
    await nv.update('kv/metadata/apps/p', { max_versions: 3, custom_metadata: { team: 'ops' } });
    const meta = (await nv.read('kv/metadata/apps/p')) as {
      data: { max_versions: number; custom_metadata: unknown };
    };
    expect([meta.data.max_versions, meta.data.custom_metadata]).toEqual([3, { team: 'ops' }]);
    const sub = (await nv.read('kv/subkeys/apps/p')) as { data: { subkeys: unknown } };
    expect(sub.data.subkeys).toEqual({ a: null, b: null, nested: { x: null } });
    const shallow = (await nv.read('kv/subkeys/apps/p?depth=1')) as { data: { subkeys: unknown } };
    expect(shallow.data.subkeys).toEqual({ a: null, b: null, nested: null });
    await expect(nv.update('kv/data/apps/none', { data: { a: '1' } })).rejects.toMatchObject({
      response: { statusCode: 404 },
    });
    const plain = await fetch(`${vault.addr}/v1/kv/data/apps/p`, {
      method: 'PATCH',
      headers: { 'X-Vault-Token': vault.rootToken, 'Content-Type': 'application/json' },
      body: JSON.stringify({ data: { c: '3' } }),
    });
    expect(plain.status).toBe(415);
  });

  it('serves hvac 0.11’s patch (read, then write with cas) and its subkeys read', async () => {
    const script = String.raw`
import hvac, os
c = hvac.Client(url=os.environ['VAULT_ADDR'], token=os.environ['VAULT_TOKEN'])
kv = c.secrets.kv.v2
kv.create_or_update_secret(path='apps/h', secret={'a': '1'}, mount_point='kv')
kv.patch(path='apps/h', secret={'b': '2'}, mount_point='kv')
print(sorted(kv.read_secret_version(path='apps/h', mount_point='kv')['data']['data'].items()))
print(c.adapter.get('/v1/kv/subkeys/apps/h')['data']['subkeys'])
`;
    const r = await run('/usr/bin/python3', ['-c', script], {
      ...baseEnv(),
      VAULT_ADDR: vault.addr,
      VAULT_TOKEN: vault.rootToken,
    });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim().split('\n')).toEqual([
      "[('a', '1'), ('b', '2')]",
      "{'a': None, 'b': None}",
    ]);
  });
});
