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

export const denied = () => new VaultError(403, ['permission denied']);
