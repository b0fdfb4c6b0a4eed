import type { Logger } from '../log.js';
import type { ClusterResource, VmConfig } from '../proxmox/api-types.js';
import type { ProxmoxClient } from '../proxmox/client.js';
import { ALL_STEPS, vmRequirements, type Requirement } from '../proxmox/needs.js';
import type { PveMajor } from '../proxmox/privileges.js';
import type { VmSpec } from '../vm/types.js';
import {
  majorOf,
  grantCommand,
  missingPrivileges,
  missingSentence,
  noRightsSentence,
  privilegesAt,
  type PermissionTree,
} from './privilege-check.js';

/** One thing that stops the flow (`problems`) or that is wider than needed (`warnings`). */
export interface DoctorFinding {
  kind:
    | 'no-rights'
    | 'missing-privilege'
    | 'template'
    | 'bridge'
    | 'storage'
    | 'node'
    | 'excess-privilege'
    | 'vault';
  message: string;
  /** The first ACL path, for privilege findings; `paths` has them all. */
  path?: string;
  paths?: string[];
  privilege?: string;
  command?: string;
  vm?: string;
  /** The VM files a missing privilege stops. */
  vms?: string[];
}

/** What `pve-gitops doctor --json` prints (schemas/doctor.schema.json). */
export interface DoctorReport {
  ok: boolean;
  token: string;
  pve: { version: string; major: PveMajor; nodes: { name: string; status: string }[] };
  problems: DoctorFinding[];
  warnings: DoctorFinding[];
  vault?: { address: string; path: string; capabilities: string[]; kvVersion?: number };
}

/** Privileges that reach beyond what the tool needs, and why they matter. */
const EXCESS: { priv: string; onlyAt?: string; why: string }[] = [
  { priv: 'VM.GuestAgent.Unrestricted', why: 'runs any command as root in every guest' },
  { priv: 'Sys.Modify', onlyAt: '/', why: 'changes node and cluster settings' },
  { priv: 'Permissions.Modify', why: 'lets the token grant itself anything' },
];

const hasAgent = (cfg: VmConfig) => /^(1|enabled=1)(,|$)/.test(String(cfg.agent ?? '0'));
const hasCloudInitDrive = (cfg: VmConfig) =>
  Object.entries(cfg).some(
    ([k, v]) => /^(ide|sata|scsi)\d+$/.test(k) && String(v).includes('cloudinit'),
  );
const storagesOf = (cfg: VmConfig) =>
  Object.entries(cfg)
    .filter(
      ([k, v]) =>
        /^(scsi|virtio|sata|ide|efidisk|tpmstate)\d+$/.test(k) &&
        !/media=cdrom|cloudinit|^none/.test(String(v)),
    )
    .map(([, v]) => String(v).split(':')[0]);
const bridgesOf = (cfg: VmConfig) =>
  Object.entries(cfg)
    .filter(([k]) => /^net\d+$/.test(k))
    .map(([, v]) => /(?:^|,)bridge=([^,]+)/.exec(String(v))?.[1])
    .filter((b): b is string => !!b);

/**
 * Proves the Proxmox side of the setup before anything runs: the release and nodes, every
 * privilege the repository's VM files need (per path, with the command that grants it),
 * privileges beyond need, the templates (on the node they are cloned on, with the guest agent
 * and a cloud-init drive), and the bridges and storages the files name.
 */
