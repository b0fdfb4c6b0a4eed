import { describe, expect, it } from 'vitest';
import { LineProgress, LiveProgress, progressFor } from './progress.js';

/** A clock the test moves by hand. */
function fakeClock(start = Date.UTC(2026, 10, 30, 1, 2, 3)) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

describe('LineProgress', () => {
  it('prints one timestamped line per step start and end, waits named, totals at the end', () => {
    const c = fakeClock();
    const out: string[] = [];
    const p = new LineProgress((s) => out.push(s), c.now);
    p.begin('k8s-a', 'clone', 'the clone task');
    c.advance(12_300);
    p.begin('k8s-a', 'start');
    p.retry('k8s-a', 'lock timeout');
    c.advance(2_000);
    p.finish('k8s-a', 'done');
    expect(out.join('')).toBe(
      [
        '01:02:03 k8s-a: clone, waiting for the clone task',
        '01:02:15 k8s-a: clone finished after 12.3 s',
        '01:02:15 k8s-a: start',
        '01:02:15 k8s-a: start retried (lock timeout)',
        '01:02:17 k8s-a: start finished after 2.0 s',
        '01:02:17 k8s-a: done after 14.3 s; 1 of 1 done',
        '',
      ].join('\n'),
    );
  });
});

describe('LiveProgress', () => {
  it('shows each VM in flight with step, elapsed time, wait and retries, and the totals', () => {
    const c = fakeClock();
    const stream = { text: '', columns: 120, write: (s: string) => void (stream.text += s) };
    const p = new LiveProgress(stream, c.now, 0);
    p.begin('k8s-a', 'clone', 'the clone task');
    p.begin('k8s-b', 'config');
    c.advance(65_000);
    p.retry('k8s-b', 'lock');
    expect(p.render()).toEqual([
      '  k8s-a      1:05  clone · waiting for the clone task since 1:05',
      '  k8s-b      1:05  config · 1 retry',
      '  0 of 2 done, 2 in progress',
    ]);
    p.finish('k8s-a', 'done');
    expect(p.render()).toEqual([
      '  k8s-b      1:05  config · 1 retry',
      '  1 of 2 done, 1 in progress',
    ]);
  });

  it('redraws in place: it moves up over its last drawing and prints log lines above it', () => {
    const c = fakeClock();
    const stream = { text: '', columns: 80, write: (s: string) => void (stream.text += s) };
    const p = new LiveProgress(stream, c.now, 0);
    p.begin('vm1', 'clone');
    stream.text = '';
    p.print('a log line\n');
    // Two lines were drawn (vm1 and totals): up two, clear, the log line, then the view again.
    expect(stream.text).toBe(
      '\r\u001b[2A\u001b[Ja log line\n  vm1        0:00  clone\n  0 of 1 done, 1 in progress\n',
    );
    p.finish('vm1', 'failed', 'clone refused');
    expect(stream.text).toContain('✗ vm1 failed in 0.0 s (clone refused)\n');
    p.close();
  });
});

describe('progressFor', () => {
  const stream = (isTTY: boolean) => ({ isTTY, columns: 80, write: () => true });
  it('is live on a terminal only, and never inside GitHub Actions', () => {
    expect(progressFor(stream(true), {})).toBeInstanceOf(LiveProgress);
    expect(progressFor(stream(false), {})).toBeInstanceOf(LineProgress);
    expect(progressFor(stream(true), { GITHUB_ACTIONS: 'true' })).toBeInstanceOf(LineProgress);
    expect(progressFor(stream(true), { TERM: 'dumb' })).toBeInstanceOf(LineProgress);
    (progressFor(stream(true), {}) as LiveProgress).close();
  });
});
