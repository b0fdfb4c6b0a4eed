import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import planSchema from '../../../schemas/plan.schema.json' with { type: 'json' };
import { snapshot, spec, vmOf } from './fixtures.test-helpers.js';
import { plan } from './plan.js';
import { COMMENT_LIMIT, renderPlanMarkdown, summaryLine } from './render-markdown.js';

const mixed = () => {
  const running = vmOf(spec('web'), 100);
  const stopped = vmOf(spec('db'), 101, { status: 'stopped' });
  return plan(
    [spec('web', { cores: 4 }), spec('db'), spec('new-1')],
    snapshot([running, stopped]),
    { prune: false },
  );
};

describe('renderPlanMarkdown', () => {
  it('has a summary line, a table per action, a collapsible diff and a memory chart', () => {
    const md = renderPlanMarkdown(mixed());
    expect(md).toContain('**1 to create, 1 to update, 1 to remediate; 0 unchanged.**');
    expect(md).toContain(
      '### Create (1)\n\n| VM | Node | VMID | Reason |\n|---|---|---|---|\n| new-1 | ' +
        'pve1 | new | not in the cluster |',
    );
    expect(md).toContain('| web | pve1 | 100 | cores | pending reboot |');
    expect(md).toContain('<details><summary>web: 1 setting</summary>');
    expect(md).toContain('| cores | 2 | 4 | at reboot | – |');
    expect(md).toContain('| db | pve1 | 101 | start | stopped; definition says running |');
    expect(md).toContain('```mermaid\nxychart-beta');
    expect(md).toContain('  bar [2048, 0]\n  bar [6144, 0]');
    expect(md).toContain('New hosts (to provision): `new-1`');
  });

  it('says so when nothing changes', () => {
    const s = spec('web');
    expect(summaryLine(plan([s], snapshot([vmOf(s, 100)]), { prune: false }))).toBe(
      'No changes; 1 unchanged.',
    );
  });

  it('escapes table cells', () => {
    const s = spec('web', { description: 'a | b\nc' });
    const md = renderPlanMarkdown(plan([s], snapshot([vmOf(spec('web'), 100)]), { prune: false }));
    expect(md).toContain('| description | – | a &#124; b c | now | – |');
  });

  it('stays under the comment limit and points at the full plan', () => {
    const specs = Array.from({ length: 3000 }, (_, i) => spec(`vm-${String(i).padStart(4, '0')}`));
    const md = renderPlanMarkdown(plan(specs, snapshot(), { prune: false }));
    expect(md.length).toBeLessThanOrEqual(COMMENT_LIMIT);
    expect(md).toMatch(
      new RegExp(
        '_Plan truncated to fit 65,536 characters: see the job summary and the plan artifact ' +
          '\\(plan\\.json\\) for the full plan\\._$',
      ),
    );
    expect(md.startsWith('## pve-gitops plan\n\n**3000 to create')).toBe(true);
  });
});

describe('plan JSON', () => {
  it('follows schemas/plan.schema.json', () => {
    const validate = new Ajv2020({ strict: true, allErrors: true }).compile(planSchema);
    const p = mixed();
    const ok = validate(JSON.parse(JSON.stringify(p)));
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
    expect(
      validate({ ...p, actions: [{ kind: 'remediate', vm: 'x', node: 'pve1', reason: 'r' }] }),
    ).toBe(false);
  });
});
