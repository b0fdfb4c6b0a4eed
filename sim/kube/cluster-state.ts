import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import type { ClusterPki } from './pki.js';

/** A node as the simulator keeps it; the Kubernetes object is rendered from this. */
export interface SimNode {
  name: string;
  uid: string;
  role: 'server' | 'agent';
  ip: string;
  version: string;
  clusterInit: boolean;
  /** ms since epoch. */
  createdAt: number;
  /** When Ready turns True (ms since epoch); a later `setReady(false)` moves it. */
  readyAt: number;
  /** Forced NotReady since (ms), for tests of a node going away. */
  notReadySince?: number;
}

/** Everything one simulated cluster keeps (mode 0600 on disk: it holds keys and tokens). */
export interface ClusterState {
  /** The first server's name. */
  name: string;
  host: string;
  port: number;
  version: string;
  pki: ClusterPki;
  /** The secret part of the join token. */
  secret: string;
  /** A bearer token for the admin (tests and tokens-instead-of-certs kubeconfigs). */
  bearerToken: string;
  nodes: SimNode[];
  resourceVersion: number;
}

/** k3s's full token: K10<sha256 of the CA bundle>::server:<secret>. */
export function joinToken(s: ClusterState): string {
  return `K10${createHash('sha256').update(s.pki.caPem).digest('hex')}::server:${s.secret}`;
}

/** True when `token` is this cluster's full token or its bare secret, as k3s accepts. */
export function tokenMatches(s: ClusterState, token: string): boolean {
  if (token === s.secret) return true;
  const m = /^K10([0-9a-f]{64})::(?:server|node):(.+)$/.exec(token);
  if (!m) return false;
  return m[1] === createHash('sha256').update(s.pki.caPem).digest('hex') && m[2] === s.secret;
}

export function newClusterState(
  name: string,
  host: string,
  port: number,
  version: string,
  pki: ClusterPki,
): ClusterState {
  return {
    name,
    host,
    port,
    version,
    pki,
    secret: randomBytes(16).toString('hex'),
    bearerToken: randomBytes(24).toString('base64url'),
    nodes: [],
    resourceVersion: 1,
  };
}

export function newNode(
  n: Omit<SimNode, 'uid' | 'createdAt' | 'readyAt'>,
  readyDelayMs: number,
): SimNode {
  const now = Date.now();
  return { ...n, uid: randomUUID(), createdAt: now, readyAt: now + readyDelayMs };
}

/** A kubeconfig as k3s writes /etc/rancher/k3s/k3s.yaml: everything named `default`. */
export function k3sYaml(s: ClusterState, server: string, auth: 'cert' | 'token' = 'cert'): string {
  const b64 = (t: string) => Buffer.from(t).toString('base64');
  return stringify({
    apiVersion: 'v1',
    clusters: [
      { cluster: { 'certificate-authority-data': b64(s.pki.caPem), server }, name: 'default' },
    ],
    contexts: [{ context: { cluster: 'default', user: 'default' }, name: 'default' }],
    'current-context': 'default',
    kind: 'Config',
    preferences: {},
    users: [
      {
        name: 'default',
        user:
          auth === 'cert'
            ? {
                'client-certificate-data': b64(s.pki.adminCertPem),
                'client-key-data': b64(s.pki.adminKeyPem),
              }
            : { token: s.bearerToken },
      },
    ],
  });
}

const fileOf = (dir: string, host: string) => path.join(dir, `cluster-${host}.json`);

export function saveCluster(dir: string | undefined, s: ClusterState): void {
  if (!dir) return;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = fileOf(dir, s.host);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(s), { mode: 0o600 });
  renameSync(tmp, file);
}

export function loadCluster(dir: string | undefined, host: string): ClusterState | undefined {
  if (!dir || !existsSync(fileOf(dir, host))) return undefined;
  return JSON.parse(readFileSync(fileOf(dir, host), 'utf8')) as ClusterState;
}
