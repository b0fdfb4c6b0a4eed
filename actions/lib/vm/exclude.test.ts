import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { formatDiagnostic } from './diagnostics.js';
import { loadRepository } from './load.js';

const temps: string[] = [];
afterEach(async () => {
  await Promise.all(temps.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function repo(config: string, names: string[]): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'vm-exclude-'));
  temps.push(dir);
  await mkdir(path.join(dir, 'vms'));
  await writeFile(path.join(dir, 'pve-gitops.yaml'), config);
  for (const n of names)
    await writeFile(path.join(dir, 'vms', `${n}.yaml`), `name: ${n}\ntarget_node: pve1\n`);
  return dir;
}

describe('exclude', () => {
  it('names the excluded files, whose VMs prune must keep', async () => {
    const r = await loadRepository(await repo("exclude: ['k8s-*.yaml']\n", ['web', 'k8s-home']));
    expect(r.diagnostics).toEqual([]);
    expect(r.vms.map((v) => v.name)).toEqual(['web']);
    expect(r.excluded).toEqual(['k8s-home']);
  });

  it('fails validate when it matches every file: nothing would be managed', async () => {
    const r = await loadRepository(
      await repo("prune:\n  enabled: true\nexclude: ['**']\n", ['a', 'b']),
    );
    expect(r.diagnostics.map(formatDiagnostic)).toEqual([
      'pve-gitops.yaml:3:1: exclude matches every file in vms/ (2); nothing would be managed — narrow the globs.',
    ]);
  });
});
