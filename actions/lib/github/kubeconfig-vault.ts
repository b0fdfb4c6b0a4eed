import * as core from '@actions/core';
import { ConfigurationError } from '../errors.js';
import type { Logger } from '../log.js';
import { registerSecret } from '../secrets.js';
import { VaultClient } from '../kubeconfig/vault-client.js';

/** Vault inputs both kubeconfig actions share. */
export const VAULT_INPUTS = {
  addr: 'vault-addr',
  token: 'vault-token',
  role: 'vault-role',
  authPath: 'vault-auth-path',
  audience: 'vault-audience',
  caCert: 'vault-ca-cert',
  namespace: 'vault-namespace',
  mount: 'vault-mount',
  path: 'vault-path',
  key: 'vault-key',
} as const;

export interface VaultInputs {
  /** VAULT_ADDR (input, else the environment). */
  addr: string;
  /** A Vault token; wins over the OIDC role. */
  token: string;
  /** JWT auth role for GitHub OIDC (needs `permissions: id-token: write`). */
  role: string;
  /** JWT auth mount, default `jwt`. */
  authPath: string;
  /** Audience of the GitHub ID token; empty = GitHub's default (https://github.com/OWNER). */
  audience: string;
  /** PEM of the CA of Vault's certificate. */
  caPem?: string;
  namespace?: string;
  mount: string;
  path: string;
  key: string;
}

/** Reads the Vault inputs, masking the token at once. */
export function getVaultInputs(env: NodeJS.ProcessEnv = process.env): VaultInputs {
  const token = core.getInput(VAULT_INPUTS.token) || env.VAULT_TOKEN || '';
  registerSecret(token);
  return {
    addr: core.getInput(VAULT_INPUTS.addr) || env.VAULT_ADDR || '',
    token,
    role: core.getInput(VAULT_INPUTS.role),
    authPath: (core.getInput(VAULT_INPUTS.authPath) || 'jwt')
      .replace(/^\/+|\/+$/g, '')
      .replace(/^auth\//, ''),
    audience: core.getInput(VAULT_INPUTS.audience),
    caPem: core.getInput(VAULT_INPUTS.caCert) || undefined,
    namespace: core.getInput(VAULT_INPUTS.namespace) || env.VAULT_NAMESPACE || undefined,
    mount: core.getInput(VAULT_INPUTS.mount),
    path: core.getInput(VAULT_INPUTS.path),
    key: core.getInput(VAULT_INPUTS.key),
  };
}

/** A logged-in Vault client: the token input, else GitHub OIDC (`core.getIDToken`) and the JWT role. */
export async function connectVault(i: VaultInputs, log: Logger): Promise<VaultClient> {
  if (!i.addr)
    throw new ConfigurationError(
      `Set the ${VAULT_INPUTS.addr} input (or VAULT_ADDR) to the address of Vault.`,
    );
  const vault = new VaultClient({
    addr: i.addr,
    token: i.token || undefined,
    caPem: i.caPem,
    namespace: i.namespace,
  });
  if (i.token) {
    log.debug('Vault: using the token given');
    return vault;
  }
  if (!i.role)
    throw new ConfigurationError(
      `Set ${VAULT_INPUTS.role} (GitHub OIDC, with permissions id-token: write) or ${VAULT_INPUTS.token} to log in to Vault.`,
    );
  let jwt: string;
  try {
    jwt = await core.getIDToken(i.audience || undefined);
  } catch (err) {
    throw new ConfigurationError(
      `Cannot get a GitHub OIDC token for Vault role '${i.role}': give the job 'permissions: id-token: write' (${(err as Error).message.slice(0, 160)}).`,
    );
  }
  registerSecret(jwt);
  await log.group(`Log in to Vault (role ${i.role})`, () =>
    vault.loginJwt(i.role, jwt, i.authPath),
  );
  return vault;
}
