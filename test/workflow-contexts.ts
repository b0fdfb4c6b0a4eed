// Workflow files and GitHub contexts for evaluating their conditions: on push, pull_request
// and schedule `inputs` is null; a workflow_dispatch has typed inputs at their defaults; a
// called workflow sees its caller's github context and the inputs its caller passes.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

const root = path.resolve(import.meta.dirname, '..');
const dir = path.join(root, '.github', 'workflows');

export interface Step {
  id?: string;
  name?: string;
  if?: string;
}
export interface Job {
  if?: string;
  needs?: string | string[];
  'runs-on'?: unknown;
  steps?: Step[];
}
export interface Workflow {
  on: Record<string, { inputs?: Record<string, { default?: unknown }> } | null>;
  jobs: Record<string, Job>;
}
export const workflows: Record<string, Workflow> = Object.fromEntries(
  readdirSync(dir)
    .filter((f) => f.endsWith('.yml'))
    .map((f) => [f, parse(readFileSync(path.join(dir, f), 'utf8')) as Workflow]),
);

export const REPO = 'acme/homelab';
export const BOT_EMAIL = '41898282+github-actions[bot]@users.noreply.github.com';
const SHA = 'c0ffee'.padEnd(40, '0');

/** The dispatch inputs context: every declared input at its default, typed, then overrides. */
function dispatchInputs(file: string, over: Record<string, unknown> = {}) {
  const declared = workflows[file].on.workflow_dispatch?.inputs ?? {};
  return {
    ...Object.fromEntries(Object.entries(declared).map(([k, v]) => [k, v.default ?? ''])),
    ...over,
  };
}

export type Ctx = Record<string, unknown>;
const base = (event_name: string, event: object, extra: object = {}) => ({
  event_name,
  ref: 'refs/heads/main',
  actor: 'dev',
  repository: REPO,
  sha: SHA,
  event,
  ...extra,
});
/** Contexts of each triggering event, as GitHub builds them. */
export const events = {
  push: (
    message = 'feat: add k8s-foo [ansible k8s-foo]',
    email = 'dev@example.test',
    actor = 'dev',
  ) =>
    ({
      github: base('push', { head_commit: { message, author: { email } } }, { actor }),
      inputs: null,
    }) as Ctx,
  dispatch: (file: string, inputs: Record<string, unknown> = {}, ref = 'refs/heads/main') =>
    ({
      github: base('workflow_dispatch', { inputs }, { ref }),
      inputs: dispatchInputs(file, inputs),
    }) as Ctx,
  pullRequest: (headRepo: string | null) =>
    ({
      github: base(
        'pull_request',
        { pull_request: { number: 7, head: { repo: headRepo && { full_name: headRepo } } } },
        { ref: 'refs/pull/7/merge' },
      ),
      inputs: null,
    }) as Ctx,
  schedule: () => ({ github: base('schedule', { schedule: '17 */6 * * *' }), inputs: null }) as Ctx,
  /** provision.yml called by apply.yml (a push): the caller's github, apply's `with:`. */
  call: (inputs: Record<string, unknown>) =>
    ({
      github: base('push', { head_commit: { message: 'feat: x', author: { email: 'd@x' } } }),
      inputs: {
        ref: SHA,
        playbook: '',
        'new-hosts': '',
        playbooks: '',
        'known-hosts': '',
        'publish-kubeconfig': true,
        ...inputs,
      },
    }) as Ctx,
};
