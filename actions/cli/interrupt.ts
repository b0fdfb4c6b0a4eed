import type { Logger } from '../lib/log.js';

/** Exit codes a shell gives a process ended by these signals (128 + number). */
const EXIT_CODE: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };

export interface Interrupt {
  /** Aborted at the first SIGINT or SIGTERM. */
  signal: AbortSignal;
  /** The signal received, once one was. */
  received(): NodeJS.Signals | undefined;
  /** The exit code for the signal received (130 SIGINT, 143 SIGTERM), else undefined. */
  exitCode(): number | undefined;
  /** Removes the handlers (and the grace timer). */
  dispose(): void;
}

/**
 * Makes SIGINT and SIGTERM (Ctrl-C, a cancelled CI job) stop a command cleanly: the first one
 * aborts `signal`, so no new work starts while running Proxmox tasks finish; if they have not
 * within `graceMs`, or at a second signal, the process exits at once with 128 + the signal's
 * number. Whatever is left half-made then is completed by the next apply.
 */
export function onInterrupt(log: Logger, graceMs: number): Interrupt {
  const controller = new AbortController();
  let first: NodeJS.Signals | undefined;
  let timer: NodeJS.Timeout | undefined;
  const handler = (sig: NodeJS.Signals) => {
    if (first) {
      log.error(`${sig} again: exiting now; the next apply completes what was under way.`);
      process.exit(EXIT_CODE[sig] ?? 1);
    }
    first = sig;
    log.warn(
      `${sig} received: starting no new work and letting running tasks finish (at most ` +
        `${Math.round(graceMs / 1000)} s; send it again to exit at once).`,
    );
    controller.abort(new Error(`interrupted by ${sig}`));
    timer = setTimeout(() => {
      log.error(
        `Running tasks did not finish within ${Math.round(graceMs / 1000)} s of ${sig}; ` +
          `exiting. The next apply completes what was under way.`,
      );
      process.exit(EXIT_CODE[sig] ?? 1);
    }, graceMs);
    timer.unref();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal: controller.signal,
    received: () => first,
    exitCode: () => (first ? EXIT_CODE[first] : undefined),
    dispose() {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
      clearTimeout(timer);
    },
  };
}
