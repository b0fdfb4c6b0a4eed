/** An HTTP error as PVE answers it: status, message (status-line reason) and per-param errors. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errors?: Record<string, string>,
  ) {
    super(message);
  }
}

/** A plain failure: HTTP 500 with the message as the reason phrase. */
export function fail(message: string): never {
  throw new ApiError(500, message);
}

/** 400 `Parameter verification failed.` with one message per parameter. */
export function paramError(errors: Record<string, string>): never {
  throw new ApiError(400, 'Parameter verification failed.', errors);
}

/** Sleeps for `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, Math.max(0, ms)));
}
