import type { VmSpec } from '../vm/types.js';
import type { ActionKind, Plan } from './plan-types.js';

/** Past this many VMs the diagram shows each Proxmox node as one box of counts. */
export const TOPOLOGY_DETAIL_LIMIT = 60;

/** How a VM is drawn: what this run does to it. */
type Mark = 'create' | 'change' | 'remediate' | 'destroy' | 'same';

const MARK_OF: Record<ActionKind, Mark> = {
  create: 'create',
  replace: 'destroy',
  delete: 'destroy',
  update: 'change',
  resize: 'change',
  migrate: 'change',
  remediate: 'remediate',
  noop: 'same',
};

// GitHub's light and dark themes both read these; the dashed border marks destruction.
const CLASSES = [
  'classDef create fill:#dafbe1,stroke:#1a7f37,stroke-width:2px,color:#1f2328',
  'classDef change fill:#fff8c5,stroke:#9a6700,stroke-width:2px,color:#1f2328',
  'classDef remediate fill:#fff1e5,stroke:#bc4c00,stroke-width:2px,color:#1f2328',
  'classDef destroy fill:#ffebe9,stroke:#cf222e,stroke-width:2px,stroke-dasharray:5 3,color:#1f2328',
];

/** Text inside a Mermaid label: no quotes, markup or Mermaid entities from names. */
const label = (s: string) => s.replace(/["<>&#;`]/g, '').slice(0, 80);

interface Entry {
  vm: string;
  node: string;
  mark: Mark;
  role?: string;
}

/** Every VM the plan touches or keeps, with the strongest mark among its actions. */
function entries(plan: Plan, vms: readonly VmSpec[]): Entry[] {
  const rank: Mark[] = ['same', 'change', 'remediate', 'create', 'destroy'];
  const byVm = new Map<string, Entry>();
  const spec = new Map(vms.map((v) => [v.name, v]));
  for (const a of plan.actions) {
    const mark = MARK_OF[a.kind];
    const node = a.kind === 'migrate' && a.to ? a.to : a.node;
    const have = byVm.get(a.vm);
    if (!have) {
      const k3s = spec.get(a.vm)?.k3s;
      const role = k3s && (k3s.role === 'server' && !k3s.join ? 'k3s server' : `k3s ${k3s.role}`);
      byVm.set(a.vm, { vm: a.vm, node, mark, role });
    } else if (rank.indexOf(mark) > rank.indexOf(have.mark)) have.mark = mark;
  }
  return [...byVm.values()].sort(
    (a, b) => a.node.localeCompare(b.node) || a.vm.localeCompare(b.vm),
  );
}

/** One box per Proxmox node with its VM counts: the diagram of a large cluster. */
function summarised(list: Entry[]): string[] {
  const nodes = [...new Set(list.map((e) => e.node))];
  return nodes.map((node, i) => {
    const on = list.filter((e) => e.node === node);
    const count = (m: Mark) => on.filter((e) => e.mark === m).length;
    const parts = [
      count('create') && `${count('create')} to create`,
      count('change') && `${count('change')} to change`,
      count('remediate') && `${count('remediate')} to remediate`,
      count('destroy') && `${count('destroy')} to destroy`,
    ].filter(Boolean);
    const cls = (['destroy', 'create', 'remediate', 'change'] as const).find((m) => count(m));
    return `  n${i}["${label(node)}<br/>${on.length} VMs${parts.length ? `<br/>${parts.join(', ')}` : ''}"]${cls ? `:::${cls}` : ''}`;
  });
}

/**
 * The cluster as a Mermaid flowchart: one group per Proxmox node with its VMs, an arrow from
 * each k3s agent or additional server to the server it joins, and this run's creates,
 * changes, remediations and destructions coloured. Past {@link TOPOLOGY_DETAIL_LIMIT} VMs,
 * each node is one box of counts. Returns the diagram's source, without the code fence.
 */
export function renderTopology(plan: Plan, vms: readonly VmSpec[]): string {
  const list = entries(plan, vms);
  const lines = ['flowchart LR', ...CLASSES.map((c) => `  ${c}`)];
  if (!list.length) return [...lines, '  empty["no VMs"]'].join('\n');
  if (list.length > TOPOLOGY_DETAIL_LIMIT) return [...lines, ...summarised(list)].join('\n');
  const id = new Map(list.map((e, i) => [e.vm, `v${i}`]));
  const nodes = [...new Set(list.map((e) => e.node))];
  nodes.forEach((node, n) => {
    lines.push(`  subgraph n${n}["${label(node)}"]`);
    for (const e of list.filter((x) => x.node === node)) {
      const text = `${label(e.vm)}${e.role ? `<br/>${e.role}` : ''}`;
      lines.push(`    ${id.get(e.vm)}["${text}"]${e.mark === 'same' ? '' : `:::${e.mark}`}`);
    }
    lines.push('  end');
  });
  const spec = new Map(vms.map((v) => [v.name, v]));
  for (const e of list) {
    const join = spec.get(e.vm)?.k3s?.join;
    const target = join && id.get(join);
    if (target) lines.push(`  ${id.get(e.vm)} -. joins .-> ${target}`);
  }
  return lines.join('\n');
}

/** The diagram as a Markdown section, with its key. */
export function topologyMarkdown(plan: Plan, vms: readonly VmSpec[]): string {
  const many = new Set(plan.actions.map((a) => a.vm)).size > TOPOLOGY_DETAIL_LIMIT;
  return [
    '### Topology',
    '',
    '```mermaid',
    renderTopology(plan, vms),
    '```',
    '',
    many
      ? `_${TOPOLOGY_DETAIL_LIMIT}+ VMs: one box per node; the plan artifact lists every VM._`
      : '_Green: create · yellow: change · orange: remediate · red, dashed: destroy; arrows: k3s joins._',
    '',
  ].join('\n');
}
