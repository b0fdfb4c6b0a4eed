import {
  CONFIG_KEYS,
  ENDPOINTS,
  configKeyChecks,
  endpointFor,
  type PrivilegeCheck,
  type PveMajor,
} from './privileges.js';

/** One privilege (or a choice of privileges) needed on one concrete ACL path, and why. */
export interface Requirement {
  path: string;
  /** All of these, or any one with `any`. */
  privs: string[];
  any?: boolean;
  why: string;
}

/** What a VM's lifecycle touches; unknown ids fall back to the parent path (`/vms`). */
export interface VmFacts {
  name: string;
  node: string;
  vmid?: number;
  template?: { vmid: number; storages: string[]; bridges: string[] };
  bridge: string;
  vlan?: number;
  /** Storage of each disk the VM file declares. */
  storages: string[];
  fullClone: boolean;
  /** Config keys the `configure` step writes; absent = every key apply writes after a clone. */
  keys?: string[];
}

/** The steps of a VM's lifecycle, each a group of calls. */
export type Step =
  'read' | 'agent' | 'clone' | 'configure' | 'resize' | 'power' | 'delete' | 'migrate';
export const ALL_STEPS: Step[] = [
  'read',
  'agent',
  'clone',
  'configure',
  'resize',
  'power',
  'delete',
  'migrate',
];

/** Keys apply writes after a clone (config-params.ts), with a sample value for the checks. */
const CONFIGURED_KEYS = [
  'cores',
  'sockets',
  'cpu',
  'memory',
  'name',
  'description',
  'agent',
  'onboot',
  'tags',
  'net0',
  'ipconfig0',
  'nameserver',
  'ciuser',
  'sshkeys',
];

function fill(c: PrivilegeCheck, v: Record<string, string>, why: string): Requirement {
  const path = c.path.replace(/\{(\w+)\}/g, (_, k: string) => v[k] ?? '');
  return { path: path.replace(/\/+$/, '') || '/', privs: c.privs, any: c.any, why };
}

const checksOf = (major: PveMajor, method: string, path: string) =>
  endpointFor(method, path)?.checks[major] ?? [];

/** Every privilege the given steps of one VM need on PVE `major`, per concrete path. */
export function vmRequirements(major: PveMajor, f: VmFacts, steps: Step[]): Requirement[] {
  const out: Requirement[] = [];
  const vmid = f.vmid === undefined ? '' : String(f.vmid);
  const base = { node: f.node, vmid, bridge: f.bridge };
  const add = (checks: PrivilegeCheck[], v: Record<string, string>, why: string) => {
    for (const c of checks) out.push(fill(c, { ...base, ...v }, `${why} (VM ${f.name})`));
  };
  const has = (s: Step) => steps.includes(s);
  const q = `/nodes/n/qemu/1`;
  if (has('read')) {
    for (const c of checksOf(major, 'GET', '/cluster/resources')) {
      if (c.path.startsWith('/storage'))
        for (const storage of f.storages) add([c], { storage }, 'to see its storage');
      else add([c], {}, c.path.startsWith('/nodes') ? 'to see its node' : 'to see it');
    }
    add(checksOf(major, 'GET', '/nodes/n/network'), {}, 'to see its bridge');
  }
  if (has('agent')) {
    add(
      checksOf(major, 'GET', `${q}/agent/network-get-interfaces`),
      {},
      'to ask its guest agent for its address',
    );
    add(
      checksOf(major, 'GET', `${q}/agent/file-read`),
      {},
      'to read its SSH host keys through the guest agent',
    );
  }
  if (has('clone') && f.template) {
    const t = f.template;
    const [cloneSrc, newVm] = checksOf(major, 'POST', `${q}/clone`);
    add([cloneSrc], { vmid: String(t.vmid) }, 'to clone its template');
    add([newVm], { newid: vmid }, 'to create it');
    const targets = f.fullClone && f.storages[0] ? [f.storages[0]] : t.storages;
    for (const storage of targets)
      out.push({
        path: `/storage/${storage}`,
        privs: ['Datastore.AllocateSpace'],
        why: `to clone its disks (VM ${f.name})`,
      });
    for (const bridge of t.bridges.length ? t.bridges : [f.bridge])
      out.push({
        path: `/sdn/zones/localnetwork/${bridge}`,
        privs: ['SDN.Use'],
        why: `to clone its template, whose NIC is on that bridge (VM ${f.name})`,
      });
  }
  if (has('configure')) {
    const net = `virtio,bridge=${f.bridge}${f.vlan ? `,tag=${f.vlan}` : ''}`;
    for (const key of f.keys ?? CONFIGURED_KEYS)
      add(configKeyChecks(key, key === 'net0' ? net : undefined), {}, `to set ${key}`);
    if (!f.keys)
      f.storages.forEach((storage, i) =>
        add(configKeyChecks(`scsi${i + 1}`, `${storage}:1`), {}, 'to add a disk'),
      );
  }
  if (has('resize'))
    for (const storage of f.storages)
      add(checksOf(major, 'PUT', `${q}/resize`), { storage }, 'to grow its disk');
  if (has('power'))
    add(checksOf(major, 'POST', `${q}/status/start`), {}, 'to start, stop or reset it');
  if (has('delete'))
    add(checksOf(major, 'DELETE', q), {}, 'to destroy it (replace, prune, rollback)');
  if (has('migrate'))
    add(checksOf(major, 'POST', `${q}/migrate`), {}, 'to move it to another node');
  return dedupe(out);
}

/** One requirement per path and privilege set (the first reason kept). */
export function dedupe(reqs: Requirement[]): Requirement[] {
  const seen = new Map<string, Requirement>();
  for (const r of reqs) {
    const k = `${r.path} ${r.any ? 'any' : 'all'} ${r.privs.join(',')}`;
    if (!seen.has(k)) seen.set(k, r);
  }
  return [...seen.values()];
}

/**
 * The role the docs create for `major`: every privilege some flow's call needs, plus what each
 * config key apply writes needs; of a choice, the first (narrowest) one unless the role already
 * meets it. Sorted.
 */
export function rolePrivileges(major: PveMajor): string[] {
  const checks: PrivilegeCheck[] = [];
  for (const e of ENDPOINTS) if (e.usedBy.length) checks.push(...e.checks[major]);
  for (const k of CONFIG_KEYS)
    if (CONFIGURED_KEYS.some((key) => k.keys.test(key))) checks.push(k.check);
  const privs = new Set(checks.filter((c) => !c.any).flatMap((c) => c.privs));
  // A choice already met by a privilege the role needs anyway adds nothing (least privilege).
  for (const c of checks) if (c.any && !c.privs.some((p) => privs.has(p))) privs.add(c.privs[0]);
  return [...privs].sort();
}
