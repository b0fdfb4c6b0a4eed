import { fail, paramError } from '../api-error.js';
import type { Cluster } from '../cluster.js';
import type { ConfigValue, StorageState, VmState } from '../state.js';
import { storagesOn, storageUsed } from './cluster.js';

const KiB = 1024;
/** Storage types whose images are files below a directory (pve-storage: `$scfg->{path}`). */
const fileBased = new Set(['dir', 'nfs', 'cifs', 'glusterfs', 'btrfs', 'cephfs']);
/** Storage types that hand out thin volumes and so overcommit (LVM-thin, Ceph RBD). */
const thin = new Set(['lvmthin', 'rbd']);

/**
 * The storage `id` as qemu-server's checks see it from `node`, or their error:
 * `storage 'x' does not exist`, `storage 'x' is disabled`, `… is not available on node 'n'`
 * (pve-storage PVE/Storage.pm storage_config / storage_check_enabled / storage_check_node).
 */
export function checkedStorage(c: Cluster, id: string, node: string): StorageState {
  const s = c.state.storages.find((x) => x.id === id);
  if (!s) fail(`storage '${id}' does not exist`);
  if (!s.enabled) fail(`storage '${id}' is disabled`);
  if (!storagesOn(c, node).includes(s)) fail(`storage '${id}' is not available on node '${node}'`);
  return s;
}

/** As checkedStorage, plus qemu-server's 400 `errors.storage` for a storage without images. */
export function imageStorage(c: Cluster, id: string, node: string): StorageState {
  const s = checkedStorage(c, id, node);
  if (!s.content.includes('images'))
    paramError({ storage: `storage '${id}' does not support vm images` });
  return s;
}

/** Every volume name a config (with pending values) references. */
function volumesOf(config: Record<string, ConfigValue>): string[] {
  // A linked clone's `st:base-9000-disk-0/vm-500-disk-0` is the volume `st:vm-500-disk-0`.
  return Object.values(config).map((v) =>
    String(v)
      .split(',')[0]
      .replace(/^([^:]+):base-[^/]+\//, '$1:'),
  );
}

/**
 * A new volume id as vdisk_alloc names it: the first free `vm-<vmid>-disk-<n>` on the storage
 * (`<vmid>/vm-<vmid>-disk-<n>.raw` on file-based storages), or `vm-<vmid>-cloudinit`.
 */
export function newVolume(s: StorageState, vm: VmState, taken: string[], kind: 'disk' | 'ci') {
  const ext = fileBased.has(s.type) ? (kind === 'ci' ? '.qcow2' : '.raw') : '';
  const dir = fileBased.has(s.type) ? `${vm.vmid}/` : '';
  if (kind === 'ci') return `${s.id}:${dir}vm-${vm.vmid}-cloudinit${ext}`;
  const used = new Set([...volumesOf(vm.config), ...volumesOf(vm.pending), ...taken]);
  for (let n = 0; ; n++) {
    const vol = `${s.id}:${dir}vm-${vm.vmid}-disk-${n}${ext}`;
    if (!used.has(vol)) return vol;
  }
}

/**
 * Refuses an allocation of `bytes` the storage cannot hold, in the words of its plugin: LVM
 * checks the volume group's free space, ZFS and file storages run out while writing. Thin
 * storages (LVM-thin, RBD) overcommit, as real thin pools do.
 */
export function checkSpace(c: Cluster, s: StorageState, node: string, bytes: number, vol: string) {
  if (thin.has(s.type)) return;
  const free = s.total - storageUsed(c, s, node);
  if (bytes <= free) return;
  if (s.type === 'lvm')
    fail(`not enough free space (${Math.floor(free / KiB)} < ${Math.ceil(bytes / KiB)})`);
  if (s.type === 'zfspool')
    fail(`zfs error: cannot create 'rpool/data/${vol.split(':')[1]}': out of space`);
  fail(
    `qemu-img: ${vol.split(':')[1]}: error while writing at byte ${Math.max(free, 0)}: No space left on device`,
  );
}
