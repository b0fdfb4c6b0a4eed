import path from 'node:path';
import type { RepoConfig } from '../config/types.js';
import type { Diagnostic } from './diagnostics.js';
import { duplicates } from './duplicates.js';
import { inventoryNameRules, inventoryValueRules } from './inventory-rules.js';
import { pveParamRules } from './pve-param-rules.js';
import { parseIpConfig } from './ipconfig.js';
import { closest } from './suggest.js';
import type { VmDefinition } from './types.js';
import { positionOf, type PathSegment, type YamlSource } from './yaml-source.js';

/** A VM file that parsed as a mapping; `def` holds the keys that passed the schema. */
export interface ParsedVm {
  file: string;
  source: YamlSource;
  def: VmDefinition;
  /** Top-level keys the schema refused, left out of `def` (so `name` may be absent). */
  omitted?: ReadonlySet<string>;
}

/** Where the cross-file rules report: positions kept for every file (vm/load.ts). */
export const CROSS_FILE_PATHS: ReadonlyArray<readonly PathSegment[]> = [
  ['name'],
  ['vmid'],
  ['ipconfig0'],
  ['network', 'mac'],
];

/** What the rules need to know about the repository besides the VM files. */
export interface RuleContext {
  config: RepoConfig;
  /** Names of the playbooks ansible-playbook can run (files in playbooks/ without .yml/.yaml). */
  playbooks: ReadonlySet<string>;
  /** Why `playbooks/<name>.yml` cannot run (vm/playbooks.ts), when it is not in `playbooks`. */
  playbookProblem?: (name: string) => string | undefined;
}

function at(
  vm: ParsedVm,
  where: PathSegment[],
  message: string,
  what: 'key' | 'value' = 'value',
): Diagnostic {
  const { line, col } = positionOf(vm.source, where, what);
  return { file: vm.file, line, col, message, vm: vm.def.name, severity: 'error' };
}

function notListed(kind: string, value: string, list: string[], setting: string): string {
  const guess = closest(value, list);
  const hint = guess ? `did you mean ${guess}?` : `pve-gitops.yaml lists ${list.join(', ')}.`;
  return `${kind} \`${value}\` (${setting}) is not in \`${kind}s\` of pve-gitops.yaml; ${hint}`;
}

/** The base name of a file without .yaml/.yml. */
export function fileStem(file: string): string {
  return path.basename(file).replace(/\.ya?ml$/, '');
}

/** Rules about one file: its name, ipconfig0, and the names it refers to. */
export function fileRules(vm: ParsedVm, ctx: RuleContext): Diagnostic[] {
  const { def } = vm;
  const { config } = ctx;
  const out: Diagnostic[] = [];
  const stem = fileStem(vm.file);
  if (def.name !== undefined && def.name !== stem) {
    out.push(
      at(
        vm,
        ['name'],
        `\`name: ${def.name}\` does not match the file name ${path.basename(vm.file)}; rename the file to ${def.name}${path.extname(vm.file)} or set \`name: ${stem}\`.`,
      ),
    );
  }
  if (def.ipconfig0 !== undefined) {
    const ip = parseIpConfig(def.ipconfig0);
    if (!ip.ok) out.push(at(vm, ['ipconfig0'], `\`ipconfig0\` ${ip.error}.`));
  }
  out.push(...inventoryValueRules(vm), ...pveParamRules(vm));
  const nodes = config.nodes.map((n) => n.name);
  if (nodes.length && def.target_node !== undefined && !nodes.includes(def.target_node)) {
    out.push(at(vm, ['target_node'], notListed('node', def.target_node, nodes, 'target_node')));
  }
  if (
    config.bridges.length &&
    def.network?.bridge &&
    !config.bridges.includes(def.network.bridge)
  ) {
    out.push(
      at(
        vm,
        ['network', 'bridge'],
        notListed('bridge', def.network.bridge, config.bridges, 'network.bridge'),
      ),
    );
  }
  if (config.templates.length && def.clone && !config.templates.includes(def.clone)) {
    out.push(at(vm, ['clone'], notListed('template', def.clone, config.templates, 'clone')));
  }
  for (const [slot, disk] of Object.entries(def.disks ?? {})) {
    if (config.storages.length && disk.storage && !config.storages.includes(disk.storage)) {
      out.push(
        at(
          vm,
          ['disks', slot, 'storage'],
          notListed('storage', disk.storage, config.storages, `disks.${slot}.storage`),
        ),
      );
    }
  }
  const playbookWhy =
    def.playbook !== undefined && !ctx.playbooks.has(def.playbook)
      ? ctx.playbookProblem?.(def.playbook)
      : undefined;
  if (playbookWhy && playbookWhy !== 'does not exist') {
    out.push(
      at(
        vm,
        ['playbook'],
        `\`playbook\` ${def.playbook} names playbooks/${def.playbook}.yml, which ${playbookWhy}.`,
      ),
    );
  } else if (def.playbook !== undefined && !ctx.playbooks.has(def.playbook)) {
    const guess = closest(def.playbook, ctx.playbooks);
    const hint = guess ? `; did you mean ${guess}?` : '; add the playbook or remove the setting.';
    out.push(
      at(
        vm,
        ['playbook'],
        `\`playbook\` ${def.playbook} names no file playbooks/${def.playbook}.yml${hint}`,
      ),
    );
  }
  if (def.sshkeys !== undefined && /PRIVATE KEY/.test(def.sshkeys)) {
    out.push(
      at(
        vm,
        ['sshkeys'],
        '`sshkeys` holds a private key; put only public keys (ssh-ed25519 AAAA…) in the repository and remove this one from its history.',
      ),
    );
  }
  if (def.protected && def.remediation === 'recreate') {
    out.push(
      at(
        vm,
        ['remediation'],
        '`remediation: recreate` contradicts `protected: true`; a protected VM is never recreated (use restart or none).',
      ),
    );
  }
  if (def.k3s?.role === 'agent' && def.k3s.join === undefined) {
    out.push(
      at(
        vm,
        ['k3s'],
        '`k3s.role: agent` needs `k3s.join`: the name of a server VM in vms/ or an https:// URL of a server.',
      ),
    );
  }
  return out;
}