export async function proxmoxDoctor(
  client: ProxmoxClient,
  specs: VmSpec[],
  log: Logger,
): Promise<DoctorReport> {
  const token = client.tokenId ?? 'PROXMOX_TOKEN_ID';
  const { version } = await client.version();
  const major = majorOf(version);
  const tree: PermissionTree = await client.permissions();
  const report: DoctorReport = {
    ok: false,
    token,
    pve: { version, major, nodes: [] },
    problems: [],
    warnings: [],
  };
  const problem = (f: DoctorFinding) => report.problems.push(f);
  const resources: ClusterResource[] = await client.clusterResources();
  report.pve.nodes = resources
    .filter((r) => r.type === 'node')
    .map((r) => ({ name: String(r.node), status: String(r.status ?? 'unknown') }));
  log.info(
    `Proxmox VE ${version}; nodes: ${report.pve.nodes.map((n) => `${n.name} (${n.status})`).join(', ')}.`,
  );
  if (Object.keys(tree).length === 0) {
    problem({
      kind: 'no-rights',
      message: noRightsSentence(token),
      command: /`([^`]+)`/.exec(noRightsSentence(token))?.[1],
    });
    return report;
  }
  const can = (path: string, ...privs: string[]) =>
    privs.some((p) => privilegesAt(tree, path).has(p));

  // Privileges, per VM file, for its whole lifecycle.
  const vms = resources.filter((r) => r.type === 'qemu');
  const templates = vms.filter((r) => r.template === 1);
  const tplConfig = new Map<number, VmConfig>();
  const allReqs: Requirement[] = [];
  for (const spec of specs) {
    const t =
      templates.find((x) => x.name === spec.template && x.node === spec.node) ??
      templates.find((x) => x.name === spec.template);
    let cfg: VmConfig | undefined;
    if (t?.vmid !== undefined && can(`/vms/${t.vmid}`, 'VM.Audit')) {
      cfg = tplConfig.get(t.vmid) ?? (await client.getConfig(String(t.node), t.vmid));
      tplConfig.set(t.vmid, cfg);
    }
    const existing = vms.find((r) => r.name === spec.name && r.template !== 1);
    const reqs = vmRequirements(
      major,
      {
        name: spec.name,
        node: spec.node,
        vmid: existing?.vmid ?? spec.vmid,
        template:
          t?.vmid !== undefined
            ? {
                vmid: t.vmid,
                storages: cfg ? storagesOf(cfg) : [],
                bridges: cfg ? bridgesOf(cfg) : [],
              }
            : undefined,
        bridge: spec.network.bridge,
        vlan: spec.network.vlan,
        storages: [...new Set(spec.disks.map((d) => d.storage))],
        fullClone: spec.fullClone,
      },
      ALL_STEPS,
    );
    allReqs.push(...reqs);
    if (!can('/vms', 'VM.Audit')) continue;
    if (!t) {
      problem({
        kind: 'template',
        vm: spec.name,
        message: `VM ${spec.name}: template ${spec.template} does not exist in the cluster; make one (docs/proxmox.md, "A template for pve-gitops").`,
      });
    } else if (cfg) {
      if (t.node !== spec.node)
        report.warnings.push({
          kind: 'template',
          vm: spec.name,
          message: `VM ${spec.name}: template ${spec.template} is not on ${spec.node}; it is cloned from ${String(t.node)}, which needs its disks on shared storage.`,
        });
      if (!hasAgent(cfg))
        problem({
          kind: 'template',
          vm: spec.name,
          message: `Template ${spec.template} (${t.vmid} on ${String(t.node)}) has the guest agent off: \`qm set ${t.vmid} --agent enabled=1\`, with qemu-guest-agent installed in the image.`,
        });
      if (!hasCloudInitDrive(cfg))
        problem({
          kind: 'template',
          vm: spec.name,
          message: `Template ${spec.template} (${t.vmid} on ${String(t.node)}) has no cloud-init drive: \`qm set ${t.vmid} --ide2 <storage>:cloudinit\`.`,
        });
    }
  }

  // Missing privileges first, one finding per privilege with every path it is missing on.
  report.problems.unshift(
    ...missingPrivileges(major, tree, allReqs).map((m) => ({
      kind: 'missing-privilege' as const,
      message: missingSentence(m, token),
      path: m.paths[0],
      paths: m.paths,
      privilege: m.privilege,
      command: grantCommand(m),
      ...(m.vms.length ? { vms: m.vms } : {}),
    })),
  );

  // Bridges and storages the files name, on the nodes they name.
  const nodes = [...new Set(specs.map((s) => s.node))];
  for (const node of nodes) {
    const here = specs.filter((s) => s.node === node);
    if (!report.pve.nodes.some((n) => n.name === node && n.status === 'online')) {
      problem({
        kind: 'node',
        message: `Node ${node}, named by ${here.map((s) => s.name).join(', ')}, is ${report.pve.nodes.some((n) => n.name === node) ? 'offline' : 'not in the cluster'}.`,
      });
      continue;
    }
    const bridges = new Set((await client.network(node, 'any_bridge')).map((b) => b.iface));
    for (const b of new Set(here.map((s) => s.network.bridge)))
      if (!bridges.has(b) && can(`/sdn/zones/localnetwork/${b}`, 'SDN.Audit', 'SDN.Use'))
        problem({
          kind: 'bridge',
          message: `Bridge ${b} does not exist on node ${node} (used by ${here
            .filter((s) => s.network.bridge === b)
            .map((s) => s.name)
            .join(', ')}).`,
        });
    const storages = new Set((await client.storage(node)).map((s) => s.storage));
    for (const st of new Set(here.flatMap((s) => s.disks.map((d) => d.storage))))
      if (!storages.has(st) && can(`/storage/${st}`, 'Datastore.Audit', 'Datastore.AllocateSpace'))
        problem({
          kind: 'storage',
          message: `Storage ${st} does not exist on node ${node} or is disabled.`,
        });
  }

  // Once per privilege, at the highest path that holds it.
  const paths = Object.keys(tree).sort((a, b) => a.split('/').length - b.split('/').length);
  for (const e of EXCESS)
    for (const path of paths.filter((p) => !e.onlyAt || e.onlyAt === p).slice(0, 1 + paths.length))
      if (tree[path][e.priv] !== undefined && !report.warnings.some((w) => w.privilege === e.priv))
        report.warnings.push({
          kind: 'excess-privilege',
          path,
          privilege: e.priv,
          message: `The token holds ${e.priv} on ${path}, which pve-gitops never needs and which ${e.why}; leave it out of the role.`,
        });

  report.ok = report.problems.length === 0;
  return report;
}
