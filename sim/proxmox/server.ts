import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, sleep } from './api-error.js';
import { authenticate, checkPermission, createTicket } from './auth.js';
import { checkInCode } from './code-checks.js';
import type { Cluster } from './cluster.js';
import type { HandlerContext, Routes } from './context.js';
import { injectRequestFault } from './faults.js';
import { matchRoute, methodInfo, validateParams, type PveMajor } from './schema.js';

const maxBody = 1 << 20;

/** Request counts per "METHOD /path-template". */
export type Stats = Map<string, number>;

async function readBody(req: IncomingMessage): Promise<string> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > maxBody) throw new ApiError(413, 'Request Entity Too Large');
    chunks.push(c);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseBody(req: IncomingMessage, text: string): Record<string, unknown> {
  if (!text) return {};
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type === 'application/json') {
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch {
      throw new ApiError(400, 'malformed JSON body');
    }
    if (!v || typeof v !== 'object' || Array.isArray(v))
      throw new ApiError(400, 'JSON body must be an object');
    return v as Record<string, unknown>;
  }
  return formToObject(new URLSearchParams(text));
}

/** Form or query parameters; a repeated key (`command=a&command=b`) becomes an array. */
function formToObject(p: URLSearchParams): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of p) {
    const prev = out[k];
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...(prev as string[]), v] : [prev, v];
  }
  return out;
}

/** Writes PVE's envelope, or its error answer (reason = first line, close on >= 400). */
function send(res: ServerResponse, status: number, data: unknown, err?: ApiError): void {
  const headers: Record<string, string> = {
    'Content-Type': 'application/json;charset=UTF-8',
    'Cache-Control': 'max-age=0',
    Pragma: 'no-cache',
    Server: 'pve-api-daemon/3.0',
  };
  if (status >= 400) headers.Connection = 'close';
  let body = '';
  if (err && status !== 401) {
    body = JSON.stringify({
      data: null,
      message: `${err.message}\n`,
      ...(err.errors ? { errors: err.errors } : {}),
    });
  } else if (!err) body = JSON.stringify({ data: data ?? null });
  const reason = err?.message.split('\n')[0]!.replace(/[^\x20-\x7e]/g, '?');
  headers['Content-Length'] = String(Buffer.byteLength(body));
  res.writeHead(status, reason, headers);
  res.end(body);
}

export interface ServeOptions {
  cluster: Cluster;
  /** Which major's API schema routes, validates and checks permissions. */
  major: PveMajor;
  routes: Routes;
  stats: Stats;
  latencyMs: number;
  tls: HandlerContext['tls'];
  /** Called as each request arrives, before it is handled; handling waits for its promise. */
  onRequest?: RequestObserver;
}

/** Sees each request as it arrives ("POST /nodes/{node}/qemu/{vmid}/clone"): tests kill here. */
export type RequestObserver = (method: string, template: string) => void | Promise<void>;

/** Answers one request the way pveproxy/pvedaemon would. */
export async function handle(
  o: ServeOptions,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const method = req.method ?? 'GET';
  const url = new URL(req.url ?? '/', 'https://localhost');
  const apiPath = url.pathname.startsWith('/api2/json')
    ? url.pathname.slice('/api2/json'.length) || '/'
    : undefined;
  const route = apiPath ? matchRoute(o.major, apiPath) : undefined;
  const statKey = `${method} ${route?.template ?? url.pathname}`;
  o.stats.set(statKey, (o.stats.get(statKey) ?? 0) + 1);
  const { cluster } = o;
  try {
    await o.onRequest?.(method, route?.template ?? url.pathname);
    const text = await readBody(req);
    if (o.latencyMs > 0) await sleep(o.latencyMs);
    if (url.pathname === '/_sim/stats') {
      authenticate(cluster, req.headers, 'GET');
      return send(res, 200, { ...Object.fromEntries(o.stats), mutations: cluster.state.mutations });
    }
    if (apiPath === undefined)
      throw new ApiError(501, `Method '${method} ${url.pathname}' not implemented`);
    if (method === 'DELETE' && text.length > 0)
      throw new ApiError(501, `Unexpected content for method 'DELETE'`);
    const input: Record<string, unknown> = {
      ...formToObject(url.searchParams),
      ...parseBody(req, text),
    };
    if (route?.template === '/access/ticket' && method === 'POST') {
      return send(
        res,
        200,
        createTicket(
          cluster,
          typeof input.username === 'string' ? input.username : '',
          typeof input.password === 'string' ? input.password : '',
        ),
      );
    }
    let who;
    try {
      who = authenticate(cluster, req.headers, method);
    } catch (err) {
      await sleep(cluster.state.timings.authFailDelay * cluster.scale);
      throw err;
    }
    injectRequestFault(cluster, method, apiPath);
    const info = route && methodInfo(o.major, route.template, method);
    const handler = route && o.routes[`${method} ${route.template}`];
    if (!route || !info || !handler)
      throw new ApiError(501, `Method '${method} ${apiPath}' not implemented`);
    const { values, errors } = validateParams(info, { ...input, ...route.params });
    if (errors) throw new ApiError(400, 'Parameter verification failed.', errors);
    checkPermission(who, info.permissions?.check, values);
    checkInCode(who, cluster, route.template, method, values);
    const data = await handler({ params: values, who, cluster, tls: o.tls });
    send(res, 200, data);
  } catch (err) {
    if (err instanceof ApiError) return send(res, err.status, null, err);
    send(res, 500, null, new ApiError(500, `internal error: ${(err as Error).message}`));
  }
}
