/**
 * Which VMs belong to this repository. Its owner tag is `pve-gitops`, or `pve-gitops-<id>`
 * with `owner_id` set in pve-gitops.yaml, so repositories sharing a cluster never touch each
 * other's VMs. A VM an apply cloned but never finished carries the owner in its notes (the
 * clone call wrote it, see clone-step.ts) before it has any tag.
 */
import { OWNER_TAG } from '../vm/types.js';
import type { VmState } from './snapshot-types.js';

/** Half-made by an apply of this owner: its notes name the owner and still say `building`. */
const halfMadeBy = (vm: VmState, owner: string) =>
  vm.config?.owner === owner && !!vm.config.building;

/**
 * Ours to manage when a file names it: this repository's tag, the tag every VM got before
 * owner ids existed (`pve-gitops`), or half-made by us. A finished VM is owned by its tag
 * alone, so removing the tag still releases it.
 */
export function isOwned(vm: VmState, owner: string = OWNER_TAG): boolean {
  return vm.tags.includes(owner) || vm.tags.includes(OWNER_TAG) || halfMadeBy(vm, owner);
}

/**
 * Ours to delete when no file names it: this repository's own tag only. With an owner_id set,
 * a VM carrying just the older shared tag may belong to another repository, so prune leaves it.
 */
export function isPrunable(vm: VmState, owner: string = OWNER_TAG): boolean {
  return vm.tags.includes(owner) || halfMadeBy(vm, owner);
}
