import type { VmSpec } from '../vm/types.js';
import { formatNet, formatSize, normaliseIpConfig, normaliseSshKeys } from './parse.js';
import type { DiskGrowth, FieldChange, Scalar } from './plan-types.js';
import type { VmConfigState } from './snapshot-types.js';

/** How a VM's config differs from its definition. */
export interface ConfigDiff {
  changes: FieldChange[];
  grow: DiskGrowth[];
  /** Differences that cannot be changed in place. */
  replaceReasons: string[];
  /** Refusals (disk shrink): the plan fails with these. */
  errors: string[];
  /** Present on the VM but not in the definition; never removed by pve-gitops. */
  warnings: string[];
}

const CLOUD_INIT = 'cloud-init setting: Proxmox stores it now, the guest applies it at next boot';

/** Bytes → GiB for the `storage:SIZE_IN_GiB` allocation syntax. */
export function gib(bytes: number): string {
  return String(Math.round((bytes / 2 ** 30) * 1000) / 1000);
}

/** The net0 string for a spec, with the MAC Proxmox already assigned kept. */
export function desiredNet0(spec: VmSpec, currentMac?: string): string {
  return formatNet({ ...spec.network, mac: spec.network.mac ?? currentMac });
}

/** Compares a definition with a VM's parsed config. Pure. */
export function diffConfig(spec: VmSpec, cfg: VmConfigState): ConfigDiff {
  const d: ConfigDiff = { changes: [], grow: [], replaceReasons: [], errors: [], warnings: [] };
  const add = (
    field: string,
    from: Scalar | undefined,
    to: Scalar | undefined,
    mode: 'hot' | 'reboot',
    note?: string,
  ) => {
    if ((from ?? null) === (to ?? null)) return;
    d.changes.push({ field, from: from ?? null, to: to ?? null, mode, ...(note ? { note } : {}) });
  };

  add('cores', cfg.cores, spec.cores, 'reboot');
  add('sockets', cfg.sockets, spec.sockets, 'reboot');
  add('cpu', cfg.cpu, spec.cpuType, 'reboot');
  add('memory', cfg.memory, spec.memory, cfg.memoryHotplug ? 'hot' : 'reboot');
  const net = cfg.net0;
  const netNow = net ? formatNet({ ...net, bridge: net.bridge ?? '' }) : undefined;
  add('net0', netNow, desiredNet0(spec, net?.mac), 'hot');
  add('agent', cfg.agent, spec.agent, 'reboot', 'the guest-agent channel is added at next start');
  add('onboot', cfg.onboot, spec.onboot, 'hot');
  add('tags', cfg.tags.join(';'), spec.tags.join(';'), 'hot');
  add('description', cfg.description, spec.description?.trim() || undefined, 'hot');
  add(
    'ipconfig0',
    normaliseIpConfig(cfg.ipconfig0),
    normaliseIpConfig(spec.ipconfig0),
    'reboot',
    CLOUD_INIT,
  );
  add('nameserver', cfg.nameserver, spec.nameserver, 'reboot', CLOUD_INIT);
  add('ciuser', cfg.ciuser, spec.ciuser, 'reboot', CLOUD_INIT);
  const keysNow = normaliseSshKeys(cfg.sshkeys);
  const keysWant = normaliseSshKeys(spec.sshkeys);
  if (keysNow !== keysWant) {
    // Keys are long; the diff says how many, not what.
    const count = (k?: string) => (k ? `${k.split('\n').length} key(s)` : null);
    d.changes.push({
      field: 'sshkeys',
      from: count(keysNow),
      to: count(keysWant),
      mode: 'reboot',
      note: CLOUD_INIT,
    });
  }

  if (cfg.template && cfg.template !== spec.template) {
    d.replaceReasons.push(`template changes from ${cfg.template} to ${spec.template}`);
  }
  if (cfg.fullClone !== undefined && cfg.fullClone !== spec.fullClone) {
    d.replaceReasons.push(`full_clone changes from ${cfg.fullClone} to ${spec.fullClone}`);
  }

  const have = new Map(cfg.disks.map((x) => [x.slot, x]));
  for (const want of spec.disks) {
    const cur = have.get(want.slot);
    if (!cur) {
      d.changes.push({
        field: want.slot,
        from: null,
        to: `${want.storage}:${want.size}`,
        mode: 'hot',
        note: 'new disk',
      });
      continue;
    }
    if (cur.storage !== want.storage) {
      d.replaceReasons.push(
        `disk ${want.slot} moves from storage ${cur.storage} to ${want.storage}`,
      );
      continue;
    }
    const size = cur.sizeBytes ?? 0;
    if (want.sizeBytes > size) {
      d.grow.push({
        slot: want.slot,
        storage: want.storage,
        from: formatSize(size),
        to: want.size,
      });
    } else if (want.sizeBytes < size) {
      d.errors.push(
        `VM ${spec.name}: disk ${want.slot} is ${formatSize(size)} and cannot shrink to ` +
          `${want.size}; keep it at ${formatSize(size)} or larger, or recreate the VM with ` +
          `--recreate ${spec.name}.`,
      );
    }
  }
  const wanted = new Set(spec.disks.map((x) => x.slot));
  // A definition without disks takes the template's as they are.
  for (const cur of spec.disks.length ? cfg.disks : []) {
    if (!wanted.has(cur.slot)) {
      d.warnings.push(
        `disk ${cur.slot} (${cur.storage}) is not in the definition; pve-gitops never ` +
          `removes disks.`,
      );
    }
  }
  return d;
}
