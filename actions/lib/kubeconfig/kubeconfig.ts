import { isIP } from 'node:net';
import { parse, stringify } from 'yaml';
import { ConfigurationError } from '../errors.js';
import { registerSecret } from '../secrets.js';

export interface NamedCluster {
  name: string;
  cluster: { server: string; 'certificate-authority-data'?: string; [k: string]: unknown };
}
export interface NamedUser {
  name: string;
  user: Record<string, unknown>;
}
export interface NamedContext {
  name: string;
  context: { cluster: string; user: string; namespace?: string; [k: string]: unknown };
}
/** A kubeconfig document (`kind: Config`). Unknown fields are kept as they are. */
export interface Kubeconfig {
  apiVersion: string;
  kind: 'Config';
  clusters: NamedCluster[];
  users: NamedUser[];
  contexts: NamedContext[];
  'current-context'?: string;
  preferences?: Record<string, unknown>;
  [k: string]: unknown;
}

/** One cluster's entry: a context with its own cluster and user, all under one name. */
export interface KubeconfigEntry {
  name: string;
  cluster: NamedCluster['cluster'];
  user: NamedUser['user'];
}

export const emptyKubeconfig = (): Kubeconfig => ({
  apiVersion: 'v1',
  kind: 'Config',
  clusters: [],
  users: [],
  contexts: [],
  preferences: {},
});

const isObj = (v: unknown): v is Record<string, unknown> =>
  !!v && typeof v === 'object' && !Array.isArray(v);

/**
 * Parses and checks a kubeconfig; `where` names it in the error (a file, a Vault path).
 * Every credential in it is registered as a secret at once.
 */
export function parseKubeconfig(text: string, where: string): Kubeconfig {
  let doc: unknown;
  try {
    doc = parse(text, { prettyErrors: false });
  } catch {
    throw new ConfigurationError(`${where} is not valid YAML.`);
  }
  const bad = (why: string) =>
    new ConfigurationError(`${where} is not a valid kubeconfig: ${why}.`);
  if (!isObj(doc)) throw bad('it is not a YAML mapping');
  if (doc.kind !== undefined && doc.kind !== 'Config')
    throw bad(`kind is '${JSON.stringify(doc.kind).slice(0, 40)}', not 'Config'`);
  for (const k of ['clusters', 'users', 'contexts'] as const) {
    if (doc[k] === undefined || doc[k] === null) doc[k] = [];
    if (!Array.isArray(doc[k])) throw bad(`${k} is not a list`);
  }
  const cfg = doc as unknown as Kubeconfig;
  cfg.apiVersion ??= 'v1';
  cfg.kind = 'Config';
  cfg.clusters.forEach((c, i) => {
    if (
      !isObj(c) ||
      typeof c.name !== 'string' ||
      !isObj(c.cluster) ||
      typeof c.cluster.server !== 'string'
    )
      throw bad(`clusters[${i}] needs a name and cluster.server`);
  });
  cfg.users.forEach((u, i) => {
    if (!isObj(u) || typeof u.name !== 'string' || !isObj(u.user))
      throw bad(`users[${i}] needs a name and user`);
    maskUser(u.user);
  });
  cfg.contexts.forEach((c, i) => {
    if (
      !isObj(c) ||
      typeof c.name !== 'string' ||
      !isObj(c.context) ||
      typeof c.context.cluster !== 'string' ||
      typeof c.context.user !== 'string'
    )
      throw bad(`contexts[${i}] needs a name, context.cluster and context.user`);
  });
  return cfg;
}

/** Registers every credential of a kubeconfig user as a secret (also the decoded key). */
export function maskUser(user: Record<string, unknown>): void {
  for (const k of ['client-key-data', 'client-certificate-data', 'token', 'password']) {
    const v = user[k];
    if (typeof v !== 'string') continue;
    registerSecret(v);
    if (k === 'client-key-data')
      for (const line of Buffer.from(v, 'base64').toString('utf8').split('\n'))
        if (line.length > 20) registerSecret(line);
  }
}

export const serializeKubeconfig = (cfg: Kubeconfig): string => stringify(cfg, { lineWidth: 0 });

