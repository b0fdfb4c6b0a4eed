import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { ConfigurationError } from '../../actions/lib/errors.js';
import { isLoopbackHost as isLoopback } from '../../actions/lib/net/loopback.js';
import {
  joinToken,
  k3sYaml,
  loadCluster,
  newClusterState,
  newNode,
  saveCluster,
  tokenMatches,
  type ClusterState,
  type SimNode,
} from './cluster-state.js';
import { generateClusterPki } from './pki.js';
import { clusterApi, type ClusterApi } from './cluster-api.js';
import { ApiError, statusBody as status } from './errors.js';
import { renderNode } from './render.js';

/** A request field as text: strings and numbers as they are, anything else the default. */
const str = (v: unknown, d = ''): string =>
  typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : d;

export interface KubeApiOptions {
  /** The first server's name (the cluster is named after it). */
  name: string;
  /** Loopback address to bind, e.g. the server VM's 127.x address. Default 127.0.0.1. */
  host?: string;
  /** Default 6443 as k3s; 0 = any free port. */
  port?: number;
  /** k3s version reported (`v1.31.4+k3s1`). */
  version?: string;
  /** How long a registered node stays NotReady. Default 2000 ms. */
  readyDelayMs?: number;
  /** Keep the cluster (PKI, tokens, nodes, objects) here so a restart serves the same cluster. */
  stateDir?: string;
  /** Changes kept for watches to resume from (default 1000); older ones answer 410 Expired. */
  watchHistory?: number;
  /** How often watches that allow bookmarks get one. Default 1000 ms. */
  bookmarkMs?: number;
}

export interface KubeApiSim {
  /** https://HOST:PORT */
  url: string;
  host: string;
  port: number;
  caPem: string;
  /** K10<ca hash>::server:<secret>, as /var/lib/rancher/k3s/server/node-token holds. */
  joinToken: string;
  bearerToken: string;
  /** A kubeconfig for this cluster: contexts named `default` like k3s.yaml unless `name` is given. */
  kubeconfig(o?: { server?: string; auth?: 'cert' | 'token' }): string;
  /** Adds (or re-registers) a node; Ready after the delay. */
  registerNode(n: {
    name: string;
    role: 'server' | 'agent';
    ip: string;
    clusterInit?: boolean;
  }): SimNode;
  /** Forces a node NotReady (false) or Ready now (true). */
  setReady(name: string, ready: boolean): void;
  nodes(): SimNode[];
  state: ClusterState;
  /** The Kubernetes API behind the server: its object store and resource types. */
  api: ClusterApi;
  stop(): Promise<void>;
}

