// Runs every bench/<name>.bench.ts (bundled on the fly with esbuild) and prints one JSON
// object on stdout: {"<name>": {figures...}}. A benchmark exports
// `default async function (): Promise<Record<string, unknown>>` and reports medians.
// `node scripts/bench.mjs validate` runs only the benchmarks whose name contains "validate".
import { build } from 'esbuild';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const root = path.resolve(import.meta.dirname, '..');
const filter = process.argv.slice(2);
const files = (await readdir(path.join(root, 'bench')))
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => filter.length === 0 || filter.some((w) => f.includes(w)))
  .sort();
// Inside node_modules so that the bundles, which keep packages external, resolve them.
const cache = path.join(root, 'node_modules', '.cache');
await mkdir(cache, { recursive: true });
const tmp = await mkdtemp(path.join(cache, 'bench-'));
const results = {};
try {
  for (const f of files) {
    const name = f.replace(/\.bench\.ts$/, '');
    const outfile = path.join(tmp, `${name}.mjs`);
    await build({
      entryPoints: [path.join(root, 'bench', f)],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node22',
      packages: 'external',
      logLevel: 'warning',
    });
    process.stderr.write(`bench: ${name}\n`);
    const mod = await import(pathToFileURL(outfile).href);
    try {
      results[name] = await mod.default();
    } catch (err) {
      results[name] = { error: err instanceof Error ? err.message : String(err) };
      process.exitCode = 1;
    }
  }
} finally {
  await rm(tmp, { recursive: true, force: true });
}
process.stdout.write(JSON.stringify(results, null, 2) + '\n');
