import { parseDocument } from 'yaml';
import type { RepoConfig } from '../config/types.js';
import { ConfigurationError } from '../errors.js';
import { groupsOf } from '../inventory/groups.js';

/**
 * Terraform-era VM files (docs/reference/terraform-era-format.md): the Telmate
 * `proxmox_vm_qemu` pipeline's `proxmox/vms/*.yaml`, turned into pve-gitops VM files that
 * carry every value explicitly where that pipeline's default differs from ours, so an adopted
 * VM keeps its firewall, clone mode, agent setting and size.
 */

/** Files that pipeline's own Terraform code skipped: hand-managed machines. */
export const TERRAFORM_EXCLUDED = ['k8s-home.yaml', 'boot-server.yaml'];

/** What one field became: dropped, with why (never its value: it may be a secret). */
export interface Dropped {
  field: string;
  reason: string;
}

export interface ImportedVm {
  /** The Terraform-era file, as given. */
  source: string;
  name: string;
  /** The pve-gitops VM file's fields, in the order they are written. */
  definition: Record<string, unknown>;
  dropped: Dropped[];
  notes: string[];
  /** The inventory groups the VM will be in. */
  groups: string[];
}

const DROP_REASONS: Record<string, string> = {
  cipassword:
    'a password in the repository: pve-gitops takes it from the CI_CLOUDINIT_PASSWORD secret (set that secret; the value is not written)',
  boot: "the boot order stays the template's; pve-gitops does not manage it",
  scsihw: "the SCSI controller stays the template's; pve-gitops does not manage it",
  serial: "serial devices stay the template's; pve-gitops does not manage them",
  skip_ipv6: 'a Terraform provider flag with no Proxmox setting behind it',
  define_connection_info: 'a Terraform provider flag with no Proxmox setting behind it',
  template: 'Terraform-only (null there)',
};

/** The settings that pipeline defaulted differently: the values its VMs really have. */
const THEIR_DEFAULTS = {
  cores: 1,
  sockets: 1,
  memory: 1024,
  cpu_type: 'host',
  full_clone: false,
  onboot: true,
  agent: false,
  firewall: true,
};

type Raw = Record<string, unknown>;
const isMap = (v: unknown): v is Raw => !!v && typeof v === 'object' && !Array.isArray(v);
/** A YAML scalar as text; anything else as JSON, so it is refused by validate, not mangled. */
const scalar = (v: unknown): string =>
  typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean'
    ? String(v)
    : JSON.stringify(v);

function disksOf(raw: Raw, dropped: Dropped[], file: string): Record<string, Raw> | undefined {
  const out: Record<string, Raw> = {};
  const add = (slot: string, d: Raw) => {
    const disk: Raw = { size: scalar(d.size) };
    if (d.storage) disk.storage = scalar(d.storage);
    if (d.mount) disk.mount = scalar(d.mount);
    out[slot] = disk;
  };
  const bad = (what: string) =>
    new ConfigurationError(`${file}: ${what}; fix the file or leave it out of the import.`);
  if (isMap(raw.disks)) {
    for (const [slot, d] of Object.entries(raw.disks)) {
      if (!isMap(d) || d.size === undefined) throw bad(`disks.${slot} has no size`);
      add(slot, d);
    }
  } else if (Array.isArray(raw.disks)) {
    for (const [i, d] of raw.disks.entries()) {
      if (!isMap(d) || typeof d.slot !== 'string') throw bad(`disks[${i}] has no slot`);
      if (d.type === 'cdrom' || d.iso || d.type === 'cloudinit') {
        dropped.push({
          field: `disks[${i}] (${d.slot})`,
          reason:
            d.type === 'cloudinit'
              ? 'the cloud-init drive: PVE keeps it, pve-gitops does not list it'
              : 'an installer ISO: pve-gitops clones templates instead',
        });
        continue;
      }
      if (d.size === undefined) throw bad(`disks[${i}] (${d.slot}) has no size`);
      add(d.slot, d);
    }
  } else if (raw.disks !== undefined && raw.disks !== null)
    throw bad('disks is neither a map nor a list');
  if (isMap(raw.nested_disks)) {
    for (const bus of Object.values(raw.nested_disks)) {
      if (!isMap(bus)) continue;
      for (const [slot, entry] of Object.entries(bus)) {
        if (!isMap(entry)) continue;
        if (isMap(entry.disk)) add(slot, entry.disk);
        else
          dropped.push({
            field: `nested_disks ${slot}`,
            reason: entry.cloudinit
              ? 'the cloud-init drive: PVE keeps it, pve-gitops does not list it'
              : 'an installer ISO: pve-gitops clones templates instead',
          });
      }
    }
  }
  return Object.keys(out).length
    ? Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)))
    : undefined;
}