function json(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

function text(res: ServerResponse, code: number, body: string): void {
  res.writeHead(code, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > 1 << 20) break;
    chunks.push(c);
  }
  try {
    const v = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as unknown;
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

const bearer = (req: IncomingMessage) => {
  const h = req.headers.authorization ?? '';
  return h.startsWith('Bearer ') ? h.slice(7).trim() : undefined;
};

const NAME = /^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/;

/** Starts one simulated k3s API server on loopback (HTTPS, its own CA). */
export async function startKubeApi(o: KubeApiOptions): Promise<KubeApiSim> {
  const host = o.host ?? '127.0.0.1';
  if (!isLoopback(host))
    throw new ConfigurationError(
      `The Kubernetes simulator listens on loopback only; '${host}' is not a loopback address.`,
    );
  const readyDelay = o.readyDelayMs ?? 2000;
  const version = o.version || 'v1.31.4+k3s1';
  const state =
    loadCluster(o.stateDir, host) ??
    newClusterState(o.name, host, o.port ?? 6443, version, generateClusterPki([host]));
  const save = () => saveCluster(o.stateDir, state);
  const cluster = clusterApi(state, {
    watchHistory: o.watchHistory,
    bookmarkMs: o.bookmarkMs,
    save,
  });
  const registerNode: KubeApiSim['registerNode'] = (n) => {
    state.nodes = state.nodes.filter((x) => x.name !== n.name);
    const node = newNode(
      { ...n, version: state.version, clusterInit: n.clusterInit ?? false },
      readyDelay,
    );
    state.nodes.push(node);
    cluster.syncNodes();
    save();
    return node;
  };

  const authenticated = (req: IncomingMessage) => {
    const sock = req.socket as TLSSocket;
    if (sock.authorized && sock.getPeerCertificate()?.subject) return true;
    const t = bearer(req);
    return t !== undefined && (t === state.bearerToken || tokenMatches(state, t));
  };

  const server: Server = createServer(
    {
      cert: state.pki.serverCertPem,
      key: state.pki.serverKeyPem,
      ca: state.pki.caPem,
      requestCert: true,
      rejectUnauthorized: false,
    },
    (req, res) => {
      void (async () => {
        const url = new URL(req.url ?? '/', 'https://kube');
        const p = url.pathname.replace(/\/+$/, '') || '/';
        const method = req.method ?? 'GET';
        // k3s serves its CA bundle to anyone: agents check it against the token's hash.
        if (p === '/cacerts') return text(res, 200, state.pki.caPem);
        if (p.startsWith('/_sim/')) {
          const t = bearer(req);
          if (!t || !tokenMatches(state, t))
            return text(res, 401, 'Unauthorized: the join token is not valid for this cluster\n');
          if (p === '/_sim/register' && method === 'POST') {
            const b = await readJson(req);
            const name = str(b.name, '');
            const ip = str(b.ip, '');
            if (!NAME.test(name))
              return text(res, 400, `invalid node name '${name.slice(0, 64)}'\n`);
            const node = registerNode({
              name,
              ip,
              role: b.role === 'agent' ? 'agent' : 'server',
              clusterInit: b.clusterInit === true,
            });
            return json(res, 201, renderNode(node));
          }
          if (p === '/_sim/kubeconfig')
            return text(res, 200, k3sYaml(state, `https://127.0.0.1:${state.port}`));
          if (p === '/_sim/nodes.txt') {
            const rows = state.nodes.map((n) => {
              const ready =
                renderNode(n).status.conditions.find((c) => c.type === 'Ready')!.status === 'True';
              const roles =
                n.role === 'server'
                  ? `control-plane${n.clusterInit ? ',etcd' : ''},master`
                  : '<none>';
              const age = `${Math.max(0, Math.floor((Date.now() - n.createdAt) / 1000))}s`;
              return [n.name, ready ? 'Ready' : 'NotReady', roles, age, n.version];
            });
            const all = [['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION'], ...rows];
            const w = all[0].map((_, i) => Math.max(...all.map((r) => r[i].length)));
            return text(
              res,
              200,
              all
                .map((r) =>
                  r
                    .map((c, i) => c.padEnd(w[i] + 3))
                    .join('')
                    .trimEnd(),
                )
                .join('\n') + '\n',
            );
          }
          return text(res, 404, 'not found\n');
        }
        if (p === '/healthz' || p === '/livez' || p === '/readyz') return text(res, 200, 'ok');
        if (!authenticated(req)) return json(res, 401, status(401, 'Unauthorized', 'Unauthorized'));
        await cluster.handle(req, res, url, p);
      })().catch((err: unknown) => {
        if (res.headersSent) return void res.end();
        if (err instanceof ApiError) return json(res, err.code, err.toStatus());
        json(res, 500, status(500, 'InternalError', String(err)));
      });
    },
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        new ConfigurationError(
          `The Kubernetes simulator for ${o.name} cannot listen on ${host}:${state.port} (${e.code ?? e.message}).`,
        ),
      ),
    );
    server.listen(state.port, host, () => resolve());
  });
  state.port = (server.address() as { port: number }).port;
  save();
  return {
    get url() {
      return `https://${host}:${state.port}`;
    },
    host,
    port: state.port,
    caPem: state.pki.caPem,
    joinToken: joinToken(state),
    bearerToken: state.bearerToken,
    kubeconfig: (k = {}) => k3sYaml(state, k.server ?? `https://${host}:${state.port}`, k.auth),
    registerNode,
    setReady(name, ready) {
      const n = state.nodes.find((x) => x.name === name);
      if (!n) throw new Error(`No node ${name} in the simulated cluster ${state.name}.`);
      if (ready) {
        n.readyAt = Math.min(n.readyAt, Date.now());
        delete n.notReadySince;
      } else n.notReadySince = Date.now();
      cluster.syncNodes();
      save();
    },
    nodes: () => state.nodes,
    state,
    api: cluster,
    async stop() {
      cluster.stop();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
