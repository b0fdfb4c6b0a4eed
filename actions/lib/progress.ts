/**
 * Progress of long work (apply's clones, agent waits, k3s joins), shown the way the output is
 * read: on a terminal, a live view redrawn in place (per VM its current step, elapsed time and
 * retries, totals at the bottom); in CI or a pipe, plain timestamped lines, one per step start
 * and end. Long waits always say what they wait for and since when.
 */

/** What the domain code reports; every method is cheap and never throws. */
export interface Progress {
  /** `item` (a VM, a host) now does `step`; `waitingFor` says what it waits on, if it waits. */
  begin(item: string, step: string, waitingFor?: string): void;
  /** The current step of `item` is tried again, for `reason`. */
  retry(item: string, reason: string): void;
  /** `item` is finished. */
  finish(item: string, outcome: 'done' | 'failed', detail?: string): void;
  /** Text that must not be drawn over (a log line); ends with a newline. */
  print(text: string): void;
  /** Stops redrawing; the last state stays on screen. */
  close(): void;
}

/** Progress that shows nothing: for library callers and tests that do not look. */
export const NO_PROGRESS: Progress = {
  begin: () => undefined,
  retry: () => undefined,
  finish: () => undefined,
  print: () => undefined,
  close: () => undefined,
};

interface ItemState {
  step: string;
  waitingFor?: string;
  since: number;
  started: number;
  retries: number;
  outcome?: 'done' | 'failed';
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const clock = (ms: number) => {
  const s = Math.floor(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
};

/** Shared bookkeeping of both views. */
abstract class Tracker implements Progress {
  protected readonly items = new Map<string, ItemState>();
  constructor(protected readonly now: () => number) {}

  begin(item: string, step: string, waitingFor?: string): void {
    const t = this.now();
    const prev = this.items.get(item);
    if (prev && !prev.outcome) this.stepEnded(item, prev, t);
    this.items.set(item, {
      step,
      waitingFor,
      since: t,
      started: prev?.started ?? t,
      retries: prev?.retries ?? 0,
    });
    this.changed(item, 'begin');
  }

  retry(item: string, reason: string): void {
    const s = this.items.get(item);
    if (!s) return;
    s.retries++;
    this.changed(item, 'retry', reason);
  }

  finish(item: string, outcome: 'done' | 'failed', detail?: string): void {
    const t = this.now();
    const s = this.items.get(item) ?? { step: '', since: t, started: t, retries: 0 };
    if (!s.outcome && s.step) this.stepEnded(item, s, t);
    s.outcome = outcome;
    this.items.set(item, s);
    this.changed(item, outcome, detail);
  }

  protected totals(): string {
    const all = [...this.items.values()];
    const done = all.filter((s) => s.outcome === 'done').length;
    const failed = all.filter((s) => s.outcome === 'failed').length;
    const busy = all.length - done - failed;
    return `${done} of ${all.length} done${failed ? `, ${failed} failed` : ''}${busy ? `, ${busy} in progress` : ''}`;
  }

  protected stepEnded(_item: string, _s: ItemState, _t: number): void {}
  protected abstract changed(item: string, what: string, detail?: string): void;
  abstract print(text: string): void;
  abstract close(): void;
}

/** Plain timestamped lines: one when a step starts, one when it ends. For CI and pipes. */
export class LineProgress extends Tracker {
  constructor(
    private readonly write: (text: string) => void,
    now: () => number = Date.now,
  ) {
    super(now);
  }

  private line(text: string): void {
    this.write(`${new Date(this.now()).toISOString().slice(11, 19)} ${text}\n`);
  }

  protected override stepEnded(item: string, s: ItemState, t: number): void {
    this.line(`${item}: ${s.step} finished after ${seconds(t - s.since)}`);
  }

  protected changed(item: string, what: string, detail?: string): void {
    const s = this.items.get(item)!;
    if (what === 'begin')
      this.line(`${item}: ${s.step}${s.waitingFor ? `, waiting for ${s.waitingFor}` : ''}`);
    else if (what === 'retry') this.line(`${item}: ${s.step} retried (${detail ?? 'again'})`);
    else
      this.line(
        `${item}: ${what} after ${seconds(this.now() - s.started)}${detail ? ` (${detail})` : ''}; ${this.totals()}`,
      );
  }

  print(text: string): void {
    this.write(text);
  }

  close(): void {}
}

/** A stream the live view can draw on. */
export interface TerminalStream {
  write(text: string): unknown;
  columns?: number;
}

/** The live view: one line per unfinished item and a totals line, redrawn in place. */
export class LiveProgress extends Tracker {
  private drawn = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly stream: TerminalStream,
    now: () => number = Date.now,
    redrawMs = 250,
  ) {
    super(now);
    // Elapsed times tick even when nothing happens; unref'd, so it never keeps a process up.
    if (redrawMs > 0) this.timer = setInterval(() => this.redraw(), redrawMs).unref();
  }

  private clear(): string {
    // Up to the first line of the view, then erase to the end of the screen.
    return this.drawn ? `\r\u001b[${this.drawn}A\u001b[J` : '';
  }

  /** The view's lines, finished items left out (their end was printed as a line). */
  render(): string[] {
    // A pseudo-terminal without a size reports 0 columns: draw as if 100 wide then.
    const width = Math.max(40, (this.stream.columns || 100) - 1);
    if (!this.items.size) return [];
    const t = this.now();
    const busy = [...this.items.entries()].filter(([, s]) => !s.outcome);
    const name = Math.min(30, Math.max(8, ...busy.map(([n]) => n.length)));
    const lines = busy.map(([item, s]) => {
      const wait = s.waitingFor ? ` · waiting for ${s.waitingFor} since ${clock(t - s.since)}` : '';
      const retries = s.retries ? ` · ${s.retries} ${s.retries === 1 ? 'retry' : 'retries'}` : '';
      return `  ${item.padEnd(name)}  ${clock(t - s.started).padStart(5)}  ${s.step}${wait}${retries}`.slice(
        0,
        width,
      );
    });
    return [...lines, `  ${this.totals()}`.slice(0, width)];
  }

  redraw(): void {
    const lines = this.render();
    this.stream.write(`${this.clear()}${lines.join('\n')}\n`);
    this.drawn = lines.length;
  }

  protected changed(item: string, what: string, detail?: string): void {
    if (what === 'done' || what === 'failed') {
      const s = this.items.get(item)!;
      this.print(
        `${what === 'done' ? '✓' : '✗'} ${item} ${what} in ${seconds(this.now() - s.started)}${detail ? ` (${detail})` : ''}\n`,
      );
      return;
    }
    this.redraw();
  }

  print(text: string): void {
    this.stream.write(this.clear() + text);
    this.drawn = 0;
    this.redraw();
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.redraw();
  }
}

/**
 * The view for this output: live on a terminal (never inside GitHub Actions, whose log is not
 * one), plain lines otherwise.
 */
export function progressFor(
  stream: TerminalStream & { isTTY?: boolean },
  env: NodeJS.ProcessEnv,
): Progress {
  const live = stream.isTTY === true && env.TERM !== 'dumb' && env.GITHUB_ACTIONS !== 'true';
  return live ? new LiveProgress(stream) : new LineProgress((t) => stream.write(t));
}
