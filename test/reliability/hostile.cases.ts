/**
 * Hostile-input reliability cases for `npm run reliability`: every case of the corpus
 * (test/hostile/corpus.ts) run through the CLI bundle as test/hostile-input.test.ts runs it;
 * a case passes when validate refuses the value in one sentence at its file and line, the
 * inventory step stops on it, and nothing is written.
 */
import { HOSTILE_CASES } from '../hostile/corpus.js';
import { hostileProblem, runHostile } from '../hostile/run.js';
import type { ReliabilityCase } from './types.js';

export const cases: ReliabilityCase[] = HOSTILE_CASES.map((c) => ({
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
