import { Agent, fetch, type Headers } from 'undici';
import type { ProxmoxSim } from './index.js';

/** One answer: status, reason phrase, headers and parsed body (undefined when empty). */
export interface SimAnswer {
  status: number;
  reason: string;
  headers: Headers;
  body: { data?: unknown; message?: string; errors?: Record<string, string> } | undefined;
  data: unknown;
}

/**
 * A minimal client for tests: plain fetch with the simulator's CA, token auth by default.
 * `body` is sent form-urlencoded unless `json` is set.
 */
export function simClient(sim: ProxmoxSim, auth = `PVEAPIToken=${sim.tokenId}=${sim.tokenSecret}`) {
  const dispatcher = new Agent({ connect: { ca: sim.caPem } });
  return async function call(
    method: string,
    path: string,
    body?: Record<string, string | number | boolean | string[]>,
    opts: { json?: boolean; auth?: string | null; headers?: Record<string, string> } = {},
  ): Promise<SimAnswer> {
    const headers: Record<string, string> = { ...opts.headers };
    const a = opts.auth === undefined ? auth : opts.auth;
    if (a) headers.Authorization = a;
    let payload: string | undefined;
    if (body) {
      headers['Content-Type'] = opts.json
        ? 'application/json'
        : 'application/x-www-form-urlencoded';
      payload = opts.json
        ? JSON.stringify(body)
        : new URLSearchParams(
            // A list repeats its key (`command=a&command=b`), as PVE's form clients send it.
            Object.entries(body).flatMap(([k, v]): [string, string][] =>
              Array.isArray(v) ? v.map((x) => [k, x]) : [[k, String(v)]],
            ),
          ).toString();
    }
    const url = path.startsWith('/_sim') ? sim.url + path : `${sim.url}/api2/json${path}`;
    const res = await fetch(url, { method, headers, body: payload, dispatcher });
    const text = await res.text();
    const parsed = text ? (JSON.parse(text) as SimAnswer['body']) : undefined;
    return {
      status: res.status,
      reason: res.statusText,
      headers: res.headers,
      body: parsed,
      data: parsed?.data,
    };
  };
}

/** Polls a task until it stops; returns its exit status. */
export async function waitTask(call: ReturnType<typeof simClient>, upid: string): Promise<string> {
  const node = upid.split(':')[1];
  for (;;) {
    const r = await call('GET', `/nodes/${node}/tasks/${encodeURIComponent(upid)}/status`);
    const d = r.data as { status?: string; exitstatus?: string } | undefined;
    if (r.status === 200 && d?.status === 'stopped') return d.exitstatus ?? '';
    await new Promise((res) => setTimeout(res, 5));
  }
}
