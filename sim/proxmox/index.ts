import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import { ConfigurationError } from '../../actions/lib/errors.js';
import { assertLoopback } from '../../actions/lib/net/loopback.js';
import { applyStandingFaults, loadFaults } from './faults.js';
import { Cluster } from './cluster.js';
import { loadOrCreateCertificate, type SimCertificate } from './cert.js';
import { loadFixture, stateFromFixture } from './fixture.js';
import { pveMajorOf, type PveMajor } from './schema.js';
import { routes } from './handlers/index.js';
import { handle, type RequestObserver, type Stats } from './server.js';
import { runPveum, type PveumResult } from './pveum.js';
import { readState } from './state.js';
import type { ClusterFixture, FaultSpec, Privileges } from './types.js';

export type { ClusterFixture, FaultSpec, Privileges, Timings } from './types.js';
export type { PveMajor } from './schema.js';
export { Cluster } from './cluster.js';

export interface ProxmoxSimOptions {
  /** Persist cluster state here (JSON), so separate CLI runs see one cluster; absent = memory. */
  stateDir?: string;
  /** Path to a YAML/JSON fixture or the object; absent = the default three-node cluster. */
  fixture?: string | ClusterFixture;
  /**
   * Answer as Proxmox VE 8.4 or 9.1: `GET /version`, routing, parameter checks and privileges
   * from that major's API schema. Default: the fixture's `pveVersion`, else 9. A saved state
   * keeps the major it was created with; asking for the other one is refused.
   */
  pveVersion?: PveMajor;
  /** Added to every API response. */
  latencyMs?: number;
  /** Path to a YAML/JSON fault spec or the object. */
  faults?: string | FaultSpec;
  /** Simulated durations and lock timeouts are multiplied by this (default 1). */
  timeScale?: number;
  /** Default 127.0.0.1; anything outside loopback is refused. */
  host?: string;
  /** Default 0 (ephemeral). */
  port?: number;
  /** Sees each request before it is handled (and can hold it): fault tests kill clients here. */
  onRequest?: RequestObserver;
  /**
   * `pveum` command lines run on a fresh state (after the fixture's own `pveum` list), e.g.
   * `pveum user add gitops@pve`; see docs/simulator.md. A saved state keeps its users.
   */
  pveum?: string[];
}

export interface ProxmoxSim {
  /** https://127.0.0.1:PORT */
  url: string;
  /** The major release it answers as. */
  pveVersion: PveMajor;
  /** e.g. root@pam!pve-gitops */
  tokenId: string;
  tokenSecret: string;
  /** Password of root@pam for ticket auth (`POST /access/ticket`). */
  password: string;
  /** SHA-256 of the served certificate, upper-case hex with colons (PVE GUI format). */
  fingerprint: string;
  /** PEM of the self-signed certificate (for PROXMOX_CA_FILE). */
  caPem: string;
  /**
   * Adds (or replaces) an API token whose effective privileges are `privs` (ACL path →
   * privileges, propagating), whatever its user has; absent = Administrator on `/`. For the
   * real model (users, roles, privilege separation) use `pveum`.
   */
  addToken(id: string, secret: string, privs?: Privileges): void;
  /**
   * Runs one `pveum …` command line as PVE would (users, roles, tokens, ACLs); throws PVE's
   * refusal (`invalid privilege 'VM.Monitor'` on PVE 9). `user token add` returns the secret.
   */
  pveum(line: string): PveumResult;
  setFaults(f: FaultSpec): void;
  /** Request counts per "METHOD /path-template", plus `mutations`. */
  stats(): Record<string, number>;
  /** Direct access to the in-memory state for assertions and setup. */
  cluster: Cluster;
  stop(): Promise<void>;
}

/** Starts the Proxmox VE simulator on loopback. */
export async function startProxmoxSim(opts: ProxmoxSimOptions = {}): Promise<ProxmoxSim> {
  const host = opts.host ?? '127.0.0.1';
  assertLoopback('The Proxmox simulator', host);
  const scale = opts.timeScale ?? 1;
  if (!(scale > 0))
    throw new ConfigurationError(`timeScale must be a positive number, not ${opts.timeScale}.`);
  const fixture = loadFixture(opts.fixture);
  const saved = opts.stateDir ? readState(opts.stateDir) : undefined;
  const state =
    saved ??
    stateFromFixture(fixture, randomUUID(), randomBytes(12).toString('base64url'), opts.pveVersion);
  const major = pveMajorOf(state.version);
  if (opts.pveVersion !== undefined && opts.pveVersion !== major)
    throw new ConfigurationError(
      `The simulator state in ${opts.stateDir} is a Proxmox VE ${major} cluster (${state.version}), not PVE ${opts.pveVersion}: use another state directory.`,
    );
  if (!saved)
    for (const line of [...(fixture.pveum ?? []), ...(opts.pveum ?? [])]) {
      try {
        runPveum(state, String(line));
      } catch (err) {
        throw new ConfigurationError(
          `The simulator's pveum command '${String(line)}' was refused: ${(err as Error).message}.`,
        );
      }
    }
  const cluster = new Cluster(state, scale, opts.stateDir);
  if (saved) cluster.finishInterrupted();
  cluster.save();
  const cert = loadOrCreateCertificate(opts.stateDir);
  let swapped: SimCertificate | undefined;
  let served = cert;
  const stats: Stats = new Map();
  const tls = () => ({ fingerprint: served.fingerprint, certPem: served.certPem });

  const server: Server = createServer({ cert: cert.certPem, key: cert.keyPem }, (req, res) => {
    void handle(
      {
        cluster,
        major,
        routes,
        stats,
        latencyMs: opts.latencyMs ?? 0,
        tls,
        onRequest: opts.onRequest,
      },
      req,
      res,
    );
  });
  server.keepAliveTimeout = 5000;
  const setFaults = (f: FaultSpec) => {
    cluster.faults = structuredClone(f);
    const next = f.swapCertificate
      ? (swapped ??= loadOrCreateCertificate(opts.stateDir, 'pve-ssl-swapped'))
      : cert;
    if (next !== served) {
      served = next;
      server.setSecureContext({ cert: next.certPem, key: next.keyPem });
      server.closeIdleConnections();
    }
    applyStandingFaults(cluster);
  };
  setFaults(loadFaults(opts.faults));

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  const token = state.tokens[0];
  return {
    url: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
    pveVersion: major,
    tokenId: token.id,
    tokenSecret: token.secret,
    password: state.users[0].password,
    get fingerprint() {
      return served.fingerprint;
    },
    caPem: cert.certPem,
    addToken(id, secret, privs) {
      state.tokens = state.tokens.filter((t) => t.id !== id);
      state.tokens.push({ id, secret, privs: privs ?? { '/': ['Administrator'] } });
      cluster.save();
    },
    pveum(line) {
      const r = runPveum(state, line);
      cluster.save();
      return r;
    },
    setFaults,
    stats: () => ({ ...Object.fromEntries(stats), mutations: state.mutations }),
    cluster,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      // Tasks still running stay `running` in the saved state; the next start finishes them.
      cluster.stop();
    },
  };
}
