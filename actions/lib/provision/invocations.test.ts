import { describe, expect, it } from 'vitest';
import type { InventoryView } from './inventory-view.js';
import { planInvocations } from './invocations.js';
import { failedHosts, parseRecap } from './recap.js';

const view: InventoryView = {
  hosts: new Map([
    ['k8s-a', { ansible_host: '127.0.0.2' }],
    ['k8s-b', { ansible_host: '127.0.0.3' }],
    ['haproxy-1', { ansible_host: '127.0.0.4' }],
    ['nas', { ansible_host: '127.0.0.5' }],
  ]),
  groups: new Map([
    ['all', ['k8s-a', 'k8s-b', 'haproxy-1', 'nas']],
    ['k3s', ['k8s-a', 'k8s-b']],
    ['haproxy', ['haproxy-1']],
    ['storage', ['nas']],
  ]),
};
const exists = (f: string) => ['k8s.yml', 'haproxy.yml'].includes(f);
const plan = (runs: Parameters<typeof planInvocations>[0]['runs'], newHosts: string[] = []) =>
  planInvocations({
    runs,
    newHosts: newHosts.map((name) => ({ name })),
    view,
    playbookExists: exists,
    inventoryName: 'inventory/k8s.ini',
  }).map((i) => [i.playbook, i.limit ?? 'all', i.targets.join(',')]);

describe('planInvocations', () => {
  it('merges limits per playbook and gives new hosts their group playbook', () => {
    expect(plan([{ playbook: 'k8s.yml', limit: 'k8s-a' }], ['k8s-b', 'haproxy-1', 'nas'])).toEqual([
      ['k8s.yml', ['k8s-a', 'k8s-b'], 'k8s-a,k8s-b'],
      ['haproxy.yml', ['haproxy-1'], 'haproxy-1'],
    ]);
  });

  it('lets an unlimited run cover its playbook, and targets the whole inventory', () => {
    expect(plan([{ playbook: 'haproxy.yml' }], ['haproxy-1', 'k8s-a'])).toEqual([
      ['haproxy.yml', 'all', 'haproxy-1,k8s-a,k8s-b,nas'],
      ['k8s.yml', ['k8s-a'], 'k8s-a'],
    ]);
  });

  it('expands a group used as a limit, and refuses unknown names and playbooks', () => {
    expect(plan([{ playbook: 'k8s.yml', limit: 'k3s' }])).toEqual([
      ['k8s.yml', ['k3s'], 'k8s-a,k8s-b'],
    ]);
    expect(() => plan([{ playbook: 'k8s.yml', limit: 'k8s-zz' }])).toThrow(
      /k8s-zz is not in inventory\/k8s\.ini/,
    );
    expect(() => plan([], ['k8s-zz'])).toThrow(/The new host k8s-zz is not in/);
    expect(() => plan([{ playbook: 'gone.yml' }])).toThrow('playbooks/gone.yml does not exist');
  });
});

describe('parseRecap', () => {
  it('reads the last PLAY RECAP and names failed and unreachable hosts', () => {
    const out = [
      'PLAY RECAP *****',
      'k8s-a                      : ok=3    changed=1    unreachable=0    failed=0    skipped=0',
      'k8s-b                      : ok=0    changed=0    unreachable=1    failed=0    skipped=0',
      'k8s-c                      : ok=1    changed=0    unreachable=0    failed=1    skipped=0',
      '',
    ].join('\n');
    const recap = parseRecap(`noise\n${out}`);
    expect(recap.map((r) => r.host)).toEqual(['k8s-a', 'k8s-b', 'k8s-c']);
    expect(failedHosts(recap)).toEqual(['k8s-b (unreachable)', 'k8s-c (failed)']);
    expect(parseRecap('ERROR! no play')).toEqual([]);
  });
});
