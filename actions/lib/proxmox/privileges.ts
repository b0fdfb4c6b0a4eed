// What every Proxmox VE call of the client needs, on PVE 8 and on PVE 9: one table that the
// docs' role, `pve-gitops doctor`, plan's privilege check and the tests derive from.
//
// Sources (checked against the code, not guessed):
// - the `permissions` field of each method in vendor/pve-api/pve{8,9}-apischema.json.gz;
// - qemu-server src/PVE/API2/Qemu.pm: `$check_vm_modify_config_perm` (one privilege per
//   config key), `$check_storage_access` (a new disk needs Datastore.AllocateSpace on its
//   storage), `$check_storage_access_clone` (clone: Datastore.AllocateSpace on the storage of
//   every non-CD-ROM disk, or on `storage`), resize_vm (Datastore.AllocateSpace on the disk's
//   storage), and QemuServer.pm `check_bridge_access` → pve-guest-common GuestHelpers.pm
//   `check_vnet_access` (SDN.Use on /sdn/zones/localnetwork/<bridge>[/<vlan>], on clone for
//   the template's NICs and on config for new NICs);
// - pve-manager PVE/API2/Cluster.pm `resources` (VMs need VM.Audit, storages Datastore.Audit,
//   nodes are always listed but their figures stripped without Sys.Audit on /nodes/<n>),
//   PVE/API2/Network.pm (bridges need SDN.Audit or SDN.Use on the localnetwork zone);
// - pve-storage PVE/API2/Storage/Status.pm index (Datastore.Audit or Datastore.AllocateSpace);
// - pve-access-control src/PVE/AccessControl.pm (privileges per release: 9.0 added
//   VM.GuestAgent.* and dropped VM.Monitor, commits 922f710 and 0706945).
import type { HttpMethod } from './transport.js';

export type PveMajor = 8 | 9;

/**
 * One check PVE makes: every privilege of `privs` on `path`, or any one of them with `any`.
 * Path placeholders: {vmid} (the VM called), {newid} (a clone's new VM), {node}, {storage},
 * {bridge} (a NIC's bridge; with a VLAN tag PVE checks <bridge>/<tag>, which the bridge's
 * ACL covers when it propagates).
 */
export interface PrivilegeCheck {
  path: string;
  privs: string[];
  any?: boolean;
}

/** Who calls an endpoint: the flows of the tool. An empty list = a client method no flow uses. */
export type Flow = 'plan' | 'apply' | 'provision' | 'kubeconfig' | 'doctor';

export interface EndpointPrivileges {
  method: HttpMethod;
  /** Path template below /api2/json, as in the API schema. */
  path: string;
  /** What PVE checks, per major. Empty = every authenticated user may call it. */
  checks: Record<PveMajor, PrivilegeCheck[]>;
  /** A list PVE filters silently: entries lacking `checks` are left out (no 403). */
  filtered?: string;
  usedBy: Flow[];
}

const both = (...checks: PrivilegeCheck[]): Record<PveMajor, PrivilegeCheck[]> => ({
  8: checks,
  9: checks,
});
const vm = (...privs: string[]): PrivilegeCheck => ({ path: '/vms/{vmid}', privs });
const alloc: PrivilegeCheck = { path: '/storage/{storage}', privs: ['Datastore.AllocateSpace'] };
const sdnUse: PrivilegeCheck = { path: '/sdn/zones/localnetwork/{bridge}', privs: ['SDN.Use'] };
/** Agent calls: VM.Monitor on PVE 8; on PVE 9 the narrowest VM.GuestAgent.* privilege. */
const agent = (pve9: string): Record<PveMajor, PrivilegeCheck[]> => ({
  8: [vm('VM.Monitor')],
  9: [{ path: '/vms/{vmid}', privs: [pve9, 'VM.GuestAgent.Unrestricted'], any: true }],
});
const power = (a: string, usedBy: Flow[]): EndpointPrivileges => ({
  method: 'POST',
  path: `/nodes/{node}/qemu/{vmid}/status/${a}`,
  checks: both(vm('VM.PowerMgmt')),
  usedBy,
});

