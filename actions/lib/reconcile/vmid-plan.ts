/**
 * VMIDs fixed before the first clone. Each new VM's id is derived from its name within the
 * repository's `vmid_range` (as Sidero's Omni Proxmox provider does with its `vmid_range`), so
 * two applies of one repository state aim their clones at the same id and Proxmox's own atomic
 * check (`unable to create VM <id>: config file already exists`, qemu-server's clone_vm)
 * makes the second one lose instead of making a second VM. See docs/plan-and-apply.md.
 */
import type { ClusterSnapshot } from './snapshot-types.js';

export interface VmidRange {
  min: number;
  max: number;
}

/** FNV-1a, 32 bits: stable across machines and Node versions. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** Every id of the range once, starting at the one the name hashes to. */
export function* candidateVmids(name: string, range: VmidRange): Generator<number> {
  const size = range.max - range.min + 1;
  const start = fnv1a(name) % size;
  for (let i = 0; i < size; i++) yield range.min + ((start + i) % size);
}

/**
 * The id each VM to create gets: the first candidate of its name that no template, no VM with
 * another name, no fixed `vmid` of a definition and no earlier name (in name order) holds. A
 * VM without a name yet (a clone in progress shows none) does not make an id taken: it may be
 * this very VM being created by another run, and the clone then finds out.
 *
 * `names` should be every definition missing from the cluster, not only the ones planned now
 * (`--only`), so that runs with different selections still agree.
 */
export function assignVmids(
  names: string[],
  snapshot: ClusterSnapshot,
  range: VmidRange,
  reserved: Iterable<number> = [],
): Map<string, number> {
  const holders = new Map<number, string>();
  for (const t of snapshot.templates) holders.set(t.vmid, `\0template ${t.name}`);
  for (const v of snapshot.vms) if (v.name) holders.set(v.vmid, v.name);
  const taken = new Set<number>(reserved);
  const out = new Map<string, number>();
  for (const name of [...new Set(names)].sort()) {
    for (const id of candidateVmids(name, range)) {
      const holder = holders.get(id);
      if (taken.has(id) || (holder !== undefined && holder !== name)) continue;
      out.set(name, id);
      taken.add(id);
      break;
    }
  }
  return out;
}

/** The next candidate after `vmid` for `name`, skipping `skip`; undefined when none is left. */
export function nextCandidate(
  name: string,
  range: VmidRange,
  after: number,
  skip: ReadonlySet<number>,
): number | undefined {
  let seen = false;
  for (const id of candidateVmids(name, range)) {
    if (seen && !skip.has(id)) return id;
    if (id === after) seen = true;
  }
  return undefined;
}
