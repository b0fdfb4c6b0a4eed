// Runs every bench/<name>.bench.ts (bundled on the fly with esbuild) and prints one JSON
// object on stdout: {"<name>": {figures...}}. A benchmark exports
// `default async function (): Promise<Record<string, unknown>>` and reports medians.
// `node scripts/bench.mjs validate` runs only the benchmarks whose name contains "validate".
import path from 'node:path';
import { withTsModules } from './lib/ts-modules.mjs';

const root = path.resolve(import.meta.dirname, '..');
const results = {};
await withTsModules(
  root,
  { dir: path.join(root, 'bench'), suffix: '.bench.ts', filter: process.argv.slice(2) },
  async (f, mod) => {
    const name = f.replace(/\.bench\.ts$/, '');
    process.stderr.write(`bench: ${name}\n`);
    try {
      results[name] = await mod.default();
    } catch (err) {
      results[name] = { error: err instanceof Error ? err.message : String(err) };
      process.exitCode = 1;
    }
  },
);
process.stdout.write(JSON.stringify(results, null, 2) + '\n');
