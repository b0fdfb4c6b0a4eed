import { access } from 'node:fs/promises';
import path from 'node:path';
import { ConfigurationError } from '../errors.js';
import { errorsOf, formatDiagnostic, type Diagnostic } from '../vm/diagnostics.js';
import { configRules } from '../vm/config-rules.js';
import { schemaDiagnostics } from '../vm/schema-check.js';
import { configValidator } from '../vm/validators.js';
import { positionOf, readYamlFile, type YamlSource } from '../vm/yaml-source.js';
import type { RepoConfig } from './types.js';

/** The repository configuration file, at the repository root. */
export const CONFIG_FILE = 'pve-gitops.yaml';

/** Every default, used for each key pve-gitops.yaml leaves out (and when there is no file). */
export const DEFAULT_CONFIG: RepoConfig = Object.freeze({
  defaults: {
    storage: 'local-lvm',
    bridge: 'vmbr0',
    template: 'ubuntu-24.04-cloudinit',
    ciuser: 'ubuntu',
    cores: 2,
    sockets: 1,
    memory: 2048,
    cpu_type: 'host',
  },
  nodes: [],
  bridges: [],
  storages: [],
  templates: [],
  inventory: {
    groups: [
      { match: 'haproxy-*', group: 'haproxy' },
      { match: 'talos-*-cp*', group: 'talos_control_plane' },
      { match: 'talos-*-w*', group: 'talos_workers' },
      { match: 'k8s-*', group: 'k3s' },
    ],
    vars: {},
    static_hosts: [],
  },
  exclude: [],
  prune: { enabled: false, max_deletes: 2 },
  vmid_range: { min: 1000, max: 9999 },
  concurrency: { per_node: 2, per_storage: 1, total: 8 },
  health: {
    boot_grace_seconds: 300,
    agent_timeout_seconds: 120,
    max_recreate: 1,
    max_unhealthy_percent: 40,
  },
  vault: { mount: 'kv', path: 'cluster-secret-store/secrets/KUBECONFIG', key: 'KUBECONFIG' },
  k3s: { installer_url: 'https://get.k3s.io', version: 'v1.31.4+k3s1' },
});

/** Default overcommit ratios for a node listed without them. */
export const DEFAULT_MEMORY_OVERCOMMIT = 1;
export const DEFAULT_CPU_OVERCOMMIT = 4;

/** pve-gitops.yaml as written: any key may be absent. */
export type PartialConfig = {
  [K in keyof RepoConfig]?: RepoConfig[K] extends unknown[]
    ? RepoConfig[K] extends Array<infer I>
      ? Array<Partial<I>>
      : never
    : Partial<RepoConfig[K]>;
};

/** Applies DEFAULT_CONFIG under a (schema-valid) partial configuration; never mutates either. */
export function mergeConfig(partial: PartialConfig = {}): RepoConfig {
  const d = structuredClone(DEFAULT_CONFIG);
  return {
    defaults: { ...d.defaults, ...partial.defaults },
    nodes: (partial.nodes ?? d.nodes).map((n) => ({
      name: n.name ?? '',
      memory_overcommit: n.memory_overcommit ?? DEFAULT_MEMORY_OVERCOMMIT,
      cpu_overcommit: n.cpu_overcommit ?? DEFAULT_CPU_OVERCOMMIT,
    })),
    bridges: [...(partial.bridges ?? d.bridges)] as string[],
    storages: [...(partial.storages ?? d.storages)] as string[],
    templates: [...(partial.templates ?? d.templates)] as string[],
    inventory: {
      groups: (partial.inventory?.groups ?? d.inventory.groups).map((g) => ({ ...g })),
      vars: { ...(partial.inventory?.vars ?? d.inventory.vars) },
      static_hosts: (partial.inventory?.static_hosts ?? d.inventory.static_hosts).map((h) => ({
        ...h,
        groups: [...h.groups],
      })),
    },
    exclude: [...(partial.exclude ?? d.exclude)] as string[],
    prune: { ...d.prune, ...partial.prune },
    vmid_range: { ...d.vmid_range, ...partial.vmid_range },
    ...(partial.owner_id ? { owner_id: partial.owner_id } : {}),
    concurrency: { ...d.concurrency, ...partial.concurrency },
    health: { ...d.health, ...partial.health },
    vault: { ...d.vault, ...partial.vault },
    k3s: { ...d.k3s, ...partial.k3s },
  };
}

