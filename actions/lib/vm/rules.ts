import path from 'node:path';
import type { RepoConfig } from '../config/types.js';
import type { Diagnostic } from './diagnostics.js';
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

/** What the rules need to know about the repository besides the VM files. */
export interface RuleContext {
  config: RepoConfig;
  /** Playbook names (file names in playbooks/ without .yml/.yaml). */
  playbooks: ReadonlySet<string>;
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
  if (def.playbook !== undefined && !ctx.playbooks.has(def.playbook)) {
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

/** Reports a value that appears in several files, once in each file, naming the other place. */
function duplicates(
  vms: ParsedVm[],
  what: string,
  where: PathSegment[],
  valueOf: (d: VmDefinition) => string | undefined,
): Diagnostic[] {
  const seen = new Map<string, ParsedVm[]>();
  for (const vm of vms) {
    const v = valueOf(vm.def);
    if (v !== undefined) seen.set(v, [...(seen.get(v) ?? []), vm]);
  }
  const out: Diagnostic[] = [];
  for (const [value, list] of seen) {
    if (list.length < 2) continue;
    for (const vm of list) {
      const others = list
        .filter((o) => o !== vm)
        .map((o) => {
          const p = positionOf(o.source, where);
          return `${o.file}:${p.line}`;
        });
      out.push(
        at(
          vm,
          where,
          `${what} ${value} is also used by ${others.join(', ')}; each VM needs its own.`,
        ),
      );
    }
  }
  return out;
}

function staticIpOf(def: VmDefinition): string | undefined {
  if (!def.ipconfig0) return undefined;
  const ip = parseIpConfig(def.ipconfig0);
  return ip.ok && ip.value.ip && ip.value.ip !== 'dhcp' ? ip.value.ip.address : undefined;
}

/** Rules across files: unique names, VMIDs, static IPs and MACs, and k3s joins that resolve. */
export function crossFileRules(vms: ParsedVm[]): Diagnostic[] {
  const out = [
    ...duplicates(vms, 'Name', ['name'], (d) => d.name),
    ...duplicates(vms, 'VMID', ['vmid'], (d) =>
      d.vmid === undefined ? undefined : String(d.vmid),
    ),
    ...duplicates(vms, 'Static IP', ['ipconfig0'], staticIpOf),
    ...duplicates(vms, 'MAC address', ['network', 'mac'], (d) => d.network?.mac?.toUpperCase()),
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
