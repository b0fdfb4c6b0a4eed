// The hostile-input corpus (issue 12, "input accepted at the door, refused halfway"): each
// value a later step would refuse is refused by validate with its file and line, and the
// first step that writes (inventory) stops on it, writing nothing. Runs the CLI bundle.
import { describe, expect, it } from 'vitest';
import { HOSTILE_CASES } from './hostile/corpus.js';
import { cli, hostileProblem, hostileRepo, runHostile } from './hostile/run.js';

describe('hostile input is refused at the door', () => {
  it.each(HOSTILE_CASES.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const o = runHostile(c);
    const line = o.validate.stderr.trimEnd();
    expect(o.validate.code).toBe(1);
    expect(line.split('\n')).toHaveLength(1);
    expect(line.startsWith(`${c.expect.file}:${c.expect.line}:`)).toBe(true);
    expect(line.replace(/^[^:]+:\d+:\d+: /, '')).toMatch(c.expect.message);
    expect(o.plan.code).toBe(1);
    expect(o.plan.stderr).toContain(line.replace(/\.$/, ''));
    expect(o.inventory.code).toBe(1);
    expect(o.written).toEqual([]);
    expect(hostileProblem(c, o)).toBeUndefined();
  });

  it('never quotes what a symbolic link points at', () => {
    const o = runHostile(HOSTILE_CASES.find((c) => c.name === 'symlink-to-passwd')!);
    expect(o.validate.stderr + o.validate.stdout).not.toMatch(/root:|x:0:0/);
  });
});

describe('a tag naming a playbook that cannot run', () => {
  // ansible-playbook 2.14 --syntax-check on a Galaxy requirements file: "A playbook must be a
  // list of plays"; the tag check used to accept it because the file exists.
  it('is refused by the tags check and by provision --playbook, before anything runs', () => {
    const repo = hostileRepo({
      name: 'requirements-tag',
      kind: 'playbook',
      files: { 'playbooks/requirements.yml': 'collections:\n  - name: community.general\n' },
      expect: { file: '', line: 0, message: /x/ },
    });
    try {
      const tags = cli(['tags', '--message', 'chore: deps [ansible requirements]'], repo.dir);
      expect(tags.code).toBe(1);
      expect(tags.stdout).toBe('');
      expect(tags.stderr).toMatch(
        /\[ansible requirements\] names playbooks\/requirements\.yml, which is not a list of plays/,
      );
      const provision = cli(['provision', '--playbook', 'requirements'], repo.dir);
      expect(provision.code).toBe(1);
      expect(provision.stderr).toMatch(/which is not a list of plays/);
    } finally {
      repo.remove();
    }
  });
});

describe('duplicates are reported linearly', () => {
  it('names at most three other places and counts the rest, once per file', () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 12; i++)
      files[`vms/k8s-d${String(i).padStart(2, '0')}.yaml`] =
        `name: k8s-d${String(i).padStart(2, '0')}\nipconfig0: ip=10.0.0.5/24\ntarget_node: pve1\n`;
    const repo = hostileRepo({
      name: 'dups',
      kind: 'duplicate',
      files,
      expect: { file: '', line: 0, message: /x/ },
    });
    try {
      const r = cli(['validate'], repo.dir);
      expect(r.code).toBe(1);
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines).toHaveLength(12);
      expect(lines[0]).toBe(
        'vms/k8s-d00.yaml:2:12: Static IP 10.0.0.5 is also used by vms/k8s-d01.yaml:2, vms/k8s-d02.yaml:2, vms/k8s-d03.yaml:2 and 8 other files; each VM needs its own.',
      );
      expect(lines[5]).toBe(
        'vms/k8s-d05.yaml:2:12: Static IP 10.0.0.5 is also used by vms/k8s-d00.yaml:2, vms/k8s-d01.yaml:2, vms/k8s-d02.yaml:2 and 8 other files; each VM needs its own.',
      );
    } finally {
      repo.remove();
    }
  });
});
