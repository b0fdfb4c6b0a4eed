import * as core from '@actions/core';
import { describeError } from '../errors.js';
import { onSecret } from '../secrets.js';
import type { Logger } from '../log.js';

/** The Actions logger: groups, annotations-free warnings, secrets masked by the runner. */
export function actionsLogger(): Logger {
  onSecret((s) => core.setSecret(s));
  return {
    debug: (m) => core.debug(m),
    info: (m) => core.info(m),
    warn: (m) => core.warning(m),
    error: (m) => core.error(m),
    group: (name, fn) => core.group(name, fn),
  };
}

/**
 * Runs an action body. Any thrown value, Error or not, fails the step with one sentence;
 * the stack goes to the debug log only. Never ends green after a failure.
 */
export async function run(body: (log: Logger) => Promise<void>): Promise<void> {
  const log = actionsLogger();
  try {
    await body(log);
  } catch (err) {
    if (err instanceof Error && err.stack) core.debug(err.stack);
    core.setFailed(describeError(err));
    process.exitCode = 1;
  }
}
