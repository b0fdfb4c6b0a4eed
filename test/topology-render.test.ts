import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { ActionKind, Plan, PlanAction } from '../actions/lib/reconcile/plan-types.js';
import {
  renderTopology,
  topologyMarkdown,
  TOPOLOGY_DETAIL_LIMIT,
} from '../actions/lib/reconcile/render-topology.js';
import { renderApplyMarkdown } from '../actions/lib/reconcile/render-apply.js';
import { renderPlanMarkdown } from '../actions/lib/reconcile/render-markdown.js';
import { spec } from '../actions/lib/vm/spec.test-helpers.js';
import type { VmSpec } from '../actions/lib/vm/types.js';

// Every Mermaid block the tool writes is rendered by the real `mermaid` package in Debian's
// headless Chromium, as GitHub renders it in a comment; a parse or render error fails here.
// Screenshots land in .artifacts/ for a look (CI keeps them as artifacts).
const MERMAID = path.resolve('node_modules/mermaid/dist/mermaid.min.js');
const ARTIFACTS = path.resolve('.artifacts/topology');
const work = mkdtempSync(path.join(tmpdir(), 'pve-gitops-mermaid-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const KINDS: ActionKind[] = [
  'noop',
  'create',
  'update',
  'resize',
  'remediate',
  'replace',
  'delete',
  'migrate',
];

/** A plan of `n` VMs over three nodes: k3s clusters of one server and agents, every action kind. */
function planOf(n: number): { plan: Plan; vms: VmSpec[] } {
  const vms: VmSpec[] = [];
  const actions: PlanAction[] = [];
  for (let i = 0; i < n; i++) {
    const cluster = `k8s-c${Math.floor(i / 5)}`;
    const name = i % 5 === 0 ? cluster : `${cluster}-w${i % 5}`;
    const node = ['pve1', 'pve2', 'still-fawn'][i % 3];
    vms.push(
      spec(name, {
        node,
        k3s: i % 5 === 0 ? { role: 'server' } : { role: 'agent', join: cluster },
      }),
    );
    const kind = KINDS[i % KINDS.length];
    actions.push({
      kind,
      vm: name,
      node,
      vmid: kind === 'create' ? undefined : 100 + i,
      reason: kind,
      ...(kind === 'migrate' ? { from: node, to: 'pve1' } : {}),
    });
  }
  const summary = Object.fromEntries(
    KINDS.map((k) => [k, actions.filter((a) => a.kind === k).length]),
  );
  return {
    vms,
    plan: {
      schemaVersion: 1,
      summary: summary as Plan['summary'],
      hasChanges: true,
      actions,
      findings: [],
      errors: [],
      capacity: ['pve1', 'pve2', 'still-fawn'].map((node, i) => ({
        node,
        status: 'online',
        memoryTotal: 65536,
        memoryOvercommit: 1,
        memoryBefore: 1024 * i * n,
        memoryAfter: 1024 * (i + 1) * n,
        vmsBefore: i,
        vmsAfter: i + n,
      })),
      newHosts: [],
      health: [],
    },
  };
}

interface Rendered {
  ok: boolean;
  error?: string;
  svgLength?: number;
}

/** Renders each diagram with mermaid in headless Chromium; one result per diagram. */
function renderInChromium(name: string, diagrams: string[]): Rendered[] {
  const page = path.join(work, `${name}.html`);
  writeFileSync(
    page,
    `<!doctype html><html><body><pre id="out">pending</pre><div id="d"></div>
<script src="${pathToFileURL(MERMAID).href}"></script>
<script>
const diagrams = ${JSON.stringify(diagrams).replace(/</g, '\\u003c')};
(async () => {
  mermaid.initialize({ startOnLoad: false, securityLevel: 'strict' });
  const res = [];
  for (const [i, src] of diagrams.entries()) {
    try {
      const { svg } = await mermaid.render('g' + i, src);
      document.getElementById('d').insertAdjacentHTML('beforeend', svg);
      res.push({ ok: true, svgLength: svg.length });
    } catch (e) { res.push({ ok: false, error: String((e && e.message) || e) }); }
  }
  document.getElementById('out').textContent = JSON.stringify(res);
})();
</script></body></html>`,
  );
  const flags = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--allow-file-access-from-files',
    `--user-data-dir=${path.join(work, `profile-${name}`)}`,
    '--virtual-time-budget=30000',
  ];
  const dom = execFileSync(
    '/usr/bin/chromium',
    [...flags, '--dump-dom', pathToFileURL(page).href],
    {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 120_000,
    },
  );
  mkdirSync(ARTIFACTS, { recursive: true });
  execFileSync(
    '/usr/bin/chromium',
    [
      ...flags,
      '--window-size=1400,1000',
      `--screenshot=${path.join(ARTIFACTS, `${name}.png`)}`,
      pathToFileURL(page).href,
    ],
    { stdio: 'ignore', timeout: 120_000 },
  );
  const out = /<pre id="out">([^<]*)<\/pre>/.exec(dom)?.[1] ?? 'no output';
  const text = out
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>');
  return JSON.parse(text) as Rendered[];
}

