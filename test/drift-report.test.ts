// drift.yml's report step, run by bash as the runner runs it, with a stand-in `gh` on PATH
// that records each call (and the body it was given) and answers `gh issue list` with the
// open drift issue. The real gh is not installed here; what is asserted is the script's
// decision: only a plan with no changes and no errors closes the issue.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const wf = parse(
  readFileSync(path.join(import.meta.dirname, '..', '.github', 'workflows', 'drift.yml'), 'utf8'),
) as { jobs: { report: { steps: Array<{ name?: string; run?: string }> } } };
const script = wf.jobs.report.steps.find(
  (s) => s.name === 'Open, update or close the drift issue',
)!.run!;

let root: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'pve-gitops-drift-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

let n = 0;
/** Runs the step; returns the gh calls as argument lists, bodies inlined. */
function report(opts: { hasChanges: string; result: string; open?: number; planMd?: string }) {
  const dir = path.join(root, String(++n));
  const bin = path.join(dir, 'bin');
  const temp = path.join(dir, 'temp');
  mkdirSync(bin, { recursive: true });
  mkdirSync(path.join(temp, 'drift'), { recursive: true });
  if (opts.planMd) writeFileSync(path.join(temp, 'drift', 'pve-gitops-plan.md'), opts.planMd);
  const calls = path.join(dir, 'calls');
  writeFileSync(calls, '');
  writeFileSync(
    path.join(bin, 'gh'),
    [
      '#!/bin/bash',
      `calls=${JSON.stringify(calls)}`,
      'line="$*"',
      'prev=""',
      'for a in "$@"; do if [ "$prev" = --body-file ]; then line="$line <<$(cat "$a")>>"; fi; prev="$a"; done',
      'printf "%s\\n" "$line" | tr "\\n" " " >> "$calls"; echo >> "$calls"',
      `if [ "$1 $2" = "issue list" ]; then echo ${opts.open ?? ''}; fi`,
      '',
    ].join('\n'),
  );
  chmodSync(path.join(bin, 'gh'), 0o755);
  execFileSync('bash', ['-e', '-c', script], {
    env: {
      PATH: `${bin}:/usr/bin:/bin`,
      GH_TOKEN: 'ghs_x',
      GH_REPO: 'acme/homelab',
      HAS_CHANGES: opts.hasChanges,
      PLAN_RESULT: opts.result,
      RUN_URL: 'https://github.com/acme/homelab/actions/runs/1',
      RUNNER_TEMP: temp,
      GITHUB_SHA: 'abc1234',
    },
  });
  return readFileSync(calls, 'utf8').trim().split('\n').filter(Boolean);
}

const SHRINK =
  '## Errors\n- k8s-a: scsi1 is 40G in the cluster and 20G in vms/k8s-a.yaml: cannot shrink.\n';

describe('the drift report', () => {
  it('keeps the issue open with the error when the plan failed without changes', () => {
    const calls = report({ hasChanges: 'false', result: 'failure', open: 12, planMd: SHRINK });
    expect(calls.some((c) => c.startsWith('issue close'))).toBe(false);
    const edit = calls.find((c) => c.startsWith('issue edit 12'));
    expect(edit).toContain('The scheduled plan of `main` failed');
    expect(edit).toContain('cannot shrink');
  });

  it('opens the issue when the plan stopped before reading the cluster', () => {
    const calls = report({ hasChanges: '', result: 'failure' });
    const create = calls.find((c) => c.startsWith('issue create'));
    expect(create).toContain('The plan stopped before it could read the cluster');
  });

  it('updates it on drift, and closes it only after a plan with no changes and no errors', () => {
    const drift = report({
      hasChanges: 'true',
      result: 'success',
      open: 12,
      planMd: '## Update\n',
    });
    expect(drift.find((c) => c.startsWith('issue edit 12'))).toContain('found differences');
    const clean = report({ hasChanges: 'false', result: 'success', open: 12 });
    expect(clean.at(-1)).toMatch(
      /^issue close 12 --comment The plan of abc1234 has no changes and no errors/,
    );
  });
});
