import { createHash } from 'node:crypto';
import { configKeySchema } from './schema.js';
import type { ConfigValue, VmState } from './state.js';

const units: Record<string, number> = { K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };
export const diskKey = /^(scsi|virtio|sata|ide|efidisk|tpmstate)\d+$/;

/** `32G` / `512M` / `1073741824` → bytes. */
export function parseSize(s: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)([KMGT])?$/.exec(s);
  return m ? Math.round(Number(m[1]) * (m[2] ? units[m[2]] : 1)) : undefined;
}

/** Bytes → PVE's compact form (`32G`, `3584M`). */
export function formatSize(bytes: number): string {
  for (const u of ['T', 'G', 'M', 'K'])
    if (bytes % units[u] === 0) return `${bytes / units[u]}${u}`;
  return String(bytes);
}

/** Parses `virtio=AA:..,bridge=vmbr0` into keys; the first key-less part is `_`. */
export function parseProps(v: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of v.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) out._ = part;
    else out[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return out;
}

/** The disks of a VM (not cloud-init or CD-ROM drives) with their volume and size. */
export function disks(
  config: Record<string, ConfigValue>,
): { key: string; storage: string; volume: string; size: number }[] {
  const out = [];
  for (const [key, v] of Object.entries(config)) {
    if (!diskKey.test(key) || typeof v !== 'string') continue;
    const p = parseProps(v);
    const vol = p._ ?? p.file ?? '';
    if (p.media === 'cdrom' || vol.includes('cloudinit') || vol === 'none') continue;
    out.push({
      key,
      storage: vol.split(':')[0],
      volume: vol,
      size: parseSize(p.size ?? '0') ?? 0,
    });
  }
  return out;
}

/** Memory in MiB from the `memory` property string (`2048` or `current=2048`). */
export function memoryMiB(config: Record<string, ConfigValue>): number {
  const p = parseProps(String(config.memory ?? '512'));
  return Number(p.current ?? p._ ?? 512);
}

/** Stores a value with the type PVE returns for its key (numbers for integer/boolean). */
export function typed(key: string, v: string | number): ConfigValue {
  const s = configKeySchema(key);
  if (s?.type === 'integer' || s?.type === 'boolean' || s?.type === 'number') return Number(v);
  if (key === 'tags') return normaliseTags(String(v));
  return String(v);
}

/** Tags lower-cased, sorted, de-duplicated, `;`-joined. */
export function normaliseTags(v: string): string {
  return [
    ...new Set(
      v
        .split(/[,; ]+/)
        .filter(Boolean)
        .map((t) => t.toLowerCase()),
    ),
  ]
    .sort()
    .join(';');
}

/** SHA-1 digest of the config as PVE computes it over the file (here: over sorted keys). */
export function digestOf(vm: VmState): string {
  const text = Object.keys(vm.config)
    .sort()
    .map((k) => `${k}: ${vm.config[k]}`)
    .join('\n');
  return createHash('sha1').update(text).digest('hex');
}

/** Keys a running VM cannot change without a reboot (no CPU/memory hotplug configured). */
export function needsReboot(key: string, vm: VmState): boolean {
  const hotplug = String(vm.config.hotplug ?? 'network,disk,usb');
  if (key === 'memory') return !hotplug.includes('memory');
  if (key === 'cores' || key === 'sockets' || key === 'cpu' || key === 'numa' || key === 'machine')
    return true;
  if (/^(net|scsi|virtio|sata)\d+$/.test(key)) return false;
  return ['bios', 'ostype', 'vga', 'scsihw', 'args', 'hotplug', 'serial0', 'agent'].includes(key);
}

/** The config as `GET .../config` returns it: cipassword masked, plus digest. */
export function publicConfig(vm: VmState, current = true): Record<string, ConfigValue> {
  const cfg: Record<string, ConfigValue> = { ...vm.config };
  if (!current) {
    Object.assign(cfg, vm.pending);
    for (const k of vm.pendingDelete) delete cfg[k];
  }
  if (cfg.cipassword !== undefined) cfg.cipassword = '**********';
  cfg.digest = digestOf(vm);
  return cfg;
}
