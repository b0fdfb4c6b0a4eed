// Runs every test/reliability/<name>.cases.ts (bundled on the fly with esbuild, as
// scripts/bench.mjs does with the benchmarks) and prints one JSON report on stdout: fault
// kinds injected and survived, race trials and duplicates, hostile inputs tried and rejected,
// secrets found, and every case with its outcome. Exits 1 when any case failed or threw.
// `node scripts/reliability.mjs races` runs only the case files whose name contains "races".
// The contract of a case file is test/reliability/types.ts.
import path from 'node:path';
import { withTsModules } from './lib/ts-modules.mjs';

const root = path.resolve(import.meta.dirname, '..');
const dir = path.join(root, 'test', 'reliability');
const results = [];
await withTsModules(
  root,
  {
    dir,
    suffix: '.cases.ts',
    filter: process.argv.slice(2),
    // Case files find the CLI bundle and fixtures relative to their own folder.
    define: { 'import.meta.dirname': JSON.stringify(dir) },
  },
  async (f, { cases }) => {
    for (const c of cases) {
      process.stderr.write(`reliability: ${f} ${c.class}: ${c.name}\n`);
      let outcome;
      try {
        outcome = await c.run();
      } catch (err) {
        outcome = { passed: false, detail: `threw: ${err instanceof Error ? err.message : err}` };
      }
      if (!outcome.passed) process.stderr.write(`reliability: FAILED: ${outcome.detail}\n`);
      results.push({ file: f, class: c.class, name: c.name, ...outcome });
    }
  },
);

const of = (cls) => results.filter((r) => r.class === cls);
const sum = (list, key) => list.reduce((n, r) => n + (r[key] ?? 0), 0);
const passed = (list) => list.filter((r) => r.passed).length;
const faults = of('fault');
const races = of('race');
const hostile = of('hostile-input');
const secrets = of('secret');
const report = {
  passed: results.length > 0 && results.every((r) => r.passed),
  faults: {
    // A fault case is named "<kind> <where>": SIGKILL, SIGTERM, SIGINT, node-offline, ...
    kinds: [...new Set(faults.map((r) => r.name.split(' ')[0]))],
    injected: faults.length,
    survived: passed(faults),
    orphans: sum(faults, 'orphans'),
  },
  races: { trials: races.length, duplicates: sum(races, 'duplicates'), passed: passed(races) },
  hostileInputs: { tried: hostile.length, rejected: passed(hostile) },
  secrets: { cases: secrets.length, found: sum(secrets, 'secretsFound') },
  cases: results,
};
process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
if (!report.passed) process.exitCode = 1;