function hostOf(server: string): { url: URL; host: string } {
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new ConfigurationError(`The kubeconfig's server '${server.slice(0, 80)}' is not a URL.`);
  }
  return { url, host: url.hostname.replace(/^\[|\]$/g, '') };
}

/**
 * Turns the k3s.yaml of a new server into this cluster's entry: its one cluster, user and
 * context (k3s names them `default`) renamed `name`, and a loopback server address
 * (`https://127.0.0.1:6443`) replaced by the VM's `address`, port kept.
 */
export function normaliseK3sKubeconfig(
  text: string,
  o: { name: string; address: string; source: string },
): KubeconfigEntry {
  const cfg = parseKubeconfig(text, o.source);
  if (cfg.clusters.length !== 1 || cfg.users.length !== 1)
    throw new ConfigurationError(
      `${o.source} holds ${cfg.clusters.length} clusters and ${cfg.users.length} users; a k3s kubeconfig holds one of each.`,
    );
  const cluster = { ...cfg.clusters[0].cluster };
  const { url, host } = hostOf(cluster.server);
  if (host === '127.0.0.1' || host === 'localhost' || host === '::1' || host === '0.0.0.0') {
    url.hostname = isIP(o.address) === 6 ? `[${o.address}]` : o.address;
    cluster.server = url.toString().replace(/\/$/, '');
  }
  if (!cluster['certificate-authority-data'] && !cluster['certificate-authority'])
    throw new ConfigurationError(`${o.source} has no certificate-authority-data for its cluster.`);
  return { name: o.name, cluster, user: { ...cfg.users[0].user } };
}

/**
 * Merges entries into a kubeconfig: a context, cluster or user of the same name is replaced
 * by the new one, everything else is kept; `current-context` stays unless it is unset.
 */
export function mergeKubeconfig(base: Kubeconfig, entries: KubeconfigEntry[]): Kubeconfig {
  const out: Kubeconfig = structuredClone(base);
  for (const e of entries) {
    const put = <T extends { name: string }>(list: T[], item: T) => {
      const i = list.findIndex((x) => x.name === item.name);
      if (i >= 0) list[i] = item;
      else list.push(item);
    };
    put(out.clusters, { name: e.name, cluster: e.cluster });
    put(out.users, { name: e.name, user: e.user });
    put(out.contexts, { name: e.name, context: { cluster: e.name, user: e.name } });
  }
  if (!out['current-context'] || !out.contexts.some((c) => c.name === out['current-context']))
    out['current-context'] = out.contexts[0]?.name ?? '';
  return out;
}

/** A kubeconfig holding only `names` (contexts) with their clusters and users. */
export function selectContexts(cfg: Kubeconfig, names: string[], where: string): Kubeconfig {
  const out = emptyKubeconfig();
  for (const n of names) {
    const ctx = cfg.contexts.find((c) => c.name === n);
    if (!ctx) {
      const known = cfg.contexts.map((c) => c.name).join(', ') || 'none';
      throw new ConfigurationError(`There is no context '${n}' in ${where} (contexts: ${known}).`);
    }
    const cluster = cfg.clusters.find((c) => c.name === ctx.context.cluster);
    const user = cfg.users.find((u) => u.name === ctx.context.user);
    if (!cluster || !user)
      throw new ConfigurationError(
        `The context '${n}' in ${where} names a cluster or user that is missing.`,
      );
    if (!out.contexts.some((c) => c.name === n)) out.contexts.push(ctx);
    if (!out.clusters.some((c) => c.name === cluster.name)) out.clusters.push(cluster);
    if (!out.users.some((u) => u.name === user.name)) out.users.push(user);
  }
  out['current-context'] = names[0] ?? '';
  return out;
}

/** The single entry named `name` of a kubeconfig, for readiness checks. */
export function entryOf(cfg: Kubeconfig, name: string): KubeconfigEntry | undefined {
  const ctx = cfg.contexts.find((c) => c.name === name);
  const cluster = cfg.clusters.find((c) => c.name === ctx?.context.cluster);
  const user = cfg.users.find((u) => u.name === ctx?.context.user);
  return ctx && cluster && user ? { name, cluster: cluster.cluster, user: user.user } : undefined;
}
