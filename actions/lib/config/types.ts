/**
 * `pve-gitops.yaml`, the optional repository configuration. Every key has a default
 * (see DEFAULT_CONFIG in ./load.ts); `schemas/config.schema.json` mirrors these types.
 */
export interface RepoConfig {
  defaults: {
    storage: string;
    bridge: string;
    template: string;
    ciuser: string;
    cores: number;
    sockets: number;
    memory: number;
    cpu_type: string;
    nameserver?: string;
  };
  /** Nodes the repository may place VMs on; empty = whatever the cluster has. */
  nodes: Array<{ name: string; memory_overcommit: number; cpu_overcommit: number }>;
  /** When non-empty, VM files may only name these. */
  bridges: string[];
  storages: string[];
  templates: string[];
  inventory: {
    /** First match wins; glob with `*`. */
    groups: Array<{ match: string; group: string }>;
    vars: Record<string, string>;
    /** Hosts not managed by pve-gitops, kept in the inventory as they are. */
    static_hosts: Array<{ name: string; ip: string; groups: string[]; user?: string }>;
  };
  /** Globs, relative to `vms/`, of files to skip. */
  exclude: string[];
  /** max_deletes: most VMs one run may delete without an explicit --allow-deletes. */
  prune: { enabled: boolean; max_deletes: number };
  /**
   * Identity of this repository on a shared cluster: its VMs are tagged pve-gitops-<owner_id>
   * and prune touches only those. Absent: the tag is pve-gitops, as before owner ids existed.
   */
  owner_id?: string;
  /** Where VMIDs of new VMs are derived from their names (see reconcile/vmid-plan.ts). */
  vmid_range: { min: number; max: number };
  concurrency: { per_node: number; per_storage: number; total: number };
  health: {
    boot_grace_seconds: number;
    agent_timeout_seconds: number;
    /** VMs recreated by health remediation in one run, at most. */
    max_recreate: number;
    /** More hung VMs than this share (%) of the managed ones: none is reset or recreated. */
    max_unhealthy_percent: number;
  };
  vault: { mount: string; path: string; key: string };
  k3s: { installer_url: string; version: string };
}
