import { describe, expect, it } from 'vitest';
import { vaultFromEnv } from './vault-env.js';

describe('vaultFromEnv', () => {
  it('refuses a Vault off loopback in simulator mode, before anything connects', () => {
    const env = {
      VAULT_ADDR: 'https://192.168.1.5:8200',
      VAULT_TOKEN: 'hvs.x',
      PVE_GITOPS_SIMULATOR: 'true',
    };
    expect(() => vaultFromEnv(env)).toThrow(
      'VAULT_ADDR https://192.168.1.5:8200 is not on loopback, and PVE_GITOPS_SIMULATOR is set',
    );
  });

  it('takes a loopback Vault in simulator mode, and any Vault outside it', () => {
    const token = { VAULT_TOKEN: 'hvs.x' };
    expect(() =>
      vaultFromEnv({ ...token, VAULT_ADDR: 'http://127.0.0.1:8200', PVE_GITOPS_SIMULATOR: '1' }),
    ).not.toThrow();
    expect(() =>
      vaultFromEnv({ ...token, VAULT_ADDR: 'https://vault.example:8200' }),
    ).not.toThrow();
  });
});