function staticIpOf(def: VmDefinition): string | undefined {
  if (!def.ipconfig0) return undefined;
  const ip = parseIpConfig(def.ipconfig0);
  return ip.ok && ip.value.ip && ip.value.ip !== 'dhcp' ? ip.value.ip.address : undefined;
}

function gatewayOf(def: VmDefinition): string | undefined {
  if (!def.ipconfig0) return undefined;
  const ip = parseIpConfig(def.ipconfig0);
  return ip.ok ? ip.value.gw : undefined;
}

/** A VM whose static address is another VM's gateway takes that subnet's traffic. */
function gatewayClashes(vms: readonly ParsedVm[]): Diagnostic[] {
  const gateways = new Map<string, ParsedVm>();
  for (const vm of vms) {
    const gw = gatewayOf(vm.def);
    if (gw !== undefined && !gateways.has(gw)) gateways.set(gw, vm);
  }
  const out: Diagnostic[] = [];
  for (const vm of vms) {
    const ip = staticIpOf(vm.def);
    const owner = ip === undefined ? undefined : gateways.get(ip);
    if (!owner) continue;
    const p = positionOf(owner.source, ['ipconfig0']);
    out.push(
      at(
        vm,
        ['ipconfig0'],
        `Static IP ${ip} is the gateway of ${owner.file}:${p.line}; a VM's address must differ from every gateway.`,
      ),
    );
  }
  return out;
}

/**
 * Rules across files: unique names, VMIDs, static IPs and MACs, no address that is a
 * gateway, names that do not clash with the inventory's groups, and k3s joins that resolve.
 */
export function crossFileRules(vms: ParsedVm[], config: RepoConfig): Diagnostic[] {
  const out = [
    ...duplicates(vms, 'Name', ['name'], (d) => d.name),
    ...duplicates(vms, 'VMID', ['vmid'], (d) =>
      d.vmid === undefined ? undefined : String(d.vmid),
    ),
    ...duplicates(vms, 'Static IP', ['ipconfig0'], staticIpOf),
    ...duplicates(vms, 'MAC address', ['network', 'mac'], (d) => d.network?.mac?.toUpperCase()),
    ...gatewayClashes(vms),
    ...inventoryNameRules(vms, config),
  ];
  const byName = new Map(
    vms.filter((vm) => vm.def.name !== undefined).map((vm) => [vm.def.name, vm]),
  );
  for (const vm of vms) {
    const join = vm.def.k3s?.join;
    if (join === undefined || join.startsWith('https://')) continue;
    const target = byName.get(join);
    if (target === vm) {
      out.push(
        at(vm, ['k3s', 'join'], '`k3s.join` names this VM itself; a first server has no `join`.'),
      );
    } else if (!target) {
      const guess = closest(join, byName.keys());
      const hint = guess ? `; did you mean ${guess}?` : '.';
      out.push(
        at(
          vm,
          ['k3s', 'join'],
          `\`k3s.join\` names ${join}, but there is no VM of that name in vms/${hint}`,
        ),
      );
    } else if (target.def.k3s?.role !== 'server' && !target.omitted?.has('k3s')) {
      out.push(
        at(
          vm,
          ['k3s', 'join'],
          `\`k3s.join\` names ${join}, which is not a k3s server (${target.file} has no \`k3s.role: server\`).`,
        ),
      );
    }
  }
  return out;
}