/** Every endpoint and method ProxmoxClient calls. A test fails when the client calls another. */
export const ENDPOINTS: EndpointPrivileges[] = [
  { method: 'GET', path: '/version', checks: both(), usedBy: ['plan', 'doctor'] },
  { method: 'GET', path: '/access/permissions', checks: both(), usedBy: ['plan', 'doctor'] },
  {
    method: 'GET',
    path: '/cluster/resources',
    checks: both(
      vm('VM.Audit'),
      { path: '/nodes/{node}', privs: ['Sys.Audit'] },
      { path: '/storage/{storage}', privs: ['Datastore.Audit'] },
    ),
    filtered:
      'VMs without VM.Audit and storages without Datastore.Audit are left out; nodes without Sys.Audit lose their memory and CPU figures',
    usedBy: ['plan', 'provision', 'kubeconfig', 'doctor'],
  },
  { method: 'GET', path: '/cluster/nextid', checks: both(), usedBy: ['apply'] },
  {
    method: 'GET',
    path: '/nodes',
    checks: both({ path: '/nodes/{node}', privs: ['Sys.Audit'] }),
    filtered: 'nodes without Sys.Audit lose their figures',
    usedBy: ['doctor'],
  },
  {
    method: 'GET',
    path: '/nodes/{node}/status',
    checks: both({ path: '/nodes/{node}', privs: ['Sys.Audit'] }),
    usedBy: [],
  },
  {
    method: 'GET',
    path: '/nodes/{node}/network',
    checks: both({
      path: '/sdn/zones/localnetwork/{bridge}',
      privs: ['SDN.Use', 'SDN.Audit'],
      any: true,
    }),
    filtered: 'bridges without SDN.Audit or SDN.Use are left out',
    usedBy: ['plan', 'doctor'],
  },
  {
    method: 'GET',
    path: '/nodes/{node}/storage',
    checks: both({
      path: '/storage/{storage}',
      privs: ['Datastore.Audit', 'Datastore.AllocateSpace'],
      any: true,
    }),
    filtered: 'storages without Datastore.Audit or Datastore.AllocateSpace are left out',
    usedBy: ['plan', 'doctor'],
  },
  {
    method: 'GET',
    path: '/nodes/{node}/qemu',
    checks: both(vm('VM.Audit')),
    filtered: 'VMs without VM.Audit are left out',
    usedBy: [],
  },
  // createVm (vm-operations) is not used by any flow: VMs are always cloned.
  {
    method: 'POST',
    path: '/nodes/{node}/qemu',
    checks: both({ path: '/vms/{vmid}', privs: ['VM.Allocate'] }),
    usedBy: [],
  },
  {
    method: 'POST',
    path: '/nodes/{node}/qemu/{vmid}/clone',
    checks: both(vm('VM.Clone'), { path: '/vms/{newid}', privs: ['VM.Allocate'] }, alloc, sdnUse),
    usedBy: ['apply'],
  },
  {
    method: 'GET',
    path: '/nodes/{node}/qemu/{vmid}/config',
    checks: both(vm('VM.Audit')),
    usedBy: ['plan', 'apply', 'doctor'],
  },
  // Per key: see CONFIG_KEYS below; the schema only says "any VM.Config.*".
  { method: 'PUT', path: '/nodes/{node}/qemu/{vmid}/config', checks: both(), usedBy: ['apply'] },
  { method: 'POST', path: '/nodes/{node}/qemu/{vmid}/config', checks: both(), usedBy: [] },
  {
    method: 'GET',
    path: '/nodes/{node}/qemu/{vmid}/pending',
    checks: both(vm('VM.Audit')),
    usedBy: [],
  },
  {
    method: 'PUT',
    path: '/nodes/{node}/qemu/{vmid}/resize',
    checks: both(vm('VM.Config.Disk'), alloc),
    usedBy: ['apply'],
  },
  {
    method: 'GET',
    path: '/nodes/{node}/qemu/{vmid}/status/current',
    checks: both(vm('VM.Audit')),
    usedBy: ['apply'],
  },
  power('start', ['apply']),
  power('stop', ['apply']),
  power('reset', ['apply']),
  power('resume', ['apply']),
  power('shutdown', []),
  power('reboot', []),
  power('suspend', []),
  {
    method: 'DELETE',
    path: '/nodes/{node}/qemu/{vmid}',
    checks: both(vm('VM.Allocate')),
    usedBy: ['apply'],
  },
  {
    method: 'POST',
    path: '/nodes/{node}/qemu/{vmid}/migrate',
    checks: both(vm('VM.Migrate')),
    usedBy: ['apply'],
  },
  {
    method: 'POST',
    path: '/nodes/{node}/qemu/{vmid}/agent/ping',
    checks: agent('VM.GuestAgent.Audit'),
    usedBy: [],
  },
  {
    method: 'GET',
    path: '/nodes/{node}/qemu/{vmid}/agent/network-get-interfaces',
    checks: agent('VM.GuestAgent.Audit'),
    usedBy: ['plan', 'apply'],
  },
  {
    method: 'GET',
    path: '/nodes/{node}/qemu/{vmid}/agent/file-read',
    checks: agent('VM.GuestAgent.FileRead'),
    usedBy: ['apply', 'provision', 'kubeconfig'],
  },
  // Command execution in the guest: root in every guest. No flow calls it, so the role
  // never grants VM.GuestAgent.Unrestricted.
  {
    method: 'POST',
    path: '/nodes/{node}/qemu/{vmid}/agent/exec',
    checks: { 8: [vm('VM.Monitor')], 9: [vm('VM.GuestAgent.Unrestricted')] },
    usedBy: [],
  },
  {
    method: 'GET',
    path: '/nodes/{node}/qemu/{vmid}/agent/exec-status',
    checks: { 8: [vm('VM.Monitor')], 9: [vm('VM.GuestAgent.Unrestricted')] },
    usedBy: [],
  },
  { method: 'GET', path: '/nodes/{node}/tasks/{upid}/status', checks: both(), usedBy: ['apply'] },
  { method: 'GET', path: '/nodes/{node}/tasks/{upid}/log', checks: both(), usedBy: ['apply'] },
];

