import { DEFAULT_CONFIG } from '../config/load.js';
import type { RepoConfig } from '../config/types.js';
import { macProblem } from './addresses.js';
import { inventoryValueProblem, RESERVED_INVENTORY_NAMES } from './ansible-names.js';
import { configuredGroups } from './config-rules.js';
import type { Diagnostic } from './diagnostics.js';
import { mountPointProblem } from './paths.js';
import type { ParsedVm } from './rules.js';
import { showValue } from './show-value.js';
import { positionOf, type PathSegment } from './yaml-source.js';

function at(vm: ParsedVm, where: PathSegment[], message: string): Diagnostic {
  const { line, col } = positionOf(vm.source, where);
  return { file: vm.file, line, col, message, vm: vm.def.name, severity: 'error' };
}

/**
 * Rules about the values of one VM file that reach the inventory (`k3s.join`, mount points)
 * or the network (`network.mac`): what the inventory renderer and the guest would refuse.
 */
export function inventoryValueRules(vm: ParsedVm): Diagnostic[] {
  const out: Diagnostic[] = [];
  const { def } = vm;
  const join = def.k3s?.join;
  if (join !== undefined && join.startsWith('https://')) {
    let why = inventoryValueProblem(join);
    if (!why && !URL.canParse(join)) why = 'is not a URL';
    if (why) out.push(at(vm, ['k3s', 'join'], `\`k3s.join\` ${showValue(join)} ${why}.`));
  }
  for (const [slot, disk] of Object.entries(def.disks ?? {})) {
    if (disk.mount === undefined) continue;
    const why = mountPointProblem(disk.mount);
    if (why)
      out.push(
        at(
          vm,
          ['disks', slot, 'mount'],
          `\`disks.${slot}.mount\` ${showValue(disk.mount)} ${why}.`,
        ),
      );
  }
  const mac = def.network?.mac;
  if (mac !== undefined) {
    const why = macProblem(mac);
    if (why) out.push(at(vm, ['network', 'mac'], `\`network.mac\` ${mac} ${why}.`));
  }
  return out;
}

/**
 * VM names that would take over plays in the inventory: a name equal to a group
 * (`haproxy` beside `haproxy-prod` puts a host and a group `haproxy` in one inventory, and
 * `hosts: haproxy` then reaches both), an Ansible reserved name, or a static host's name.
 */
export function inventoryNameRules(vms: readonly ParsedVm[], config: RepoConfig): Diagnostic[] {
  const groups = configuredGroups(config, DEFAULT_CONFIG.inventory.groups);
  const statics = new Set(config.inventory.static_hosts.map((h) => h.name));
  const out: Diagnostic[] = [];
  for (const vm of vms) {
    const name = vm.def.name;
    if (name === undefined) continue;
    let why: string | undefined;
    if (RESERVED_INVENTORY_NAMES.includes(name))
      why =
        'is reserved by Ansible (all, ungrouped and localhost name every host or the controller)';
    else if (groups.has(name))
      why = `is also an inventory group in pve-gitops.yaml; \`hosts: ${name}\` would reach both`;
    else if (statics.has(name))
      why = 'is also an inventory.static_hosts name in pve-gitops.yaml; rename one of them';
    if (why) out.push(at(vm, ['name'], `VM name ${name} ${why}.`));
  }
  return out;
}
