/**
 * Parsers for the strings Proxmox keeps in a VM config (`net0`, `scsi0`, `tags`, sizes), so
 * plan compares values, not spellings.
 */

const UNITS: Record<string, number> = { K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 };

/** `32G`, `512M`, `1.5T`, `1024` (bytes) → bytes; undefined when malformed. */
export function parseSize(text: string | undefined): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([KMGT])?B?\s*$/i.exec(text ?? '');
  if (!m) return undefined;
  return Math.round(Number(m[1]) * (m[2] ? UNITS[m[2].toUpperCase()] : 1));
}

/** Bytes → the largest unit that divides exactly (`32G`, `1536M`). */
export function formatSize(bytes: number): string {
  for (const u of ['T', 'G', 'M', 'K'] as const) {
    if (bytes >= UNITS[u] && bytes % UNITS[u] === 0) return `${bytes / UNITS[u]}${u}`;
  }
  return String(bytes);
}

/** `a=1,b=2,plain` → {a: '1', b: '2', plain: ''} keeping order. */
export function parsePropertyString(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of text.split(',')) {
    if (!part) continue;
    const i = part.indexOf('=');
    if (i < 0) out.set(part, '');
    else out.set(part.slice(0, i), part.slice(i + 1));
  }
  return out;
}

export const NIC_MODELS = ['virtio', 'e1000', 'e1000e', 'rtl8139', 'vmxnet3'] as const;

export interface ParsedNet {
  model: string;
  mac?: string;
  bridge?: string;
  firewall: boolean;
  vlan?: number;
}

/** `virtio=BC:24:11:2E:C5:4A,bridge=vmbr0,firewall=1,tag=10` (or `model=virtio,macaddr=…`). */
export function parseNet(text: string | undefined): ParsedNet | undefined {
  if (!text) return undefined;
  const p = parsePropertyString(text);
  let model = p.get('model');
  let mac = p.get('macaddr');
  for (const m of NIC_MODELS) {
    if (p.has(m)) {
      model = m;
      mac = p.get(m) || mac;
    }
  }
  const tag = p.get('tag');
  return {
    model: model ?? 'virtio',
    mac: mac ? mac.toUpperCase() : undefined,
    bridge: p.get('bridge'),
    firewall: p.get('firewall') === '1',
    vlan: tag ? Number(tag) : undefined,
  };
}

/** The net0 string pve-gitops writes for a desired network. */
export function formatNet(net: {
  model: string;
  bridge: string;
  firewall: boolean;
  vlan?: number;
  mac?: string;
}): string {
  const parts = [
    net.mac ? `${net.model}=${net.mac.toUpperCase()}` : net.model,
    `bridge=${net.bridge}`,
  ];
  parts.push(`firewall=${net.firewall ? 1 : 0}`);
  if (net.vlan !== undefined) parts.push(`tag=${net.vlan}`);
  return parts.join(',');
}

export interface ParsedDisk {
  storage: string;
  volume: string;
  sizeBytes?: number;
  /** A linked clone's volume names its base: `base-9000-disk-0/vm-100-disk-0`. */
  linked: boolean;
}

/** Disk slots pve-gitops manages (cloud-init and CD drives have `media=cdrom`). */
export const DISK_SLOT_RE = /^(scsi|virtio|sata|ide)\d+$/;

/** `local-lvm:vm-100-disk-0,iothread=1,size=32G` → parts; undefined for CD-ROMs and `none`. */
export function parseDisk(text: string | undefined): ParsedDisk | undefined {
  if (!text) return undefined;
  const p = parsePropertyString(text);
  if (p.get('media') === 'cdrom') return undefined;
  const first = text.split(',')[0] ?? '';
  const colon = first.indexOf(':');
  if (colon < 0 || first === 'none') return undefined;
  const volume = first.slice(colon + 1);
  if (/cloudinit/.test(volume)) return undefined;
  return {
    storage: first.slice(0, colon),
    volume,
    sizeBytes: parseSize(p.get('size')),
    linked: /^base-\d+-disk-\d+\//.test(volume),
  };
}

/** PVE tags: `a;b`, also `,` or space separated; lower-cased, sorted, de-duplicated. */
export function parseTags(text: string | undefined): string[] {
  if (!text) return [];
  return [
    ...new Set(
      text
        .split(/[;, ]+/)
        .map((t) => t.trim().toLowerCase())
        .filter(Boolean),
    ),
  ].sort();
}

/** Order-insensitive form of `ip=10.0.0.5/24,gw=10.0.0.1`, for comparison. */
export function normaliseIpConfig(text: string | undefined): string | undefined {
  if (!text) return undefined;
  return [...parsePropertyString(text).entries()]
    .map(([k, v]) => `${k}=${v}`)
    .sort()
    .join(',');
}

/** The address part of `ip=10.0.0.5/24` (undefined for dhcp or absent). */
export function staticIpOf(ipconfig: string | undefined): string | undefined {
  const ip = ipconfig ? parsePropertyString(ipconfig).get('ip') : undefined;
  if (!ip || ip === 'dhcp') return undefined;
  return ip.split('/')[0];
}

/** Boolean-ish config value: `1`, `enabled=1,fstrim_cloned_disks=0`, `0`. */
export function parseFlag(value: string | number | undefined): boolean {
  if (value === undefined) return false;
  const s = String(value);
  if (s === '1') return true;
  if (s === '0' || s === '') return false;
  return parsePropertyString(s).get('enabled') === '1';
}

/** `memory` is a number, a string, or `current=4096` (PVE ≥ 8.1 property form). */
export function parseMemory(value: string | number | undefined): number | undefined {
  if (value === undefined) return undefined;
  const s = String(value);
  const n = Number(parsePropertyString(s).get('current') ?? s);
  return Number.isFinite(n) ? n : undefined;
}

/** `host` or `cputype=host,flags=+aes` → the CPU type. */
export function parseCpu(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const p = parsePropertyString(value);
  return p.get('cputype') ?? value.split(',')[0];
}

/** Decodes the percent-encoded `sshkeys` PVE stores; returns text as-is when not encoded. */
export function decodeSshKeys(value: string | undefined): string | undefined {
  if (!value) return undefined;
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** Canonical form of an authorized_keys text: trimmed lines, no blanks. */
export function normaliseSshKeys(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const lines = value
    .split('\n')
    .map((l) => l.trim().replace(/\s+/g, ' '))
    .filter(Boolean);
  return lines.length ? lines.join('\n') : undefined;
}
