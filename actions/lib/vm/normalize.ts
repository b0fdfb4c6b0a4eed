import type { RepoConfig } from '../config/types.js';
import { parseIpConfig } from './ipconfig.js';
import { OWNER_TAG, ownerTagOf, type VmDefinition, type VmSpec } from './types.js';

const UNIT_BYTES: Record<string, number> = { K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

/** Bytes of a size like `32G` (units are powers of 1024), or undefined when it is not one. */
export function parseSize(size: string): number | undefined {
  const m = /^([1-9][0-9]*)([KMGT])$/.exec(size);
  return m ? Number(m[1]) * UNIT_BYTES[m[2]] : undefined;
}

/** Orders disk slots by bus, then by number: sata0, scsi0, scsi1, scsi10, virtio0. */
export function compareSlots(a: string, b: string): number {
  const [, busA = a, numA = '0'] = /^([a-z]+)([0-9]+)$/.exec(a) ?? [];
  const [, busB = b, numB = '0'] = /^([a-z]+)([0-9]+)$/.exec(b) ?? [];
  return busA < busB ? -1 : busA > busB ? 1 : Number(numA) - Number(numB);
}

/** Lower-cased, sorted, de-duplicated tags, always with the owner tag (as PVE stores them). */
export function normalizeTags(tags: readonly string[] = [], owner: string = OWNER_TAG): string[] {
  return [...new Set([...tags.map((t) => t.toLowerCase()), owner])].sort();
}

/** A schema-valid definition with every default from the repository configuration applied. */
export function toVmSpec(def: VmDefinition, file: string, config: RepoConfig): VmSpec {
  const d = config.defaults;
  const ip = def.ipconfig0 ? parseIpConfig(def.ipconfig0) : undefined;
  const staticIp =
    ip?.ok && ip.value.ip && ip.value.ip !== 'dhcp' ? ip.value.ip.address : undefined;
  const isProtected = def.protected ?? false;
  const nameserver = def.nameserver ?? d.nameserver;
  const spec: VmSpec = {
    name: def.name,
    file,
    node: def.target_node ?? '',
    cores: def.cores ?? d.cores,
    sockets: def.sockets ?? d.sockets,
    memory: def.memory ?? d.memory,
    cpuType: def.cpu_type ?? d.cpu_type,
    template: def.clone ?? d.template,
    fullClone: def.full_clone ?? true,
    onboot: def.onboot ?? true,
    agent: def.agent === undefined ? true : Boolean(def.agent),
    ciuser: def.ciuser ?? d.ciuser,
    network: {
      bridge: def.network?.bridge ?? d.bridge,
      model: def.network?.model ?? 'virtio',
      firewall: def.network?.firewall ?? false,
      ...(def.network?.vlan !== undefined ? { vlan: def.network.vlan } : {}),
      ...(def.network?.mac !== undefined ? { mac: def.network.mac.toUpperCase() } : {}),
    },
    disks: Object.entries(def.disks ?? {})
      .sort(([a], [b]) => compareSlots(a, b))
      .map(([slot, disk]) => ({
        slot,
        size: disk.size,
        sizeBytes: parseSize(disk.size) ?? 0,
        storage: disk.storage ?? d.storage,
        ...(disk.mount !== undefined ? { mount: disk.mount } : {}),
      })),
    tags: normalizeTags(def.tags, ownerTagOf(config)),
    state: def.state ?? 'running',
    protected: isProtected,
    // A protected VM is never recreated, so its default remedy is a restart.
    remediation: def.remediation ?? (isProtected ? 'restart' : 'recreate'),
  };
  if (def.vmid !== undefined) spec.vmid = def.vmid;
  if (def.ipconfig0 !== undefined) spec.ipconfig0 = def.ipconfig0;
  if (staticIp) spec.staticIp = staticIp;
  if (nameserver !== undefined) spec.nameserver = nameserver;
  if (def.sshkeys !== undefined) spec.sshkeys = def.sshkeys;
  if (def.description !== undefined) spec.description = def.description;
  if (def.playbook !== undefined) spec.playbook = def.playbook;
  if (def.k3s) spec.k3s = { ...def.k3s };
  return spec;
}
