/**
 * The contract between `npm run reliability` and its case files: every
 * `test/reliability/*.cases.ts` exports `cases`, and the runner reports each outcome as JSON.
 */

/** What a reliability case proves: a fault survived, a race run, hostile input refused, or no secret leaked. */
export type ReliabilityClass = 'fault' | 'race' | 'hostile-input' | 'secret';

/** The result of one case; `passed` is false whenever any count below is not zero. */
export interface ReliabilityOutcome {
  passed: boolean;
  /** One sentence on what was tried and what happened. */
  detail: string;
  /** VMs created twice (race cases). */
  duplicates?: number;
  /** VMs left half-made or unowned (fault cases). */
  orphans?: number;
  /** Known secret values found in argv, logs or world-readable files (secret cases). */
  secretsFound?: number;
}

/** One case: a name, its class, and a self-contained run (starts and stops its own simulators). */
export interface ReliabilityCase {
  class: ReliabilityClass;
  name: string;
  run(): Promise<ReliabilityOutcome>;
}
