import type { Logger } from '../log.js';

/**
 * While a long run (an ansible-playbook) is quiet, says every `everyMs` what it waits on and
 * since when: the last task the run started, and how long ago the run began. Ansible prints
 * a task when it starts, then nothing while it waits (an SSH connection, a k3s node turning
 * Ready): without this, a five-minute wait looks like a hang.
 */
export function heartbeat(
  log: Logger,
  label: string,
  o: { everyMs?: number; now?: () => number } = {},
): { seen(line: string): void; stop(): void } {
  const now = o.now ?? Date.now;
  const started = now();
  let task = 'the first task';
  let taskSince = started;
  const timer = setInterval(() => {
    const t = now();
    log.info(
      `${label}: still running after ${Math.round((t - started) / 1000)} s; waiting on ${task} ` +
        `since ${Math.round((t - taskSince) / 1000)} s.`,
    );
  }, o.everyMs ?? 30_000);
  timer.unref();
  return {
    seen(line) {
      const m = /^TASK \[(.+?)\]/.exec(line);
      if (m) {
        task = `task '${m[1]}'`;
        taskSince = now();
      }
    },
    stop: () => clearInterval(timer),
  };
}
