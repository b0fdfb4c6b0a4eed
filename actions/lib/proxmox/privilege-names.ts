// The privilege names each Proxmox VE release knows: pve-access-control src/PVE/AccessControl.pm
// `$privgroups` at 8.2.2 (PVE 8.4) and 9.x (922f710 added VM.GuestAgent.*, 5f7544f
// VM.Replicate, 0706945 dropped VM.Monitor), plus Permissions.Modify. `pveum role add` refuses
// any other name with `invalid privilege '…'`.
import type { PveMajor } from './privileges.js';

/** Privileges PVE knows in each major (pve-access-control 8.2.2 and 9.x `$privgroups`). */
export const VALID_PRIVILEGES: Record<PveMajor, string[]> = (() => {
  const common = [
    'Datastore.Allocate',
    'Datastore.AllocateSpace',
    'Datastore.AllocateTemplate',
    'Datastore.Audit',
    'Group.Allocate',
    'Mapping.Audit',
    'Mapping.Modify',
    'Mapping.Use',
    'Permissions.Modify',
    'Pool.Allocate',
    'Pool.Audit',
    'Realm.Allocate',
    'Realm.AllocateUser',
    'SDN.Allocate',
    'SDN.Audit',
    'SDN.Use',
    'Sys.AccessNetwork',
    'Sys.Audit',
    'Sys.Console',
    'Sys.Incoming',
    'Sys.Modify',
    'Sys.PowerMgmt',
    'Sys.Syslog',
    'User.Modify',
    'VM.Allocate',
    'VM.Audit',
    'VM.Backup',
    'VM.Clone',
    'VM.Config.CDROM',
    'VM.Config.CPU',
    'VM.Config.Cloudinit',
    'VM.Config.Disk',
    'VM.Config.HWType',
    'VM.Config.Memory',
    'VM.Config.Network',
    'VM.Config.Options',
    'VM.Console',
    'VM.Migrate',
    'VM.PowerMgmt',
    'VM.Snapshot',
    'VM.Snapshot.Rollback',
  ];
  return {
    8: [...common, 'VM.Monitor'].sort(),
    9: [
      ...common,
      'VM.GuestAgent.Audit',
      'VM.GuestAgent.FileRead',
      'VM.GuestAgent.FileSystemMgmt',
      'VM.GuestAgent.FileWrite',
      'VM.GuestAgent.Unrestricted',
      'VM.Replicate',
    ].sort(),
  };
})();
