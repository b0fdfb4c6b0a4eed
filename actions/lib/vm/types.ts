/**
 * The VM definition contract shared by every step. `schemas/vm.schema.json` is the single
 * source of truth for what a file may contain; these types mirror it. Keep them in step.
 */

/** A disk as written in a VM file: `disks: {scsi0: {size: 32G, storage: local-lvm}}`. */
export interface VmDisk {
  /** Size with unit, like `32G` or `512M` (PVE's size format). */
  size: string;
  /** Storage id; defaults to the repository's default storage. */
  storage?: string;
  /** Mount point inside the guest (provisioning formats and mounts it); not a PVE setting. */
  mount?: string;
}

/** The first network interface (net0). */
export interface VmNetwork {
  bridge?: string;
  model?: 'virtio' | 'e1000' | 'e1000e' | 'rtl8139' | 'vmxnet3';
  firewall?: boolean;
  /** VLAN tag, 1-4094. */
  vlan?: number;
  /** Fixed MAC address, `XX:XX:XX:XX:XX:XX`; absent = PVE generates one. */
  mac?: string;
}

export interface VmK3s {
  role: 'server' | 'agent';
  /** Name of a server VM in `vms/`, or an `https://` URL of an existing server. Absent = first server. */
  join?: string;
}

/** A VM file as written (after YAML parsing and schema validation, before defaults). */
export interface VmDefinition {
  name: string;
  target_node?: string;
  vmid?: number;
  cores?: number;
  sockets?: number;
  /** MiB. */
  memory?: number;
  cpu_type?: string;
  /** Template name to clone. */
  clone?: string;
  full_clone?: boolean;
  onboot?: boolean;
  /** Guest agent configured (Terraform-era files say 0/1; normalised to boolean). */
  agent?: boolean | 0 | 1;
  ipconfig0?: string;
  nameserver?: string;
  ciuser?: string;
  sshkeys?: string;
  network?: VmNetwork;
  /** Keyed by PVE disk slot: scsiN, virtioN, sataN. */
  disks?: Record<string, VmDisk>;
  tags?: string[];
  description?: string;
  state?: 'running' | 'stopped';
  protected?: boolean;
  remediation?: 'recreate' | 'restart' | 'none';
  playbook?: string;
  k3s?: VmK3s;
}

/** Where a value came from, for annotations. Lines and columns are 1-based. */
export interface SourcePosition {
  file: string;
  line: number;
  col: number;
}

/**
 * A VM with every default from `pve-gitops.yaml` applied: what plan and apply compare with
 * the cluster. Optional fields stay optional only where "absent" has a meaning of its own.
 */
export interface VmSpec {
  name: string;
  /** Repository-relative path of the file, e.g. `vms/k8s-foo.yaml`. */
  file: string;
  node: string;
  vmid?: number;
  cores: number;
  sockets: number;
  memory: number;
  cpuType: string;
  template: string;
  fullClone: boolean;
  onboot: boolean;
  agent: boolean;
  ipconfig0?: string;
  /** Static IPv4 address from ipconfig0 (no prefix), when there is one. */
  staticIp?: string;
  nameserver?: string;
  ciuser: string;
  sshkeys?: string;
  network: Required<Pick<VmNetwork, 'bridge' | 'model' | 'firewall'>> &
    Pick<VmNetwork, 'vlan' | 'mac'>;
  /** Sorted by slot name; storage filled from defaults. */
  disks: Array<{ slot: string; sizeBytes: number; size: string; storage: string; mount?: string }>;
  /** Lower-cased, sorted, de-duplicated, always including `pve-gitops`. */
  tags: string[];
  description?: string;
  state: 'running' | 'stopped';
  protected: boolean;
  remediation: 'recreate' | 'restart' | 'none';
  playbook?: string;
  k3s?: VmK3s;
}

/** The tag every VM the tool creates carries; only VMs with it are ever deleted or replaced. */
export const OWNER_TAG = 'pve-gitops';

/** The owner tag of a repository: `pve-gitops-<owner_id>`, or `pve-gitops` without one. */
export function ownerTagOf(config: { owner_id?: string }): string {
  return config.owner_id ? `${OWNER_TAG}-${config.owner_id}` : OWNER_TAG;
}
