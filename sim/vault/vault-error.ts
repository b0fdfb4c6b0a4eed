/** An error answered in Vault's form: `{"errors": [...]}` with an HTTP status. */
export class VaultError extends Error {
  constructor(
    readonly status: number,
    readonly errors: string[],
    /** Extra body fields (a deleted KV v2 version still shows its metadata). */
    readonly extra?: Record<string, unknown>,
  ) {
    super(errors[0] ?? `status ${status}`);
  }
}

/**
 * Vault's 403 for a request its policies do not allow: core's multierror, formatted as
 * hashicorp/go-multierror prints one error (vault/request_handling.go CheckToken).
 */
export const denied = () => new VaultError(403, ['1 error occurred:\n\t* permission denied\n\n']);

/**
 * Vault's 403 for a token it does not know or that expired: `permission denied` and `invalid
 * token` (as hashicorp/vault's own UI tests stub it, ui/tests/…/oidc-provider-test.js).
 */
export const invalidToken = () =>
  new VaultError(403, ['2 errors occurred:\n\t* permission denied\n\t* invalid token\n\n']);