describe('topology diagram', () => {
  it('draws nodes, VMs, k3s joins and what this run does', () => {
    const { plan, vms } = planOf(10);
    const m = renderTopology(plan, vms);
    expect(m).toMatch(/^flowchart LR\n/);
    expect(m).toContain('subgraph n0["pve1"]');
    expect(m).toMatch(/\["k8s-c0<br\/>k3s server"\]/);
    expect(m).toMatch(/\["k8s-c0-w1<br\/>k3s agent"\]:::create/);
    // Every agent points at its server.
    expect(m.match(/-\. joins \.->/g)).toHaveLength(8);
    expect(m).toContain(':::destroy');
    expect(m).toContain(':::remediate');
  });

  it('summarises past the detail limit, one box per node', () => {
    const { plan, vms } = planOf(TOPOLOGY_DETAIL_LIMIT + 1);
    const m = renderTopology(plan, vms);
    expect(m).not.toContain('subgraph');
    expect(m.match(/\bn\d\["/g)).toHaveLength(3);
    expect(topologyMarkdown(plan, vms)).toContain('the plan artifact lists every VM');
  });

  it('keeps names that are not plain labels from breaking out of a label', () => {
    const { plan, vms } = planOf(1);
    plan.actions[0].node = 'pve"1]; click v0 call alert()';
    const m = renderTopology(plan, vms);
    expect(m).toContain('subgraph n0["pve1] click v0 call alert()"]');
  });

  it('renders in Chromium with mermaid for plans of 1, 30 and 300 VMs', () => {
    const sizes = [1, 30, 300];
    const diagrams = sizes.map((n) => {
      const { plan, vms } = planOf(n);
      return renderTopology(plan, vms);
    });
    const hostile = planOf(2);
    hostile.plan.actions[0].node = 'pve"1]; click v0 call alert()';
    diagrams.push(renderTopology(hostile.plan, hostile.vms));
    const results = renderInChromium('plans', diagrams);
    expect(results).toHaveLength(sizes.length + 1);
    results.forEach((r, i) => {
      expect(r.error, `diagram ${i}`).toBeUndefined();
      expect(r.ok).toBe(true);
      expect(r.svgLength).toBeGreaterThan(1000);
    });
  });

  it('renders every Mermaid block of the plan comment and the apply summary', () => {
    const blocks = [1, 30, 300].flatMap((n) => {
      const { plan, vms } = planOf(n);
      const comment = renderPlanMarkdown(plan, { vms });
      const summary = renderApplyMarkdown(
        {
          plan,
          dryRun: false,
          done: [],
          failed: [],
          newHosts: [],
          pendingReboot: [],
          held: [],
          message: 'applied',
        },
        undefined,
        vms,
      );
      return [comment, summary].flatMap((md) =>
        [...md.matchAll(/^```mermaid\n([\s\S]*?)^```$/gm)].map((m) => m[1]),
      );
    });
    // Each of the six documents holds the memory chart and the topology.
    expect(blocks).toHaveLength(12);
    expect(blocks.filter((b) => b.startsWith('xychart-beta'))).toHaveLength(6);
    const results = renderInChromium('markdown', blocks);
    results.forEach((r, i) =>
      expect(r.error, `block ${i}: ${blocks[i].slice(0, 40)}`).toBeUndefined(),
    );
  });

  it('fails on a diagram mermaid cannot parse (the check can fail)', () => {
    const [r] = renderInChromium('broken', ['flowchart LR\n  a["x" --> ]]']);
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/Parse error|error/i);
  });
});
