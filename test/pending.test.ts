// refs/pve-gitops/unprovisioned: what was applied but not yet provisioned, kept in the
// repository outside every branch. Real git, a local bare repository as the remote.
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { gitExec } from '../actions/lib/gitops/git.js';
import { PENDING_REF, readPending, updatePending } from '../actions/lib/gitops/pending.js';
import { buildAction, gitEnv, originAndClone, runAction, sh } from './tags-helpers.js';

let root: string;
let bundle: string;
let origin: string;
let clone: string;
const A = 'a'.repeat(40);
const B = 'b'.repeat(40);

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'pve-gitops-pending-'));
  bundle = await buildAction('pending', path.join(root, 'build'));
}, 60_000);
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

let n = 0;
beforeEach(() => {
  const dir = path.join(root, `case-${++n}`);
  mkdirSync(dir);
  ({ origin, clone } = originAndClone(dir));
  mkdirSync(path.join(clone, 'vms'));
  for (const vm of ['k8s-a', 'k8s-b'])
    writeFileSync(path.join(clone, 'vms', `${vm}.yaml`), `name: ${vm}\n`);
});

function action(inputs: Record<string, string>) {
  return runAction(bundle, {
    cwd: clone,
    inputs: {
      'working-directory': '.',
      'new-hosts': '',
      tags: '',
      since: '',
      taken: '',
      ...inputs,
    },
    env: { GITHUB_SHA: A },
    outputFile: path.join(clone, '..', `out-${Math.random()}`),
  });
}

describe('the unprovisioned queue', () => {
  it('keeps both of two runs recording at the same moment (compare-and-swap push)', async () => {
    const other = path.join(clone, '..', 'other');
    sh(path.dirname(clone), 'clone', '--quiet', origin, other);
    await Promise.all([
      updatePending(gitExec(clone, gitEnv), {
        add: {
          hosts: [{ name: 'k8s-a', ip: '127.0.0.2', since: A }],
          tags: [{ name: 'k8s-a', since: A }],
        },
      }),
      updatePending(gitExec(other, gitEnv), {
        add: { hosts: [{ name: 'k8s-b', ip: '127.0.0.3', since: B }], tags: [] },
      }),
    ]);
    const { pending } = await readPending(gitExec(clone, gitEnv));
    expect(pending.hosts.map((h) => h.name).sort()).toEqual(['k8s-a', 'k8s-b']);
    expect(pending.tags).toEqual([{ name: 'k8s-a', since: A }]);
    // Outside every branch: main is untouched.
    expect(sh(origin, 'for-each-ref', '--format=%(refname)')).toBe(
      `refs/heads/main\n${PENDING_REF}`,
    );
  });

  it('take gives this run’s hosts with the queue’s, skipping a VM removed since; done removes only what was taken', () => {
    const rec = action({
      mode: 'record',
      'new-hosts': '127.0.0.2,k8s-a\n127.0.0.9,k8s-gone',
      tags: 'k8s-a',
    });
    expect(rec.code).toBe(0);
    expect(rec.outputs.count).toBe('3');
    const take = action({ mode: 'take', 'new-hosts': '127.0.0.3,k8s-b' });
    expect(take.code, take.stdout).toBe(0);
    expect(take.outputs['new-hosts']).toBe('127.0.0.3,k8s-b\n127.0.0.2,k8s-a');
    expect(take.outputs.message).toBe('[ansible k8s-a]');
    expect(take.stdout).toContain('k8s-gone is pending but vms/ no longer defines it');
    // A run records more while this one provisions: done must leave it.
    // k8s-b again (since B) and haproxy join the three entries still queued.
    expect(
      action({ mode: 'record', 'new-hosts': '127.0.0.3,k8s-b', since: B, tags: 'haproxy' }).outputs
        .count,
    ).toBe('5');
    expect(action({ mode: 'done', taken: take.outputs.taken }).code).toBe(0);
    const next = action({ mode: 'take' });
    expect(next.outputs['new-hosts']).toBe('127.0.0.3,k8s-b');
    expect(next.outputs.message).toBe('[ansible haproxy]');
  });

  it('a run cancelled between take and done leaves everything for the next run', () => {
    action({ mode: 'record', 'new-hosts': '127.0.0.2,k8s-a', tags: 'k8s-a' });
    const cancelled = action({ mode: 'take' });
    expect(cancelled.outputs['new-hosts']).toBe('127.0.0.2,k8s-a');
    // No done: the job was cancelled or provisioning failed.
    const next = action({ mode: 'take' });
    expect(next.outputs['new-hosts']).toBe('127.0.0.2,k8s-a');
    expect(next.outputs.message).toBe('[ansible k8s-a]');
  });

  it('refuses a bad mode or tag in one sentence, recording nothing', () => {
    const r = action({ mode: 'record', tags: 'x;rm' });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("The tags input holds 'x;rm', not a tag name.");
    expect(sh(origin, 'for-each-ref', '--format=%(refname)')).toBe('refs/heads/main');
  });
});
