import { describe, expect, it } from 'vitest';
import { ProxmoxApiError } from '../proxmox/errors.js';
import { classifyAgentFailure } from './agent-answer.js';
import { node, snapshot, spec, vmOf } from './fixtures.test-helpers.js';
import { plan } from './plan.js';
import { preflight } from './preflight.js';
import { renderApplyMarkdown } from './render-apply.js';
import { renderPlanMarkdown } from './render-markdown.js';
import { renderPlanText } from './render-text.js';

const api = (status: number, message: string) =>
  new ProxmoxApiError({ status, message, method: 'GET', path: '/nodes/pve1/qemu/100/agent/x' });

/** Ten managed VMs on pve1, the first `hung` of them with a silent agent past the grace. */
function fleet(hung: number) {
  const specs = Array.from({ length: 10 }, (_, i) => spec(`vm-${i}`));
  const vms = specs.map((s, i) =>
    vmOf(
      s,
      100 + i,
      i < hung
        ? { agent: 'silent', agentDetail: 'QEMU guest agent is not running', uptime: 900 }
        : {},
    ),
  );
  return { specs, snap: snapshot(vms) };
}

describe('classifyAgentFailure', () => {
  // Texts and statuses from qemu-server (PVE::QemuServer::Agent::assert_agent_available) and
  // pve-http-server (403 permission checks, 501 unknown methods, 595 from an offline node).
  it('takes only "QEMU guest agent is not running" on an agent-enabled VM as silence', () => {
    expect(classifyAgentFailure(api(500, 'QEMU guest agent is not running'), true)).toEqual({
      silent: true,
      reason: 'QEMU guest agent is not running',
    });
    const cases: Array<[unknown, boolean, RegExp]> = [
      [
        api(500, 'QEMU guest agent is not running'),
        false,
        /config does not enable the guest agent/,
      ],
      [
        api(403, 'Permission check failed (/vms/100, VM.GuestAgent.Audit)'),
        true,
        /may not call the guest agent \(403 Permission/,
      ],
      [api(401, 'invalid token value!'), true, /refused the API token \(401/],
      [
        api(501, "Method 'GET /x' not implemented"),
        true,
        /does not serve the guest-agent call \(501/,
      ],
      [api(595, 'No route to host'), true, /node did not answer for the guest \(595 No route/],
      [
        api(500, "VM 100 qmp command 'guest-network-get-interfaces' failed - got timeout"),
        true,
        /answered 500 VM 100 qmp/,
      ],
      [api(500, 'No QEMU guest agent configured'), true, /answered 500 No QEMU guest agent/],
      [new Error('no answer from Proxmox within 5000 ms'), true, /no answer from Proxmox within/],
    ];
    for (const [err, configured, reason] of cases) {
      const f = classifyAgentFailure(err, configured);
      expect(f.silent).toBe(false);
      expect(f.reason).toMatch(reason);
    }
  });
});

describe('plan: three-valued health', () => {
  it('never remediates a VM whose agent call failed for another reason; settings still converge', () => {
    const s = spec('web', { cores: 4 });
    const vm = vmOf(spec('web'), 100, {
      agent: 'unknown',
      agentDetail: 'the API token may not call the guest agent (403 Permission check failed)',
      uptime: 900,
    });
    const p = plan([s], snapshot([vm]), { prune: false });
    expect(p.actions.map((a) => a.kind)).toEqual(['update']);
    expect(p.health).toEqual([
      {
        vm: 'web',
        vmid: 100,
        node: 'pve1',
        status: 'unknown',
        reason:
          'could not be checked: the API token may not call the guest agent (403 Permission check failed)',
      },
    ]);
    expect(p.findings[0].message).toMatch(/health unknown, so it is not remediated\.$/);
  });

  it('cannot check a guest whose config does not enable the agent: unknown, not hung', () => {
    const s = spec('web');
    const vm = vmOf(s, 100, { agent: 'silent', uptime: 900 });
    vm.config!.agent = false;
    const p = plan([s], snapshot([vm]), { prune: false });
    expect(
      p.actions.map((a) => `${a.kind}:${(a.changes ?? []).map((c) => c.field).join()}`),
    ).toEqual(['update:agent']);
    expect(p.health[0]).toMatchObject({
      status: 'unknown',
      reason: 'could not be checked: its config does not enable the guest agent',
    });
  });

  it('leaves VMs on an offline or failing node alone, with the reason', () => {
    const a = spec('a');
    const b = spec('b', { node: 'pve2' });
    const snap = snapshot(
      [vmOf(a, 100, { agent: 'silent', uptime: 900 }), vmOf(b, 101, { status: 'stopped' })],
      [
        node('pve1', { status: 'unknown', problem: 'Proxmox GET … failed (500)' }),
        node('pve2', { status: 'offline' }),
      ],
    );
    const p = plan([a, b], snap, { prune: false });
    expect(p.actions).toEqual([]);
    expect(p.health.map((h) => `${h.vm} ${h.status}: ${h.reason}`)).toEqual([
      'a unknown: is on node pve1, which is unknown (Proxmox GET … failed (500))',
      'b unknown: is on node pve2, which is offline',
    ]);
  });

  it('refuses a create on a node that answered 5xx, with what it said', () => {
    const s = spec('fresh', { node: 'pve2' });
    const snap = snapshot(
      [],
      [
        node('pve1'),
        node('pve2', {
          status: 'unknown',
          problem: 'Proxmox GET /nodes/pve2/storage failed (500): boom.',
        }),
      ],
    );
    expect(preflight(plan([s], snap, { prune: false }), [s], snap).map((f) => f.message)).toEqual([
      'VM fresh: node pve2 is unknown (Proxmox GET /nodes/pve2/storage failed (500): boom).',
    ]);
  });

  it('never escalates to recreate a VM carrying Proxmox protection', () => {
    const s = spec('web');
    const vm = vmOf(s, 100, { agent: 'silent', uptime: 900 });
    vm.config!.protection = true;
    const a = plan([s], snapshot([vm]), { prune: false }).actions[0];
    expect(a).toMatchObject({ kind: 'remediate', remedy: 'reset' });
    expect(a.escalation).toBeUndefined();
  });

  it('holds every hung VM when more than 40 % are hung, and says why', () => {
    const { specs, snap } = fleet(6);
    const p = plan(specs, snap, { prune: false });
    expect(p.actions.filter((a) => a.kind === 'remediate')).toEqual([]);
    expect(p.remediationHeld).toMatch(
      /^6 of 10 managed VMs \(60 %\) are hung, more than health\.max_unhealthy_percent \(40 %\)/,
    );
    expect(p.health.filter((h) => h.status === 'unhealthy' && h.held && h.hung)).toHaveLength(6);
    // With the limit raised, the same cluster is remediated.
    const raised = plan(specs, snap, { prune: false, maxUnhealthyPercent: 60 });
    expect(raised.actions.filter((a) => a.remedy === 'reset')).toHaveLength(6);
  });

  it('remediates 2 of 10 hung VMs, and counts neither stopped nor unknown VMs as hung', () => {
    const { specs, snap } = fleet(2);
    for (const i of [2, 3, 4]) snap.vms[i].status = 'stopped';
    snap.vms[5].agent = 'unknown';
    const p = plan(specs, snap, { prune: false });
    expect(p.remediationHeld).toBeUndefined();
    expect(
      p.actions.filter((a) => a.kind === 'remediate').map((a) => `${a.vm}:${a.remedy}`),
    ).toEqual(['vm-0:reset', 'vm-1:reset', 'vm-2:start', 'vm-3:start', 'vm-4:start']);
  });
});

describe('rendering destructive actions', () => {
  it('puts replace, delete and possible recreates first, in the comment and the text', () => {
    const hung = spec('stuck');
    const moved = spec('web', { template: 'debian-12' });
    const snap = snapshot([
      vmOf(hung, 100, { agent: 'silent', uptime: 900 }),
      vmOf(spec('web'), 101),
      vmOf(spec('old'), 102),
    ]);
    const p = plan([hung, moved, spec('new-1')], snap, { prune: true });
    // Cells escape Markdown syntax as character references; read them as GitHub shows them.
    const md = renderPlanMarkdown(p).replace(/&#(\d+);/g, (_, n: string) =>
      String.fromCodePoint(Number(n)),
    );
    const top = md.indexOf('### :warning: Destructive actions (3)');
    expect(top).toBeGreaterThan(0);
    expect(top).toBeLessThan(md.indexOf('### Create'));
    expect(md).toContain('| old | pve1 | 102 | delete (destroyed with its disks) |');
    expect(md).toMatch(
      /\| web \| pve1 \| 101 \| replace \(destroyed with its disks, then created again/,
    );
    expect(md).toMatch(
      /\| stuck \| pve1 \| 100 \| reset, then recreate \(destroyed with its disks\) if still hung/,
    );
    const text = renderPlanText(p).split('\n');
    expect(text[0]).toBe('DESTRUCTIVE (3):');
    expect(text.slice(1, 4).map((l) => l.trim().split(' ')[0])).toEqual(['old', 'web', 'stuck']);
  });
});

describe('apply summary', () => {
  it('lists the unhealthy VMs apply left alone, with why', () => {
    const { specs, snap } = fleet(6);
    const p = plan(specs, snap, { prune: false });
    const raw = renderApplyMarkdown({
      plan: p,
      dryRun: false,
      done: [],
      failed: [],
      newHosts: [],
      pendingReboot: [],
      held: [{ vm: 'vm-0', reason: p.health[0].held! }],
      message: `No action needed for 10 VMs. ${p.remediationHeld}`,
    });
    const md = raw.replace(/&#(\d+);/g, (_, n: string) => String.fromCodePoint(Number(n)));
    expect(md).toContain(
      '### Unhealthy, left as they are\n\n| VM | Why |\n|---|---|\n| vm-0 | not remediated: ' +
        'more than health.max_unhealthy_percent (40 %) of the managed VMs are hung |',
    );
    expect(md).toContain('### Health (6 of 10 not healthy)');
  });
});
