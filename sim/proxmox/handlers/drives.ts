// How qemu-server turns drive and NIC values into what it stores (src/PVE/API2/Qemu.pm
// create_disks, vmconfig_delete_or_detach_drive): new volumes, cloud-init drives, sizes of
// existing volumes, detached disks kept as unusedN.
import { fail } from '../api-error.js';
import type { Cluster } from '../cluster.js';
import { macFor } from '../fixture.js';
import type { ConfigValue, StorageState, VmState } from '../state.js';
import { diskKey, formatSize, parseProps, parseSize, typed } from '../vm-config.js';
import { nodeOf } from './cluster.js';
import { unusedKey } from './disks.js';
import { checkSpace, checkedStorage, imageStorage, newVolume } from './volumes.js';

/** A volume a config change allocates: checked for room when the allocation happens. */
export interface Allocation {
  storage: StorageState;
  bytes: number;
  volume: string;
}

/**
 * Normalises one new config value as qemu-server prints it: MACs for NICs, `storage:SIZE`
 * disks become `storage:vm-<id>-disk-<n>,size=…`, `storage:cloudinit` becomes
 * `storage:vm-<id>-cloudinit,media=cdrom` (API2/Qemu.pm create_disks). New volumes are pushed
 * to `allocs` for the caller to check for room.
 */
export function normalise(
  c: Cluster,
  vm: VmState,
  key: string,
  value: string | number,
  allocs: Allocation[],
): ConfigValue {
  if (/^net\d+$/.test(key)) {
    const p = parseProps(String(value));
    const bridge = p.bridge;
    if (bridge && !nodeOf(c, vm.node).bridges.some((b) => b.iface === bridge))
      fail(`bridge '${bridge}' does not exist`);
    const models = ['virtio', 'e1000', 'e1000e', 'rtl8139', 'vmxnet3'];
    const model = p.model ?? models.find((m) => m in p) ?? 'virtio';
    const mac = p.macaddr ?? p[model] ?? macFor(vm.vmid, Number(key.slice(3)) + 1);
    const rest = Object.entries(p).filter(
      ([k]) => k !== 'model' && k !== 'macaddr' && k !== model && k !== '_',
    );
    return [`${model}=${mac}`, ...rest.map(([k, v]) => `${k}=${v}`)].join(',');
  }
  if (diskKey.test(key) && typeof value === 'string') {
    const p = parseProps(value);
    const vol = p._ ?? p.file ?? '';
    const rest = Object.entries(p).filter(
      ([k]) => k !== '_' && k !== 'file' && k !== 'size' && k !== 'format',
    );
    const ci = /^([a-z][\w.-]*):cloudinit$/i.exec(vol);
    if (ci) {
      const st = checkedStorage(c, ci[1], vm.node);
      const other = Object.entries({ ...vm.config, ...vm.pending }).find(
        ([k, v]) => k !== key && diskKey.test(k) && /cloudinit/.test(String(v)),
      );
      if (other) fail(`${key} - cloud-init drive is already attached at '${other[0]}'`);
      const volume = newVolume(st, vm, [], 'ci');
      allocs.push({ storage: st, bytes: 4 * 1024 ** 2, volume });
      const media = rest.filter(([k]) => k !== 'media').map(([k, v]) => `${k}=${v}`);
      return [volume, 'media=cdrom', ...media].join(',');
    }
    const m = /^([a-z][\w.-]*):(\d+(?:\.\d+)?)$/i.exec(vol);
    if (!m && vol.includes(':') && p.media !== 'cdrom') {
      // An existing volume: create_disks reads its size from the storage.
      const size = volumeSize(c, vm, vol);
      if (!size) fail(`volume ${vol} does not exist`);
      return [vol, ...rest.map(([k, v]) => `${k}=${v}`), `size=${formatSize(size)}`].join(',');
    }
    if (m) {
      const st = imageStorage(c, m[1], vm.node);
      const volume = newVolume(
        st,
        vm,
        allocs.map((a) => a.volume),
        'disk',
      );
      const bytes = Math.round(Number(m[2]) * 1024 ** 3);
      allocs.push({ storage: st, bytes, volume });
      return [volume, ...rest.map(([k, v]) => `${k}=${v}`), `size=${formatSize(bytes)}`].join(',');
    }
  }
  return typed(key, value);
}

/** The size of an existing volume, as the VMs' drives (or a detached volume's record) know it. */
function volumeSize(c: Cluster, vm: VmState, vol: string): number | undefined {
  const known = vm.volumeSizes?.[vol];
  if (known) return known;
  for (const other of c.vms())
    for (const v of Object.values(other.config)) {
      const p = parseProps(String(v));
      if ((p._ ?? p.file) === vol && p.size) return parseSize(p.size);
    }
  return undefined;
}

/** Checks every allocation for room on its storage, one after the other as PVE allocates. */
export function allocate(c: Cluster, node: string, allocs: Allocation[]): void {
  const pending = new Map<string, number>();
  for (const a of allocs) {
    const before = pending.get(a.storage.id) ?? 0;
    checkSpace(c, a.storage, node, a.bytes + before, a.volume);
    pending.set(a.storage.id, before + a.bytes);
  }
}

/**
 * vmconfig_delete_or_detach_drive: a detached disk the VM owns stays as `unusedN` (only
 * `force` frees it); CD-ROM and cloud-init drives just go.
 */
export function keepDetachedVolume(vm: VmState, key: string, force: boolean): void {
  const v = vm.config[key];
  if (!diskKey.test(key) || v === undefined || force) return;
  const p = parseProps(String(v));
  const vol = p._ ?? p.file ?? '';
  if (p.media === 'cdrom' || vol.includes('cloudinit') || !vol.includes(`-${vm.vmid}-disk-`))
    return;
  vm.config[unusedKey(vm)] = vol;
  vm.volumeSizes = { ...vm.volumeSizes, [vol]: parseSize(p.size ?? '0') ?? 0 };
}

/**
 * check_storage_access for new disks (`storage:SIZE`): the storage must exist (500) and hold
 * images (400 `errors.storage`), before any lock is taken.
 */
export function checkDriveStorages(
  c: Cluster,
  node: string,
  values: [string, string | number][],
): void {
  for (const [key, value] of values) {
    if (!diskKey.test(key) || typeof value !== 'string') continue;
    const p = parseProps(value);
    const m = /^([a-z][\w.-]*):(\d+(?:\.\d+)?)$/i.exec(p._ ?? p.file ?? '');
    if (m) imageStorage(c, m[1], node);
  }
}
