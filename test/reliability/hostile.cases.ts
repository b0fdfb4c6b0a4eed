/**
 * Hostile-input reliability cases for `npm run reliability`: every case of the corpus
 * (test/hostile/corpus.ts) run through the CLI bundle as test/hostile-input.test.ts runs it;
 * a case passes when validate refuses the value in one sentence at its file and line, the
 * inventory step stops on it, and nothing is written.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { HOSTILE_CASES } from '../hostile/corpus.js';
import { cli, hostileProblem, runHostile } from '../hostile/run.js';
import type { ReliabilityCase } from './types.js';

/** Commit messages whose tag only looks like one: apply's tag check must fail on each. */
const LOOK_ALIKE_TAGS: Array<[string, string]> = [
  ['fullwidth brackets', 'fix: proxy \uFF3Bansible haproxy\uFF3D'],
  ['Cyrillic a', 'fix: proxy [\u0430nsible haproxy]'],
  ['space after the bracket', 'fix: proxy [ ansible haproxy]'],
];

function lookAlikeCase([what, message]: [string, string]): ReliabilityCase {
  return {
    class: 'hostile-input',
    name: `hostile look-alike-tag: ${what}`,
    run() {
      const dir = mkdtempSync(path.join(tmpdir(), 'hostile-tag-'));
      try {
        mkdirSync(path.join(dir, 'playbooks'));
        writeFileSync(path.join(dir, 'playbooks/haproxy.yml'), '- hosts: haproxy\n  tasks: []\n');
        const r = cli(['tags', '--message', message], dir);
        const passed =
          r.code === 1 && r.stdout === '' && /looks like a tag but is not one/.test(r.stderr);
        return Promise.resolve({
          passed,
          detail: passed
            ? `The tags check failed in one sentence: ${r.stderr.trim().slice(0, 160)}`
            : `tags exited ${r.code} printing ${JSON.stringify(r.stdout)}: ${r.stderr.trim()}`,
        });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

const corpusCases: ReliabilityCase[] = HOSTILE_CASES.map((c) => ({
  class: 'hostile-input',
  name: `hostile ${c.kind}: ${c.name}`,
  run() {
    const outcome = runHostile(c);
    const problem = hostileProblem(c, outcome);
    const said = outcome.validate.stderr.trim().split('\n')[0] ?? '';
    return Promise.resolve({
      passed: problem === undefined,
      detail: problem ?? `Refused at the door: ${said.slice(0, 200)}`,
    });
  },
}));

export const cases: ReliabilityCase[] = [...corpusCases, ...LOOK_ALIKE_TAGS.map(lookAlikeCase)];