/** What loading pve-gitops.yaml gives: the merged configuration and anything wrong with the file. */
export interface LoadedConfig {
  config: RepoConfig;
  diagnostics: Diagnostic[];
  /** Repository-relative path of the file read, when there is one. */
  file?: string;
  source?: YamlSource;
}

/**
 * Reads `pve-gitops.yaml` from the repository root and applies the defaults. A missing file is
 * fine (all defaults); an invalid one yields diagnostics and the defaults.
 */
export async function loadConfig(repoDir: string): Promise<LoadedConfig> {
  const abs = path.join(repoDir, CONFIG_FILE);
  const present = await access(abs).then(
    () => true,
    () => false,
  );
  if (!present) return { config: mergeConfig(), diagnostics: [] };
  const parsed = readYamlFile(abs, CONFIG_FILE, { allowEmpty: true });
  if (!parsed.source)
    return { config: mergeConfig(), diagnostics: parsed.diagnostics, file: CONFIG_FILE };
  const source = parsed.source;
  const diagnostics = schemaDiagnostics(configValidator(), source);
  if (diagnostics.length) return { config: mergeConfig(), diagnostics, file: CONFIG_FILE, source };
  const config = mergeConfig(source.data as PartialConfig);
  const problems = [
    ...consistency(config, source),
    ...configRules(config, source, DEFAULT_CONFIG.inventory.groups),
  ];
  return { config, diagnostics: problems, file: CONFIG_FILE, source };
}

/**
 * The configuration of a repository for a command that acts on it (kubeconfig get, provision):
 * the defaults when there is no `pve-gitops.yaml`, and a ConfigurationError naming the first
 * problem (file:line:col) when there is one with any error — never the defaults instead of
 * what the file says (a CI job could otherwise read another cluster's kubeconfig).
 */
export async function loadValidConfig(repoDir: string): Promise<RepoConfig> {
  const { config, diagnostics } = await loadConfig(repoDir);
  const errors = errorsOf(diagnostics);
  if (errors.length) {
    const more = errors.length > 1 ? ` (${errors.length - 1} more: run pve-gitops validate)` : '';
    throw new ConfigurationError(
      `${formatDiagnostic(errors[0]).replace(/\.$/, '')}${more}; nothing was done.`,
    );
  }
  return config;
}

/** The defaults must themselves be allowed by the lists that restrict VM files. */
function consistency(config: RepoConfig, source: YamlSource): Diagnostic[] {
  const out: Diagnostic[] = [];
  const checks = [
    ['storage', 'storages'],
    ['bridge', 'bridges'],
    ['template', 'templates'],
  ] as const;
  for (const [key, list] of checks) {
    const value = config.defaults[key];
    if (!config[list].length || config[list].includes(value)) continue;
    const explicit = (source.data as PartialConfig).defaults?.[key] !== undefined;
    const { line, col } = positionOf(
      source,
      explicit ? ['defaults', key] : [list],
      explicit ? 'value' : 'key',
    );
    const message = `defaults.${key} ${value}${explicit ? '' : ' (the built-in default)'} is not in \`${list}\`; add it there or change defaults.${key}.`;
    out.push({ file: source.file, line, col, message, severity: 'error' });
  }
  const seen = new Set<string>();
  config.nodes.forEach((n, i) => {
    if (seen.has(n.name)) {
      const { line, col } = positionOf(source, ['nodes', i, 'name']);
      out.push({
        file: source.file,
        line,
        col,
        message: `Node ${n.name} is listed twice in \`nodes\`.`,
        severity: 'error',
      });
    }
    seen.add(n.name);
  });
  if (config.vmid_range.min > config.vmid_range.max) {
    const { line, col } = positionOf(source, ['vmid_range'], 'key');
    out.push({
      file: source.file,
      line,
      col,
      message: `vmid_range.min ${config.vmid_range.min} is above vmid_range.max ${config.vmid_range.max}; swap them.`,
      severity: 'error',
    });
  }
  return out;
}
