import { describe, expect, it } from 'vitest';
import { snapshot, spec } from '../reconcile/fixtures.test-helpers.js';
import { plan } from '../reconcile/plan.js';
import { COMMENT_LIMIT } from '../reconcile/render-markdown.js';
import { planMarkdowns } from './plan-step.js';
import { PLAN_MARKER } from './pr-comment.js';

describe('planMarkdowns', () => {
  // Names of this length fill the comment to within a few characters of the limit, so a
  // marker line added afterwards would push the pointer past GitHub's cut.
  const specs = Array.from({ length: 3000 }, (_, i) => spec(`vm-${String(i).padStart(6, '0')}`));
  const { comment, summary } = planMarkdowns(plan(specs, snapshot(), { prune: false }));

  it('keeps the pointer to the full plan when the marker line is added to the comment', () => {
    const body = `${PLAN_MARKER}\n${comment}`;
    expect(body.length).toBeLessThanOrEqual(COMMENT_LIMIT);
    expect(body).toMatch(
      /see the job summary and the plan artifact \(pve-gitops-plan\.json\) for the full plan\._$/,
    );
  });

  it('gives the job summary the whole plan the comment points to', () => {
    // The last row of the Create table: in the summary, cut from the comment.
    const lastRow = /^\| vm-002999 \|/m;
    expect(summary.includes('truncated')).toBe(false);
    expect(lastRow.test(summary)).toBe(true);
    expect(lastRow.test(comment)).toBe(false);
  });

  it('leads with a bad-tag finding and still fits the comment limit with its pointer', () => {
    const notes =
      'Commit 1a2b3c4 "chore: x [ansible nope]": no playbooks/nope.yml. Nothing was run.';
    const withNotes = planMarkdowns(plan(specs, snapshot(), { prune: false }), notes);
    const body = `${PLAN_MARKER}\n${withNotes.comment}`;
    expect(withNotes.comment.startsWith(`> [!WARNING]\n> ${notes}\n\n`)).toBe(true);
    expect(withNotes.summary.startsWith('> [!WARNING]')).toBe(true);
    expect(body.length).toBeLessThanOrEqual(COMMENT_LIMIT);
    expect(body).toMatch(/for the full plan\._$/);
  });
});
