// The permission checks PVE makes in code, beyond the schema's `permissions` field, for the
// calls that create, configure, clone and resize VMs (qemu-server src/PVE/API2/Qemu.pm):
// `$check_vm_modify_config_perm` (one privilege per config key), `$check_storage_access`
// (a new disk: Datastore.AllocateSpace on its storage), `$check_storage_access_clone`,
// resize_vm's storage check, and `check_bridge_access` → pve-guest-common
// `check_vnet_access` (SDN.Use on /sdn/zones/localnetwork/<bridge>, or <bridge>/<tag>).
// They run before the handler, so a refused call changes nothing, as in PVE where they run
// before the worker starts. Written from the PVE sources, not from the client's table, so a
// mistake in that table shows as a test failure.
import { ApiError } from './api-error.js';
import { hasPriv, type Principal } from './auth.js';
import type { Cluster } from './cluster.js';
import { diskKey, disks, parseProps } from './vm-config.js';

const sets = {
  cpu: 'cores cpu runningcpu cpulimit cpuunits numa smp sockets vcpus affinity',
  memory: 'memory balloon shares allow-ksm',
  hwtype: 'acpi hotplug kvm machine runningmachine scsihw smbios1 tablet vga watchdog audio0 rng0',
  general:
    'agent autostart bios description keyboard localtime migrate_downtime migrate_speed name onboot ostype protection reboot startdate startup tdf template',
  disk: 'boot bootdisk vmstatestorage',
  cloudinit: 'cicustom cipassword citype ciuser ciupgrade nameserver searchdomain sshkeys',
};
const inSet = (name: keyof typeof sets, key: string) => sets[name].split(' ').includes(key);
const control = new Set(
  'node vmid digest delete revert skiplock force background_delay start pool unique archive storage live-restore bwlimit'.split(
    ' ',
  ),
);

function need(who: Principal, path: string, privs: string[], any = false): void {
  const ok = any
    ? privs.some((p) => hasPriv(who, path, p))
    : privs.every((p) => hasPriv(who, path, p));
  if (ok) return;
  const what = any ? privs.join('|') : privs.find((p) => !hasPriv(who, path, p));
  throw new ApiError(403, `Permission check failed (${path}, ${what})`);
}

/** check_vnet_access for one NIC value. */
function bridgeAccess(who: Principal, net: string): void {
  const p = parseProps(net);
  if (!p.bridge) return;
  need(who, `/sdn/zones/localnetwork/${p.bridge}${p.tag ? `/${p.tag}` : ''}`, ['SDN.Use']);
}

/** The privileges one config key needs on /vms/<vmid> (and on storages and bridges). */
function keyAccess(
  who: Principal,
  vmid: number,
  key: string,
  value: string | number | undefined,
): void {
  const vmPath = `/vms/${vmid}`;
  if (diskKey.test(key)) {
    if (value === undefined) return need(who, vmPath, ['VM.Config.Disk']);
    const p = parseProps(String(value));
    const vol = p._ ?? p.file ?? '';
    if (p.media === 'cdrom' && !vol.includes('cloudinit'))
      return need(who, vmPath, ['VM.Config.CDROM']);
    need(who, vmPath, ['VM.Config.Disk']);
    const fresh = /^([a-z][\w.-]*):\d+(\.\d+)?$/i.exec(vol);
    if (fresh) need(who, `/storage/${fresh[1]}`, ['Datastore.AllocateSpace']);
    return;
  }
  if (/^(unused|serial|usb|hostpci|virtiofs)\d+$/.test(key) || key === 'cdrom') return;
  if (key === 'tags') return need(who, vmPath, ['VM.Config.Options']);
  if (inSet('cpu', key) || /^numa\d+$/.test(key)) return need(who, vmPath, ['VM.Config.CPU']);
  if (inSet('memory', key)) return need(who, vmPath, ['VM.Config.Memory']);
  if (inSet('hwtype', key)) return need(who, vmPath, ['VM.Config.HWType']);
  if (inSet('general', key)) {
    need(who, vmPath, ['VM.Config.Options']);
    if (key === 'startup') need(who, '/', ['Sys.Modify']);
    return;
  }
  if (inSet('disk', key)) return need(who, vmPath, ['VM.Config.Disk']);
  if (/^net\d+$/.test(key)) {
    need(who, vmPath, ['VM.Config.Network']);
    if (value !== undefined) bridgeAccess(who, String(value));
    return;
  }
  if (inSet('cloudinit', key) || /^ipconfig\d+$/.test(key))
    return need(who, vmPath, ['VM.Config.Cloudinit', 'VM.Config.Network'], true);
  // Other keys (args, hookscript, …) are root's alone: the config handler refuses them.
}

function configAccess(who: Principal, vmid: number, params: Record<string, string | number>): void {
  for (const [k, v] of Object.entries(params)) if (!control.has(k)) keyAccess(who, vmid, k, v);
  for (const k of String(params.delete ?? '')
    .split(/[,;\s]+/)
    .filter(Boolean))
    keyAccess(who, vmid, k, undefined);
}

/** Throws PVE's 403 when a check PVE makes in code fails for this call. */
export function checkInCode(
  who: Principal,
  cluster: Cluster,
  template: string,
  method: string,
  params: Record<string, string | number>,
): void {
  if (who.user === 'root@pam' && !who.tokenId) return;
  const vmid = Number(params.vmid);
  const route = `${method} ${template}`;
  if (route === 'POST /nodes/{node}/qemu') {
    need(who, `/vms/${vmid}`, ['VM.Allocate']);
    configAccess(who, vmid, params);
  } else if (
    route === 'PUT /nodes/{node}/qemu/{vmid}/config' ||
    route === 'POST /nodes/{node}/qemu/{vmid}/config'
  ) {
    configAccess(who, vmid, params);
  } else if (route === 'POST /nodes/{node}/qemu/{vmid}/clone') {
    const src = cluster.vm(vmid);
    if (!src) return;
    const storage = params.storage === undefined ? undefined : String(params.storage);
    for (const d of disks(src.config))
      need(who, `/storage/${storage ?? d.storage}`, ['Datastore.AllocateSpace']);
    for (const [k, v] of Object.entries(src.config))
      if (/^net\d+$/.test(k)) bridgeAccess(who, String(v));
  } else if (route === 'PUT /nodes/{node}/qemu/{vmid}/resize') {
    const vm = cluster.vm(vmid);
    const d = vm && disks(vm.config).find((x) => x.key === params.disk);
    if (d) need(who, `/storage/${d.storage}`, ['Datastore.AllocateSpace']);
  }
}
