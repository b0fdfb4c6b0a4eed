import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigurationError } from '../../actions/lib/errors.js';
import { isLoopbackHost as isLoopback } from '../../actions/lib/net/loopback.js';
import { startKubeApi, type KubeApiSim } from './api-server.js';

/** A request field as text: strings and numbers as they are, anything else the default. */
const str = (v: unknown, d = ''): string =>
  typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : d;

export interface KubeManagerOptions {
  /** Keep every cluster here; a restarted manager serves the same clusters again. */
  stateDir?: string;
  /** Port each cluster's API server binds on its first server's address. Default 6443. */
  apiPort?: number;
  /** How long new nodes stay NotReady. Default 2000 ms. */
  readyDelayMs?: number;
  /** Version reported when the installer names none. */
  defaultVersion?: string;
  /** VM name → 127.x address, for servers whose installer cannot tell its own address. */
  hosts?: Record<string, string>;
  /** Where the manager listens. Default 127.0.0.1, any free port. */
  host?: string;
  port?: number;
}

/**
 * The k3s side of the simulator: serves the installer stand-in (point `k3s.installer_url` at
 * `installerUrl`) and starts one simulated API server per cluster when a first server installs,
 * bound on that server's own 127.x address so `https://<server ip>:6443` works as with k3s.
 */
export interface KubeManager {
  url: string;
  installerUrl: string;
  /** Clusters by the address their API server listens on. */
  clusters: Map<string, KubeApiSim>;
  /** The cluster whose first server is `name`. */
  clusterOf(name: string): KubeApiSim | undefined;
  registerHost(name: string, ip: string): void;
  stop(): Promise<void>;
}

/** sim/kube/installer.sh, found from this module or from a bundle under actions/<x>/dist. */
function installerPath(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    for (const c of [path.join(dir, 'installer.sh'), path.join(dir, 'sim', 'kube', 'installer.sh')])
      if (existsSync(c)) return c;
    dir = path.dirname(dir);
  }
  throw new Error('sim/kube/installer.sh is missing next to the simulator.');
}

/** The installer script, with the manager's URL and default version filled in. */
export function installerScript(managerUrl: string, version: string): string {
  const src = readFileSync(installerPath(), 'utf8');
  return src.replace('@@MANAGER_URL@@', managerUrl).replace('@@DEFAULT_VERSION@@', version);
}

function reply(res: ServerResponse, code: number, text: string): void {
  res.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(text);
}

async function body(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const c of req as AsyncIterable<Buffer>) chunks.push(c);
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
  } catch {
    return {};
  }
}

/** Starts the cluster manager and restores saved clusters. */
export async function startKubeManager(o: KubeManagerOptions = {}): Promise<KubeManager> {
  const host = o.host ?? '127.0.0.1';
  if (!isLoopback(host))
    throw new ConfigurationError(
      `The Kubernetes simulator listens on loopback only; '${host}' is not a loopback address.`,
    );
  const apiPort = o.apiPort ?? 6443;
  const version = o.defaultVersion ?? 'v1.31.4+k3s1';
  const hosts = new Map(Object.entries(o.hosts ?? {}));
  const clusters = new Map<string, KubeApiSim>();
  const starting = new Map<string, Promise<KubeApiSim>>();
  const start = (name: string, ip: string, v: string) => {
    let p = starting.get(ip);
    if (!p) {
      p = startKubeApi({
        name,
        host: ip,
        port: apiPort,
        version: v,
        readyDelayMs: o.readyDelayMs,
        stateDir: o.stateDir,
      });
      starting.set(ip, p);
      p.then(
        (c) => clusters.set(ip, c),
        () => starting.delete(ip),
      );
    }
    return p;
  };
  if (o.stateDir) {
    let files: string[] = [];
    try {
      files = readdirSync(o.stateDir).filter((f) => /^cluster-.*\.json$/.test(f));
    } catch {
      // no state yet
    }
    for (const f of files) {
      const s = JSON.parse(readFileSync(path.join(o.stateDir, f), 'utf8')) as {
        name: string;
        host: string;
        version: string;
      };
      await start(s.name, s.host, s.version);
    }
  }
  let url = '';
  const server: Server = createServer((req, res) => {
    void (async () => {
      const p = new URL(req.url ?? '/', 'http://m').pathname;
      if (req.method === 'GET' && (p === '/' || p === '/install.sh')) {
        return reply(res, 200, installerScript(url, version));
      }
      if (req.method === 'POST' && p === '/clusters') {
        const b = await body(req);
        const name = str(b.name, '');
        const ip = str(b.ip) || hosts.get(name) || '';
        if (!ip)
          return reply(
            res,
            400,
            `Cannot tell the address of ${name}: pass --node-ip or register the host with the simulator.\n`,
          );
        if (!isLoopback(ip))
          return reply(
            res,
            400,
            `The simulator binds API servers on loopback only; ${ip} is not.\n`,
          );
        try {
          const c = await start(name, ip, str(b.version) || version);
          return reply(res, 201, `${c.url}\n${c.joinToken}\n`);
        } catch (err) {
          return reply(res, 500, `${(err as Error).message}\n`);
        }
      }
      reply(res, 404, 'not found\n');
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, host, () => resolve());
  });
  url = `http://${host}:${(server.address() as { port: number }).port}`;
  return {
    url,
    installerUrl: `${url}/install.sh`,
    clusters,
    clusterOf: (name) => [...clusters.values()].find((c) => c.state.name === name),
    registerHost: (name, ip) => void hosts.set(name, ip),
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await Promise.all([...clusters.values()].map((c) => c.stop()));
    },
  };
}
