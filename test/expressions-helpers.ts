// GitHub's own expression evaluator (@actions/expressions, from actions/languageservices) with
// the job status functions the runner adds, for evaluating workflow conditions in tests.
import { Evaluator, Lexer, Parser, data } from '@actions/expressions';
import { truthy } from '@actions/expressions/result';

/**
 * What success(), failure() and cancelled() see: for a step the job status so far, for a job
 * its needs' results. A skipped need makes success() false without failure() (GitHub skips
 * the jobs that need a skipped job unless their condition says otherwise).
 */
export type Status = 'success' | 'failure' | 'cancelled' | 'skipped';

/** The status a job's condition sees from its needs' results. */
export function statusOfNeeds(results: string[]): Status {
  for (const s of ['cancelled', 'failure', 'skipped'] as const) if (results.includes(s)) return s;
  return 'success';
}

const CONTEXTS = ['github', 'inputs', 'vars', 'needs', 'steps', 'secrets', 'env', 'runner', 'job'];
const STATUS_FUNCTIONS = ['success', 'failure', 'always', 'cancelled'];

/** Plain JSON to the evaluator's data (null stays null, as on a push: `inputs` is null). */
export function toData(value: unknown): data.Dictionary {
  return JSON.parse(JSON.stringify(value), data.reviver) as data.Dictionary;
}

function parse(text: string) {
  const lexed = new Lexer(text).lex();
  return new Parser(
    lexed.tokens,
    CONTEXTS,
    STATUS_FUNCTIONS.map((name) => ({ name, minArgs: 0, maxArgs: 0 })),
  ).parse();
}

/** The expression inside `${{ }}`, or the whole text when a condition is written bare. */
export function unwrap(text: string): string {
  const m = /^\s*\$\{\{([\s\S]*)\}\}\s*$/.exec(text);
  return (m ? m[1] : text).trim();
}

/** Evaluates a value expression (runs-on, with:) to plain JSON. */
export function evaluateValue(text: string, context: Record<string, unknown>): unknown {
  const result = new Evaluator(parse(unwrap(text)), toData(context)).evaluate();
  return JSON.parse(JSON.stringify(result, data.replacer)) as unknown;
}

/**
 * Evaluates an `if:` as the runner does: without a status function it means
 * `success() && (condition)`; status functions answer from `status`.
 */
export function evaluateIf(
  condition: string | boolean | undefined,
  context: Record<string, unknown>,
  status: Status = 'success',
): boolean {
  let text = condition === undefined ? 'success()' : unwrap(String(condition));
  if (!/\b(success|failure|always|cancelled)\s*\(/i.test(text)) text = `success() && (${text})`;
  const fn = (v: boolean) => ({
    name: '',
    minArgs: 0,
    maxArgs: 0,
    call: () => new data.BooleanData(v),
  });
  const functions = new Map([
    ['success', fn(status === 'success')],
    ['failure', fn(status === 'failure')],
    ['always', fn(true)],
    ['cancelled', fn(status === 'cancelled')],
  ]);
  return truthy(new Evaluator(parse(text), toData(context), functions).evaluate());
}
