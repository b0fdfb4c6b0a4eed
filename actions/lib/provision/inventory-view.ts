import { ConfigurationError, PveGitopsError } from '../errors.js';
import { isLoopbackAddress } from '../net/loopback.js';
import type { ProcessExec } from './exec.js';

/** Hosts and groups as Ansible itself reads the inventory. */
export interface InventoryView {
  /** Host name → its variables (ansible_host, ansible_port, …). */
  hosts: Map<string, Record<string, unknown>>;
  /** Group name → every host in it, children included. */
  groups: Map<string, string[]>;
}

interface ListOutput {
  _meta?: { hostvars?: Record<string, Record<string, unknown>> };
  [group: string]: { hosts?: string[]; children?: string[] } | ListOutput['_meta'];
}

/** Runs `ansible-inventory --list` with the same inventory arguments the playbooks get. */
export async function readInventory(opts: {
  repoDir: string;
  inventoryArgs: string[];
  env: Record<string, string>;
  exec: ProcessExec;
  inventoryName: string;
}): Promise<InventoryView> {
  const r = await opts.exec('ansible-inventory', [...opts.inventoryArgs, '--list'], {
    cwd: opts.repoDir,
    env: opts.env,
  });
  let list: ListOutput;
  try {
    if (r.code !== 0) throw new Error('failed');
    list = JSON.parse(r.stdout) as ListOutput;
  } catch {
    const why = r.stderr.trim().split('\n').slice(-2).join(' ');
    throw new ConfigurationError(
      `Ansible cannot read ${opts.inventoryName}${why ? `: ${why.slice(0, 300)}` : ''}.`,
    );
  }
  const raw = new Map<string, { hosts: string[]; children: string[] }>();
  for (const [name, v] of Object.entries(list)) {
    if (name === '_meta' || !v || typeof v !== 'object') continue;
    const g = v as { hosts?: string[]; children?: string[] };
    raw.set(name, { hosts: g.hosts ?? [], children: g.children ?? [] });
  }
  const groups = new Map<string, string[]>();
  const members = (name: string, seen = new Set<string>()): string[] => {
    if (seen.has(name)) return [];
    seen.add(name);
    const g = raw.get(name);
    if (!g) return [];
    return [...new Set([...g.hosts, ...g.children.flatMap((c) => members(c, seen))])];
  };
  for (const name of raw.keys()) groups.set(name, members(name));
  const hosts = new Map<string, Record<string, unknown>>();
  for (const h of groups.get('all') ?? []) hosts.set(h, {});
  for (const [h, vars] of Object.entries(list._meta?.hostvars ?? {})) hosts.set(h, vars);
  return { hosts, groups };
}

/** The hosts a limit name selects: the host itself, or every host of a group of that name. */
export function expandLimit(view: InventoryView, name: string): string[] | undefined {
  if (view.hosts.has(name)) return [name];
  const g = view.groups.get(name);
  return g && g.length ? g : undefined;
}

/** The groups a host belongs to (besides `all` and `ungrouped`), sorted. */
export function groupsOf(view: InventoryView, host: string): string[] {
  return [...view.groups]
    .filter(([g, hs]) => g !== 'all' && g !== 'ungrouped' && hs.includes(host))
    .map(([g]) => g)
    .sort();
}

/**
 * Simulator mode: every host a run may reach must be an SSH target on a loopback address.
 * A host without ansible_host is reached by its name, which DNS could send anywhere, and
 * `ansible_connection=local` would run on this machine itself: both are refused.
 */
export function assertLoopbackTargets(
  view: InventoryView,
  hosts: string[],
  inventoryName: string,
): void {
  for (const h of hosts) {
    const vars = view.hosts.get(h) ?? {};
    const conn = vars.ansible_connection;
    if (conn !== undefined && conn !== 'ssh' && conn !== 'smart') {
      throw new PveGitopsError(
        `Simulator mode: ${h} in ${inventoryName} uses ansible_connection=${JSON.stringify(conn)}, not ssh to a loopback address; nothing was run.`,
      );
    }
    const addr = typeof vars.ansible_host === 'string' ? vars.ansible_host : h;
    if (!isLoopbackAddress(addr)) {
      throw new PveGitopsError(
        `Simulator mode: ${h} in ${inventoryName} has the address ${addr.slice(0, 80)}, which is not a loopback address (127.0.0.0/8); nothing was run.`,
      );
    }
  }
}