/** Converts one Terraform-era file's text. Throws a ConfigurationError naming the file. */
export function importTerraformVm(
  text: string,
  source: string,
  config: Pick<RepoConfig, 'defaults' | 'inventory'>,
): ImportedVm {
  const doc = parseDocument(text);
  if (doc.errors.length)
    throw new ConfigurationError(
      `${source} is not valid YAML: ${doc.errors[0].message.split('\n')[0]}`,
    );
  const raw: unknown = doc.toJS();
  if (!isMap(raw))
    throw new ConfigurationError(`${source} does not hold a YAML mapping of VM settings.`);
  if (typeof raw.name !== 'string' || !raw.name)
    throw new ConfigurationError(`${source} has no name, which that pipeline required too.`);
  if (typeof raw.target_node !== 'string' || !raw.target_node)
    throw new ConfigurationError(`${source} (${raw.name}) has no target_node.`);
  const d = config.defaults;
  const dropped: Dropped[] = [];
  const notes: string[] = [];
  const def: Raw = { name: raw.name, target_node: raw.target_node };
  const num = (k: 'cores' | 'sockets' | 'memory', ours: number) => {
    const v = raw[k] === undefined || raw[k] === null ? THEIR_DEFAULTS[k] : Number(raw[k]);
    if (v !== ours) def[k] = v;
  };
  num('cores', d.cores);
  num('sockets', d.sockets);
  num('memory', d.memory);
  const cpu = typeof raw.cpu_type === 'string' ? raw.cpu_type : THEIR_DEFAULTS.cpu_type;
  if (cpu !== d.cpu_type) def.cpu_type = cpu;
  if (typeof raw.clone === 'string') {
    if (raw.clone !== d.template) def.clone = raw.clone;
  } else
    notes.push(
      `no clone: the VM exists already, but should it ever be recreated, pve-gitops clones the default template ${d.template}`,
    );
  // Their defaults: linked clones, no agent, firewall on; ours are the opposite.
  if ((raw.full_clone ?? THEIR_DEFAULTS.full_clone) !== true) def.full_clone = false;
  if ((raw.onboot ?? THEIR_DEFAULTS.onboot) === false) def.onboot = false;
  if (!(raw.agent === true || raw.agent === 1 || raw.agent === '1')) def.agent = false;
  if (raw.vm_state === 'running' || raw.vm_state === 'stopped') def.state = raw.vm_state;
  else if (raw.vm_state !== undefined)
    dropped.push({
      field: 'vm_state',
      reason: `'${scalar(raw.vm_state)}' is neither running nor stopped`,
    });
  for (const k of ['ipconfig0', 'nameserver', 'ciuser', 'sshkeys', 'description'] as const)
    if (typeof raw[k] === 'string' && raw[k]) def[k] = raw[k];
  if (isMap(raw.network)) {
    const n = raw.network;
    const net: Raw = {};
    if (typeof n.bridge === 'string' && n.bridge !== d.bridge) net.bridge = n.bridge;
    if (typeof n.model === 'string' && n.model !== 'virtio') net.model = n.model;
    if ((n.firewall ?? THEIR_DEFAULTS.firewall) !== false) net.firewall = true;
    const vlan = n.vlan ?? n.tag;
    if (vlan !== undefined && vlan !== null && Number(vlan) > 0) net.vlan = Number(vlan);
    if (typeof (n.mac ?? n.macaddr) === 'string') net.mac = scalar(n.mac ?? n.macaddr);
    if (Object.keys(net).length) def.network = net;
  } else def.network = { firewall: true };
  const disks = disksOf(raw, dropped, source);
  if (disks) def.disks = disks;
  if (Array.isArray(raw.tags) || typeof raw.tags === 'string') {
    const tags = (Array.isArray(raw.tags) ? raw.tags.map(String) : raw.tags.split(/[;,\s]+/))
      .map((t) => t.trim().toLowerCase())
      .filter((t) => t && t !== 'terraform');
    if (tags.length) def.tags = tags;
  }
  const known = new Set([
    ...Object.keys(def),
    ...['cores', 'sockets', 'memory', 'cpu_type', 'clone', 'full_clone', 'onboot', 'agent'],
    ...['vm_state', 'network', 'disks', 'nested_disks', 'tags'],
  ]);
  for (const k of Object.keys(raw)) {
    if (DROP_REASONS[k]) dropped.push({ field: k, reason: DROP_REASONS[k] });
    else if (!known.has(k) && raw[k] !== null)
      dropped.push({ field: k, reason: 'not a setting pve-gitops manages' });
  }
  if (raw.name.includes('.'))
    notes.push(
      'the name has dots, which a pve-gitops VM name (an RFC 1123 label) cannot have: validate will refuse it until the VM is renamed in PVE and here',
    );
  const groups = groupsOf(config.inventory.groups, { name: raw.name, k3s: undefined });
  return { source, name: raw.name, definition: def, dropped, notes, groups };
}
