import { request } from 'node:https';
import { PveGitopsError } from '../errors.js';
import type { Logger } from '../log.js';
import type { KubeconfigEntry } from './kubeconfig.js';

interface NodeList {
  items?: Array<{
    metadata?: { name?: string };
    status?: { conditions?: Array<{ type?: string; status?: string }> };
  }>;
}

const b64 = (v: unknown) =>
  typeof v === 'string' ? Buffer.from(v, 'base64').toString('utf8') : undefined;

/** GET on the cluster's API with the entry's CA and credentials (client cert or bearer token). */
export function kubeGet(
  entry: KubeconfigEntry,
  path: string,
  timeoutMs = 10_000,
): Promise<unknown> {
  const url = new URL(path, entry.cluster.server);
  const u = entry.user;
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (typeof u.token === 'string') headers.Authorization = `Bearer ${u.token}`;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        headers,
        timeout: timeoutMs,
        ca: b64(entry.cluster['certificate-authority-data']),
        cert: b64(u['client-certificate-data']),
        key: b64(u['client-key-data']),
        rejectUnauthorized: entry.cluster['insecure-skip-tls-verify'] !== true,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          if (res.statusCode !== 200)
            return reject(
              new PveGitopsError(
                `the API server answered ${res.statusCode} to GET ${url.pathname}`,
              ),
            );
          try {
            resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
          } catch {
            reject(
              new PveGitopsError(`the API server's answer to GET ${url.pathname} is not JSON`),
            );
          }
        });
      },
    );
    req.on('timeout', () => req.destroy(new PveGitopsError(`no answer from ${url.host} in time`)));
    req.on('error', (e: NodeJS.ErrnoException) =>
      reject(
        e instanceof PveGitopsError
          ? e
          : new PveGitopsError(`cannot reach ${url.host} (${e.code ?? e.message})`),
      ),
    );
    req.end();
  });
}

/**
 * Waits until the cluster lists `expect` nodes (at least) and every node is Ready, polling
 * every `intervalMs` up to `timeoutMs`, with a progress line about every 10 s.
 */
export async function waitForNodesReady(o: {
  entry: KubeconfigEntry;
  expect: string[];
  log: Logger;
  timeoutMs?: number;
  intervalMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}): Promise<string[]> {
  const now = o.now ?? Date.now;
  const sleep = o.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  const timeout = o.timeoutMs ?? 300_000;
  const interval = o.intervalMs ?? 2000;
  const start = now();
  let lastReport = -Infinity;
  let state: string;
  for (;;) {
    try {
      const list = (await kubeGet(o.entry, '/api/v1/nodes')) as NodeList;
      const nodes = (list.items ?? []).map((n) => ({
        name: n.metadata?.name ?? '?',
        ready: n.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True',
      }));
      const missing = o.expect.filter((e) => !nodes.some((n) => n.name === e));
      const notReady = nodes.filter((n) => !n.ready).map((n) => n.name);
      if (nodes.length && !missing.length && !notReady.length) {
        o.log.info(`${o.entry.name}: ${nodes.length}/${nodes.length} nodes Ready.`);
        return nodes.map((n) => n.name);
      }
      state = `${nodes.length - notReady.length}/${nodes.length} nodes Ready${notReady.length ? ` (not Ready: ${notReady.join(', ')})` : ''}${missing.length ? `, not registered yet: ${missing.join(', ')}` : ''}`;
    } catch (err) {
      state = (err as Error).message;
    }
    const elapsed = now() - start;
    if (elapsed >= timeout)
      throw new PveGitopsError(
        `The cluster ${o.entry.name} at ${o.entry.cluster.server} was not Ready after ${Math.round(timeout / 1000)} s (${state}); its kubeconfig was not published.`,
      );
    if (elapsed - lastReport >= 10_000) {
      o.log.info(
        `${o.entry.name}: waiting for the nodes to be Ready since ${Math.round(elapsed / 1000)} s: ${state}.`,
      );
      lastReport = elapsed;
    }
    await sleep(Math.min(interval, Math.max(0, timeout - elapsed)));
  }
}
