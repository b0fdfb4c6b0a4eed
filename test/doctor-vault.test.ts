// doctor's Vault half: it logs in as kubeconfig publishing does (VAULT_TOKEN), asks
// sys/capabilities-self what the token may do on the kubeconfig's KV v2 data path and checks
// that the mount is KV v2. The simulator's sys/capabilities-self is checked with python3-hvac
// (`sys.get_capabilities`, which POSTs {"paths": [...]} to /v1/sys/capabilities-self, as the
// Vault API docs describe it: a key per path, plus `capabilities` for a single path).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mergeConfig } from '../actions/lib/config/load.js';
import { memoryLogger } from '../actions/lib/log.js';
import type { DoctorReport } from '../actions/lib/reconcile/doctor.js';
import { vaultDoctor } from '../actions/lib/reconcile/doctor-vault.js';
import { startVaultSim, type VaultSim } from '../sim/vault/index.js';

let vault: VaultSim;
beforeAll(async () => {
  vault = await startVaultSim();
  vault.mount('kv', 2);
  vault.mount('legacy', 1);
  vault.writePolicy(
    'publisher',
    'path "kv/data/cluster-secret-store/secrets/KUBECONFIG" {\n  capabilities = ["read", "create", "update"]\n}\n',
  );
  vault.writePolicy(
    'reader',
    'path "kv/data/cluster-secret-store/*" {\n  capabilities = ["read"]\n}\n',
  );
});
afterAll(() => vault.stop());

const DATA = 'kv/data/cluster-secret-store/secrets/KUBECONFIG';

function report(): DoctorReport {
  return {
    ok: true,
    token: 'gitops@pve!ci',
    pve: { version: '9.1.1', major: 9, nodes: [] },
    problems: [],
    warnings: [],
  };
}

async function check(token: string, mount = 'kv'): Promise<DoctorReport> {
  const r = report();
  const config = mergeConfig({ vault: { mount } });
  await vaultDoctor(
    r,
    config,
    { VAULT_ADDR: vault.addr, VAULT_TOKEN: token, HOME: '/nonexistent' },
    memoryLogger(),
  );
  return r;
}

describe('doctor and Vault', () => {
  it('answers sys/capabilities-self as Vault does, for hvac', async () => {
    const reader = vault.createToken(['reader']);
    const py = [
      'import hvac, json, os',
      "c = hvac.Client(url=os.environ['VAULT_ADDR'], token=os.environ['VAULT_TOKEN'])",
      `print(json.dumps(c.sys.get_capabilities(paths=['${DATA}', 'kv/data/other'])))`,
    ].join('\n');
    // Asynchronously: the simulator answers from this process.
    const r = await promisify(execFile)('/usr/bin/python3', ['-c', py], {
      env: { PATH: process.env.PATH, VAULT_ADDR: vault.addr, VAULT_TOKEN: reader },
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    const body = JSON.parse(r.stdout) as Record<string, unknown> & {
      data: Record<string, string[]>;
    };
    expect(body.data).toEqual({ [DATA]: ['read'], 'kv/data/other': ['deny'] });
    expect(body[DATA]).toEqual(['read']);
  });

  it('finds nothing wrong with a publishing policy on a KV v2 mount', async () => {
    const r = await check(vault.createToken(['publisher']));
    expect(r.problems).toEqual([]);
    expect(r.vault).toEqual({
      address: vault.addr,
      path: DATA,
      capabilities: ['create', 'read', 'update'],
      kvVersion: 2,
    });
  });

  it('names the missing capabilities and the policy line that grants them', async () => {
    const r = await check(vault.createToken(['reader']));
    expect(r.problems.map((p) => p.message)).toEqual([
      `The Vault token may not create, update ${DATA}; its policy needs \`path "${DATA}" { capabilities = ["read", "create", "update"] }\`.`,
    ]);
  });

  it('says when the mount is KV version 1, and when the token is refused', async () => {
    const v1 = await check(vault.rootToken, 'legacy');
    expect(v1.problems.map((p) => p.message)).toEqual([
      'The Vault mount legacy/ is not a KV version 2 engine (check-and-set needs it): `vault secrets enable -path=legacy kv-v2`.',
    ]);
    const bad = await check('hvs.not-a-token');
    expect(bad.problems).toHaveLength(1);
    expect(bad.problems[0].message).toMatch(/^Vault check failed: .*permission denied/i);
    expect(bad.problems[0].message).not.toContain('hvs.not-a-token');
  });
});
