// Uncertainty never destroys: a VM whose health cannot be verified is reported, never touched.
// Real PVE's answers (the simulator gives the same): the guest-agent calls need VM.Monitor on
// /vms/<id> on PVE 8 and VM.GuestAgent.Audit (or .Unrestricted) on PVE 9, which dropped
// VM.Monitor (qemu-server PVE/API2/Qemu/Agent.pm per branch; vendor/pve-api schemas); a
// hung guest answers 500 "QEMU guest agent is not running" (qemu-server
// PVE::QemuServer::Agent::assert_agent_available); an offline node's paths answer 595 and a
// busy pveproxy 596 (pve-http-server; docs/reference/proxmox-behaviour.md).
import { describe, expect, it } from 'vitest';
import type { ApplyResult } from '../actions/lib/reconcile/apply.js';
import type { Plan } from '../actions/lib/reconcile/plan-types.js';
import {
  ALL_BUT_AGENT,
  cleanUpAfterEach,
  cli,
  fingerprint,
  rebootAll,
  repoOn,
  vmids,
} from './health-helpers.js';

cleanUpAfterEach();

const SECRET = '7e1c9a52-4b0d-4f1e-9c3a-2d5e8f6a1b70';
const NAMES = ['app-1', 'app-2', 'app-3', 'app-4'];
const NEEDS = { 8: /VM\.Monitor/, 9: /VM\.GuestAgent\.Audit/ } as const;

describe.each([8, 9] as const)('PVE %i: health that cannot be verified', (major) => {
  it('a token without the agent privilege: every running VM unknown, apply changes nothing', async () => {
    const repo = await repoOn(major);
    await repo.writeVms(NAMES);
    expect((await cli(['apply', '--repo', repo.dir], repo.env)).code).toBe(0);
    // Two of them really hang in this boot: even so, nothing can be verified, nothing is done.
    rebootAll(repo.sim, ['app-2', 'app-3']);
    repo.sim.addToken('root@pam!no-agent', SECRET, { '/': ALL_BUT_AGENT });
    const env = {
      ...repo.env,
      PROXMOX_TOKEN_ID: 'root@pam!no-agent',
      PROXMOX_TOKEN_SECRET: SECRET,
    };

    const planned = await cli(['plan', '--repo', repo.dir, '--json'], env);
    expect(planned.code).toBe(0);
    const plan = JSON.parse(planned.out) as Plan;
    expect(plan.actions.map((a) => a.kind)).toEqual(['noop', 'noop', 'noop', 'noop']);
    expect(plan.health.map((h) => `${h.vm} ${h.status}`).sort()).toEqual(
      NAMES.map((n) => `${n} unknown`),
    );
    for (const h of plan.health) {
      expect(h.reason).toMatch(
        /^could not be checked: the API token may not call the guest agent \(403 /,
      );
      expect(h.reason).toMatch(NEEDS[major]);
    }
    const text = await cli(['plan', '--repo', repo.dir], env);
    expect(text.out).toMatch(
      /VM app-2 \(\d+\) could not be checked: .*403.*; health unknown, so it is not remediated\./,
    );
    const md = await cli(['plan', '--repo', repo.dir, '--markdown'], env);
    expect(md.out).toContain('### Health (4 of 4 not healthy)');
    expect(md.out).not.toContain('Destructive actions');

    for (const remediation of ['recreate', 'restart', 'none']) {
      await repo.writeVms(NAMES, `remediation: ${remediation}\n`);
      const before = fingerprint(repo.sim);
      const mutations = repo.sim.stats().mutations;
      const applied = await cli(['apply', '--repo', repo.dir, '--json'], env);
      expect(applied.code).toBe(0);
      const result = JSON.parse(applied.out) as ApplyResult;
      expect(result.done).toEqual([]);
      expect(result.message).toBe('No action needed for 4 VMs, but 4 warnings above');
      expect(repo.sim.stats().mutations).toBe(mutations);
      expect(fingerprint(repo.sim)).toBe(before);
    }
    expect(repo.sim.stats()['POST /nodes/{node}/qemu/{vmid}/status/reset'] ?? 0).toBe(0);
    expect(repo.sim.stats()['DELETE /nodes/{node}/qemu/{vmid}'] ?? 0).toBe(0);
  });

  it('VMs on an offline node or a node answering 5xx: unknown, never remediated', async () => {
    const repo = await repoOn(major);
    await repo.writeVms(['on-pve1', 'on-pve2', 'on-fawn']);
    expect((await cli(['apply', '--repo', repo.dir], repo.env)).code).toBe(0);
    rebootAll(repo.sim);
    const hung = ['on-pve2', 'on-fawn'];
    repo.sim.setFaults({
      hangAtBoot: hung,
      offlineNodes: ['pve2'],
      errors: [
        {
          method: 'GET',
          path: '/nodes/still-fawn/qemu/*/agent/**',
          status: 596,
          message: 'Connection timed out',
        },
      ],
    });
    const before = fingerprint(repo.sim);
    const mutations = repo.sim.stats().mutations;

    const applied = await cli(['apply', '--repo', repo.dir, '--json'], repo.env);
    expect(applied.code).toBe(0);
    const { plan, done } = JSON.parse(applied.out) as ApplyResult;
    expect(done).toEqual([]);
    const health = Object.fromEntries(
      plan.health.map((h) => [h.vm, `${h.status}: ${h.reason ?? ''}`]),
    );
    expect(health).toEqual({
      'on-pve1': 'healthy: ',
      'on-pve2': 'unknown: is on node pve2, which is offline',
      'on-fawn':
        'unknown: could not be checked: the node did not answer for the guest (596 Connection timed out)',
    });
    expect(repo.sim.stats().mutations).toBe(mutations);
    expect(fingerprint(repo.sim)).toBe(before);
    expect(vmids(repo.sim)).toHaveProperty('on-fawn');
  });

  it('a hung VM whose node stops answering after the reset is not recreated', async () => {
    const repo = await repoOn(major);
    await repo.writeVms(['flaky']);
    expect((await cli(['apply', '--repo', repo.dir], repo.env)).code).toBe(0);
    rebootAll(repo.sim, ['flaky']);
    const { flaky } = vmids(repo.sim);
    const born = repo.sim.cluster.vm(flaky)!.createdAt;
    // Verified hung by the plan; once the reset is sent, the node's proxy answers 596.
    const resets = () => repo.sim.stats()['POST /nodes/{node}/qemu/{vmid}/status/reset'] ?? 0;
    const timer = setInterval(() => {
      if (resets() === 0) return;
      clearInterval(timer);
      repo.sim.setFaults({
        hangAtBoot: ['flaky'],
        errors: [{ path: '/nodes/pve1/qemu/*/agent/**', status: 596, message: 'Broken pipe' }],
      });
    }, 2);
    let result: ApplyResult;
    try {
      const applied = await cli(['apply', '--repo', repo.dir, '--json'], repo.env);
      expect(applied.code).toBe(1);
      result = JSON.parse(applied.out) as ApplyResult;
    } finally {
      clearInterval(timer);
    }
    expect(resets()).toBe(1);
    expect(result.failed).toEqual([
      {
        vm: 'flaky',
        error: expect.stringMatching(
          /its guest agent could not be asked, so its health is unknown: the node did not answer for the guest \(596 Broken pipe\)/,
        ) as string,
        rolledBack: false,
      },
    ]);
    expect(repo.sim.stats()['DELETE /nodes/{node}/qemu/{vmid}'] ?? 0).toBe(0);
    expect(repo.sim.cluster.vm(flaky)!.createdAt).toBe(born);
  });
});
