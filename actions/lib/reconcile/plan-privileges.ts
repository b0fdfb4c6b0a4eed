// What a plan's actions need from the token: each action's lifecycle steps put on the
// concrete ACL paths of its VM, template, storages and bridges (needs.ts), for the up-front
// check in readAndPlan.
import type { ProxmoxClient } from '../proxmox/client.js';
import {
  dedupe,
  vmRequirements,
  type Requirement,
  type Step,
  type VmFacts,
} from '../proxmox/needs.js';
import type { PveMajor } from '../proxmox/privileges.js';
import type { VmSpec } from '../vm/types.js';
import type { Plan, PlanAction } from './plan-types.js';
import type { ClusterSnapshot } from './snapshot-types.js';

/** A template's disk storages and NIC bridges: what PVE checks when it is cloned. */
export type TemplateFacts = Map<number, { storages: string[]; bridges: string[] }>;

/** The template a VM is cloned from: the one on its node, else any of that name. */
const templateOf = (spec: VmSpec, snapshot: ClusterSnapshot) =>
  snapshot.templates.find((x) => x.name === spec.template && x.node === spec.node) ??
  snapshot.templates.find((x) => x.name === spec.template);

/**
 * Reads the config of each template the plan clones (a few requests, only when it creates):
 * PVE checks Datastore.AllocateSpace on its disks' storages and SDN.Use on its bridges.
 */
export async function templateFacts(
  client: Pick<ProxmoxClient, 'getConfig'>,
  plan: Plan,
  specs: VmSpec[],
  snapshot: ClusterSnapshot,
): Promise<TemplateFacts> {
  const out: TemplateFacts = new Map();
  for (const a of plan.actions) {
    if (!stepsOf(a).includes('clone')) continue;
    const spec = specs.find((s) => s.name === a.vm);
    const t = spec && templateOf(spec, snapshot);
    if (!t || out.has(t.vmid)) continue;
    let cfg;
    try {
      cfg = await client.getConfig(t.node, t.vmid);
    } catch {
      continue; // unreadable (VM.Audit missing, node offline): the other checks say why
    }
    const values = Object.entries(cfg).map(([k, v]) => [k, String(v)] as const);
    out.set(t.vmid, {
      storages: values
        .filter(
          ([k, v]) =>
            /^(scsi|virtio|sata|ide|efidisk|tpmstate)\d+$/.test(k) &&
            !/media=cdrom|cloudinit|^none/.test(v),
        )
        .map(([, v]) => v.split(':')[0]),
      bridges: values
        .filter(([k]) => /^net\d+$/.test(k))
        .map(([, v]) => /(?:^|,)bridge=([^,]+)/.exec(v)?.[1])
        .filter((b): b is string => !!b),
    });
  }
  return out;
}

/** The facts about one VM the requirements depend on, from its spec and the snapshot. */
export function factsOf(
  spec: VmSpec,
  snapshot: ClusterSnapshot,
  vmid?: number,
  keys?: string[],
  templates: TemplateFacts = new Map(),
): VmFacts {
  const t = templateOf(spec, snapshot);
  const known = t && templates.get(t.vmid);
  return {
    name: spec.name,
    node: spec.node,
    vmid: vmid ?? spec.vmid,
    template: t && {
      vmid: t.vmid,
      storages: known?.storages ?? t.storages ?? [],
      bridges: known?.bridges ?? [],
    },
    bridge: spec.network.bridge,
    vlan: spec.network.vlan,
    storages: [...new Set(spec.disks.map((d) => d.storage))],
    fullClone: spec.fullClone,
    keys,
  };
}

const build: Step[] = ['clone', 'configure', 'resize', 'power', 'delete', 'agent'];
/** The lifecycle steps a plan action runs (apply waits for the agent after a start). */
function stepsOf(a: PlanAction): Step[] {
  switch (a.kind) {
    case 'create':
    case 'replace':
      return ['read', ...build];
    case 'update':
      return [
        'read',
        'configure',
        ...(a.changes?.some((c) => /^(scsi|virtio|sata)\d+$/.test(c.field))
          ? (['resize'] as Step[])
          : []),
      ];
    case 'resize':
      return ['read', 'resize'];
    case 'migrate':
      return ['read', 'migrate'];
    case 'remediate':
      return a.remedy === 'recreate' || a.escalation === 'recreate'
        ? ['read', ...build]
        : ['read', 'power', 'agent'];
    case 'delete':
      return ['read', 'power', 'delete'];
    default:
      return ['read'];
  }
}

/** Every privilege the plan's actions need on PVE `major`. */
export function planRequirements(
  major: PveMajor,
  plan: Plan,
  specs: VmSpec[],
  snapshot: ClusterSnapshot,
  templates: TemplateFacts = new Map(),
): Requirement[] {
  const bySpec = new Map(specs.map((s) => [s.name, s]));
  const out: Requirement[] = [];
  for (const a of plan.actions) {
    const spec = bySpec.get(a.vm);
    const keys =
      a.kind === 'update'
        ? a.changes?.map((c) => c.field).filter((f) => !/^(scsi|virtio|sata)\d+$/.test(f))
        : undefined;
    const facts: VmFacts = spec
      ? factsOf(spec, snapshot, a.kind === 'create' ? undefined : a.vmid, keys, templates)
      : { name: a.vm, node: a.node, vmid: a.vmid, bridge: '', storages: [], fullClone: false };
    out.push(
      ...vmRequirements(major, facts, stepsOf(a)).filter((r) => !r.path.endsWith('/localnetwork')),
    );
  }
  return dedupe(out);
}
