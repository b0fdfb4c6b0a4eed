import { describe, expect, it } from 'vitest';
import { ProxmoxClient } from './client.js';
import { fakeClock } from './clock.js';
import { ProxmoxApiError, ProxmoxTaskError, ProxmoxTaskTimeoutError } from './errors.js';
import { pollDelay } from './tasks.js';
import type { HttpMethod, Params, Transport } from './transport.js';
import { parseUpid } from './upid.js';

const UPID = 'UPID:still-fawn:0000A1B2:0012C3D4:6650F00D:qmclone:9000:gitops@pve!ci:';

/** A transport answering from a function; records every call. */
function scripted(
  answer: (method: HttpMethod, path: string, params: Params | undefined, n: number) => unknown,
): Transport & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    description: 'scripted',
    request: (method, path, params) => {
      calls.push(`${method} ${path}`);
      try {
        return Promise.resolve(answer(method, path, params, calls.length));
      } catch (err) {
        return Promise.reject(err instanceof Error ? err : new Error(String(err)));
      }
    },
    close: () => Promise.resolve(),
  };
}

const apiError = (status: number, message: string, path = '/x') =>
  new ProxmoxApiError({ status, message, method: 'GET', path });

describe('parseUpid', () => {
  it('reads node, type, id and start time, and rejects other strings', () => {
    expect(parseUpid(UPID)).toMatchObject({
      node: 'still-fawn',
      type: 'qmclone',
      id: '9000',
      user: 'gitops@pve!ci',
      starttime: 0x6650f00d,
    });
    expect(parseUpid('UPID:pve1:x')).toBeUndefined();
    expect(parseUpid(42)).toBeUndefined();
  });
});

describe('waitForTask', () => {
  it('polls the node named in the UPID, tolerates the first 400s, and backs off from 300 ms to 2 s', async () => {
    const t = scripted((_m, path, _p, n) => {
      expect(path).toBe(`/nodes/still-fawn/tasks/${encodeURIComponent(UPID)}/status`);
      if (n <= 2) throw apiError(400, `unable to open file - No such file or directory`);
      return n < 9 ? { status: 'running' } : { status: 'stopped', exitstatus: 'OK' };
    });
    const clock = fakeClock();
    const client = new ProxmoxClient({ transport: t, clock });
    expect(await client.waitForTask(UPID)).toEqual({
      upid: UPID,
      exitstatus: 'OK',
      warnings: false,
    });
    expect(clock.slept).toEqual([300, 450, 675, 1013, 1519, 2000, 2000, 2000]);
    expect(pollDelay(20)).toBe(2000);
  });

  it('does not tolerate a 400 once the task should exist', async () => {
    const clock = fakeClock();
    const client = new ProxmoxClient({
      transport: scripted(() => {
        throw apiError(400, 'no such task');
      }),
      clock,
    });
    await expect(client.waitForTask(UPID)).rejects.toBeInstanceOf(ProxmoxApiError);
    expect(clock.now()).toBeGreaterThanOrEqual(5_000);
  });

  it('throws with the tail of the task log when the task fails', async () => {
    const log = Array.from({ length: 30 }, (_, i) => ({ n: i + 1, t: `line ${i + 1}` }));
    log.push({
      n: 31,
      t: "TASK ERROR: clone failed: can't lock file '/var/lock/pve-manager/pve-storage-local-lvm' - got timeout",
    });
    const client = new ProxmoxClient({
      transport: scripted((_m, path) =>
        path.endsWith('/log')
          ? log
          : {
              status: 'stopped',
              exitstatus:
                "clone failed: can't lock file '/var/lock/pve-manager/pve-storage-local-lvm' - got timeout",
            },
      ),
      clock: fakeClock(),
    });
    const err = (await client.waitForTask(UPID).catch((e: unknown) => e)) as ProxmoxTaskError;
    expect(err).toBeInstanceOf(ProxmoxTaskError);
    expect(err.kind).toBe('locked');
    expect(err.logTail).toHaveLength(10);
    expect(err.logTail[0]).toBe('line 22');
    expect(err.message).toMatch(
      /^Proxmox task qmclone 9000 on still-fawn failed: clone failed: can't lock file/,
    );
  });

  it('gives up after the per-operation timeout', async () => {
    const clock = fakeClock();
    const client = new ProxmoxClient({ transport: scripted(() => ({ status: 'running' })), clock });
    await expect(
      client.waitForTask(UPID, { timeoutMs: 10_000, operation: 'clone of 9000' }),
    ).rejects.toThrow(ProxmoxTaskTimeoutError);
    expect(clock.now()).toBeLessThanOrEqual(10_000);
  });

  it('stops when the signal aborts', async () => {
    const ac = new AbortController();
    ac.abort(new Error('cancelled'));
    const client = new ProxmoxClient({
      transport: scripted(() => ({ status: 'running' })),
      clock: fakeClock(),
    });
    await expect(client.waitForTask(UPID, { signal: ac.signal })).rejects.toThrow('cancelled');
  });
});
