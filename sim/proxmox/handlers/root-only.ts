import { fail, paramError } from '../api-error.js';
import type { Principal } from '../auth.js';
import { num, type HandlerContext } from '../context.js';
import { diskKey } from '../vm-config.js';

// The option groups of qemu-server's $check_vm_modify_config_perm (src/PVE/API2/Qemu.pm).
// Keys in a group need a VM.Config.* privilege (checked by the permission model); any other
// key ("catches args, lock, etc.") is root@pam's alone.
const grouped = new Set([
  // $cpuoptions
  'cores',
  'cpu',
  'runningcpu',
  'cpulimit',
  'cpuunits',
  'numa',
  'smp',
  'sockets',
  'vcpus',
  // $memoryoptions
  'memory',
  'balloon',
  'shares',
  'allow-ksm',
  // $hwtypeoptions
  'acpi',
  'hotplug',
  'kvm',
  'machine',
  'runningmachine',
  'scsihw',
  'smbios1',
  'tablet',
  'vga',
  'watchdog',
  'audio0',
  'rng0',
  // $generaloptions
  'agent',
  'autostart',
  'bios',
  'description',
  'keyboard',
  'localtime',
  'migrate_downtime',
  'migrate_speed',
  'name',
  'onboot',
  'ostype',
  'protection',
  'reboot',
  'startdate',
  'startup',
  'tdf',
  'template',
  // $vmpoweroptions, $diskoptions
  'freeze',
  'boot',
  'bootdisk',
  'vmstatestorage',
  // $cloudinitoptions
  'cicustom',
  'cipassword',
  'citype',
  'ciuser',
  'ciupgrade',
  'nameserver',
  'searchdomain',
  'sshkeys',
  'vmstate',
  'running-nets-host-mtu',
]);

/** Whether the caller is root@pam itself: `$authuser eq 'root@pam'`, which no token is. */
export const isRoot = (who: Principal): boolean => who.user === 'root@pam' && !who.tokenId;

/**
 * Refuses config keys only root@pam may set (`args`, `hookscript`, `lock`, `vmgenid`, …) with
 * qemu-server's 500 `only root can set 'args' config`. Drives, NICs, ipconfigN and the other
 * grouped keys pass here; their privileges are the permission model's business.
 */
export function checkRootOnlyKeys(who: Principal, keys: string[]): void {
  if (isRoot(who)) return;
  for (const k of keys) {
    if (diskKey.test(k) || /^(ide|sata|scsi|virtio)\d+$/.test(k) || k === 'cdrom') continue;
    if (/^(?:unused|serial|usb|hostpci|virtiofs|net|numa|ipconfig)\d+$/.test(k)) continue;
    if (k === 'tags' || grouped.has(k)) continue;
    fail(`only root can set '${k}' config`);
  }
}

/** skiplock is root@pam's alone (not its tokens), as in PVE. */
export function skiplock(ctx: HandlerContext): boolean {
  if (!num(ctx, 'skiplock')) return false;
  if (!isRoot(ctx.who)) paramError({ skiplock: 'Only root may use this option.' });
  return true;
}