/**
 * Config keys the tool writes and the privilege `$check_vm_modify_config_perm` wants for
 * each (the same on PVE 8 and 9). Disks and NICs need more: see configKeyChecks.
 */
export const CONFIG_KEYS: { keys: RegExp; check: PrivilegeCheck }[] = [
  { keys: /^(cores|sockets|cpu|vcpus|numa)$/, check: vm('VM.Config.CPU') },
  { keys: /^(memory|balloon)$/, check: vm('VM.Config.Memory') },
  { keys: /^(name|description|agent|onboot|protection)$/, check: vm('VM.Config.Options') },
  // Tags: VM.Config.Options; Sys.Modify on / only when datacenter.cfg restricts
  // user-tag-access (pve-guest-common assert_tag_permissions). The default is free.
  { keys: /^tags$/, check: vm('VM.Config.Options') },
  { keys: /^net\d+$/, check: vm('VM.Config.Network') },
  {
    keys: /^(ipconfig\d+|nameserver|searchdomain|ciuser|cipassword|sshkeys|citype|ciupgrade)$/,
    check: { path: '/vms/{vmid}', privs: ['VM.Config.Cloudinit', 'VM.Config.Network'], any: true },
  },
  { keys: /^((scsi|virtio|sata|ide)\d+|boot|bootdisk)$/, check: vm('VM.Config.Disk') },
];

/** The checks PVE makes for one config key (and its value: a NIC's bridge, a new disk's storage). */
export function configKeyChecks(key: string, value?: string): PrivilegeCheck[] {
  const out = CONFIG_KEYS.filter((k) => k.keys.test(key)).map((k) => k.check);
  if (/^net\d+$/.test(key) && value) {
    const bridge = /(?:^|,)bridge=([^,]+)/.exec(value)?.[1];
    const tag = /(?:^|,)tag=(\d+)/.exec(value)?.[1];
    if (bridge)
      out.push({
        path: `/sdn/zones/localnetwork/${bridge}${tag ? `/${tag}` : ''}`,
        privs: ['SDN.Use'],
      });
  }
  const newDisk = value && /^([a-z][\w.-]*):\d+(\.\d+)?(,|$)/i.exec(value);
  if (/^(scsi|virtio|sata|ide)\d+$/.test(key) && newDisk)
    out.push({ path: `/storage/${newDisk[1]}`, privs: ['Datastore.AllocateSpace'] });
  return out;
}

/** The table entry for a concrete request, or undefined when the table does not know it. */
export function endpointFor(method: string, path: string): EndpointPrivileges | undefined {
  const parts = path.replace(/\/+$/, '').split('/');
  return ENDPOINTS.find((e) => {
    if (e.method !== method) return false;
    const t = e.path.split('/');
    return t.length === parts.length && t.every((s, i) => s.startsWith('{') || s === parts[i]);
  });
}

export { VALID_PRIVILEGES } from './privilege-names.js';
