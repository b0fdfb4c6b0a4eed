// Imports TypeScript entry files outside the build: each is bundled by esbuild into a
// temporary folder inside node_modules (so the packages it keeps external resolve) and
// loaded. Used by scripts/bench.mjs and scripts/reliability.mjs.
import { build } from 'esbuild';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * Calls `use(file, module)` for every `<dir>/*<suffix>` whose name contains one of `filter`
 * (all when empty), in name order; `define` is passed to esbuild as is.
 */
export async function withTsModules(root, { dir, suffix, filter = [], define }, use) {
  const files = (await readdir(dir))
    .filter((f) => f.endsWith(suffix))
    .filter((f) => filter.length === 0 || filter.some((w) => f.includes(w)))
    .sort();
  const cache = path.join(root, 'node_modules', '.cache');
  await mkdir(cache, { recursive: true });
  const tmp = await mkdtemp(path.join(cache, 'ts-modules-'));
  try {
    for (const f of files) {
      const outfile = path.join(tmp, f.replace(/\.ts$/, '.mjs'));
      await build({
        entryPoints: [path.join(dir, f)],
        outfile,
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: 'node22',
        packages: 'external',
        logLevel: 'warning',
        ...(define ? { define } : {}),
      });
      await use(f, await import(pathToFileURL(outfile).href));
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
