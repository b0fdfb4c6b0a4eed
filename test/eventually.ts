/**
 * The one way tests wait for a condition: polls `probe` until `done` accepts its value, then
 * returns that value; after `timeoutMs` it throws naming `what` and the last value seen.
 * A probe that throws counts as not done yet (the last error is in the message).
 */
export async function eventually<T>(
  probe: () => T | Promise<T>,
  done: (value: T) => boolean,
  o: { what: string; timeoutMs?: number; intervalMs?: number },
): Promise<T> {
  const deadline = Date.now() + (o.timeoutMs ?? 15_000);
  let last: string;
  for (;;) {
    try {
      const v = await probe();
      if (done(v)) return v;
      last = JSON.stringify(v) ?? String(v);
    } catch (err) {
      last = `error: ${(err as Error).message}`;
    }
    if (Date.now() >= deadline)
      throw new Error(
        `${o.what} did not happen within ${(o.timeoutMs ?? 15_000) / 1000} s (last: ${last.slice(0, 200)}).`,
      );
    await new Promise((r) => setTimeout(r, o.intervalMs ?? 100));
  }
}
