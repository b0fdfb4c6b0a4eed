import { describe, expect, it } from 'vitest';
import { mergeConfig } from '../config/load.js';
import type { Repository } from '../vm/load.js';
import { toVmSpec } from '../vm/normalize.js';
import { cell, validationSummary } from './validate-summary.js';

const config = mergeConfig();
const web = toVmSpec(
  {
    name: 'web',
    target_node: 'pve1',
    cores: 2,
    sockets: 2,
    memory: 8192,
    disks: { scsi1: { size: '100G' }, scsi0: { size: '32G' } },
  },
  'vms/web.yaml',
  config,
);
const db = toVmSpec({ name: 'db', target_node: 'pve2', memory: 1000 }, 'vms/db.yaml', config);

describe('validationSummary', () => {
  it('shows one row per file with node, cores, memory, disks and result', () => {
    const repo: Repository = {
      config,
      vms: [db, web],
      diagnostics: [],
      files: ['vms/db.yaml', 'vms/web.yaml'],
      excluded: [],
    };
    expect(validationSummary(repo)).toBe(
      [
        '## pve-gitops validate',
        '',
        '✅ 2 VM definitions valid.',
        '',
        '| File | VM | Node | Cores | Memory | Disks | Result |',
        '| --- | --- | --- | --- | --- | --- | --- |',
        '| `vms/db.yaml` | db | pve2 | 2 | 1000 MiB | — | ✅ valid |',
        '| `vms/web.yaml` | web | pve1 | 4 (2×2) | 8 GiB | scsi0 32G, scsi1 100G | ✅ valid |',
        '',
      ].join('\n'),
    );
  });

  it('shows the first error of an invalid file, escaped for the table', () => {
    const repo: Repository = {
      config,
      vms: [web],
      files: ['vms/bad.yaml', 'vms/web.yaml'],
      excluded: [],
      diagnostics: [
        {
          file: 'pve-gitops.yaml',
          line: 1,
          col: 1,
          message: 'Unknown key `x`.',
          severity: 'error',
        },
        {
          file: 'vms/bad.yaml',
          line: 4,
          col: 3,
          message: 'a | b <script>',
          vm: 'bad',
          severity: 'error',
        },
        { file: 'vms/bad.yaml', line: 6, col: 1, message: 'second', vm: 'bad', severity: 'error' },
      ],
    };
    const text = validationSummary(repo);
    expect(text).toContain('❌ 3 errors in 2 files.');
    expect(text).toContain(
      '| `pve-gitops.yaml` | — | — | — | — | — | ❌ line 1: Unknown key &#96;x&#96;. |',
    );
    expect(text).toContain(
      '| `vms/bad.yaml` | bad | — | — | — | — | ❌ line 4: a &#124; b &#60;script&#62; (+1 more) |',
    );
  });

  it('stays under the size limit with a pointer to the rest', () => {
    const files = Array.from({ length: 500 }, (_, i) => `vms/vm-${i}.yaml`);
    const repo: Repository = { config, vms: [], diagnostics: [], files, excluded: [] };
    const text = validationSummary(repo, 4000);
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(4000);
    const shown = text.split('\n').filter((l) => l.startsWith('| `vms/')).length;
    expect(shown).toBeGreaterThan(10);
    expect(text).toContain(`_${500 - shown} more files not shown (summary size limit)`);
  });

  it('escapes cells', () => {
    expect(cell('a|b\nc<d')).toBe('a&#124;b c&#60;d');
  });
});
