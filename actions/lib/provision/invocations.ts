import { ConfigurationError } from '../errors.js';
import type { PlaybookRun } from '../gitops/tags.js';
import { expandLimit, groupsOf, type InventoryView } from './inventory-view.js';

/** One ansible-playbook run: a playbook, limited to hosts or (limit absent) unlimited. */
export interface Invocation {
  playbook: string;
  limit?: string[];
  /** Every host it may reach (the limit expanded; unlimited = the whole inventory). */
  targets: string[];
}

/** Groups whose new hosts get `k8s.yml` (the k3s server install or agent join). */
const K3S_GROUPS = ['k3s', 'k3s_server', 'k3s_agent'];

/**
 * The playbook a new host gets when no tag names it: `k8s.yml` for a host in a k3s group,
 * else `<group>.yml` for the first of its groups with such a playbook (e.g. haproxy).
 */
export function playbookForNewHost(
  groups: string[],
  playbookExists: (file: string) => boolean,
): string | undefined {
  if (groups.some((g) => K3S_GROUPS.includes(g)) && playbookExists('k8s.yml')) return 'k8s.yml';
  return groups
    .map((g) => `${g}.yml`)
    .find((f) => /^[a-z0-9][a-z0-9_-]*\.yml$/.test(f) && playbookExists(f));
}

/**
 * Turns tag runs and new hosts into as few ansible-playbook runs as possible, in first-seen
 * order: runs of one playbook are merged (their limits joined; an unlimited run covers all).
 * A new host no limited tag names gets its default playbook (`playbookForNewHost`).
 * Every name must be in the inventory; anything else is one sentence and nothing runs.
 */
export function planInvocations(opts: {
  runs: readonly PlaybookRun[];
  newHosts: ReadonlyArray<{ name: string }>;
  view: InventoryView;
  playbookExists: (file: string) => boolean;
  inventoryName: string;
  log?: { info(m: string): void };
}): Invocation[] {
  const order: string[] = [];
  const limits = new Map<string, Set<string> | 'all'>();
  const add = (playbook: string, host?: string) => {
    if (!opts.playbookExists(playbook))
      throw new ConfigurationError(
        `playbooks/${playbook} does not exist or is not a playbook ansible-playbook can run; nothing was run.`,
      );
    if (!limits.has(playbook)) {
      order.push(playbook);
      limits.set(playbook, new Set());
    }
    const cur = limits.get(playbook)!;
    if (host === undefined) limits.set(playbook, 'all');
    else if (cur !== 'all') cur.add(host);
  };
  for (const r of opts.runs) {
    if (r.limit !== undefined && !expandLimit(opts.view, r.limit)) {
      throw new ConfigurationError(
        `${r.playbook} --limit ${r.limit}: ${r.limit} is not in ${opts.inventoryName} (no address known?); nothing was run.`,
      );
    }
    add(r.playbook, r.limit);
  }
  for (const h of opts.newHosts) {
    if (!opts.view.hosts.has(h.name)) {
      throw new ConfigurationError(
        `The new host ${h.name} is not in ${opts.inventoryName}; render the inventory first. Nothing was run.`,
      );
    }
    // A tag limited to this host (a commit tag or its VM's playbook field) says what it runs.
    const named = opts.runs.some(
      (r) => r.limit !== undefined && expandLimit(opts.view, r.limit)?.includes(h.name),
    );
    if (named) continue;
    const groups = groupsOf(opts.view, h.name);
    const playbook = playbookForNewHost(groups, opts.playbookExists);
    if (playbook) add(playbook, h.name);
    else
      opts.log?.info(
        `New host ${h.name} (groups: ${groups.join(', ') || 'none'}) has no playbook to run.`,
      );
  }
  const all = [...opts.view.hosts.keys()].sort();
  return order.map((playbook) => {
    const l = limits.get(playbook)!;
    if (l === 'all') return { playbook, targets: all };
    const limit = [...l];
    const targets = [...new Set(limit.flatMap((x) => expandLimit(opts.view, x) ?? []))].sort();
    return { playbook, limit, targets };
  });
}
