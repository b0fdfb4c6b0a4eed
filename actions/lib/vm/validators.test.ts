import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import vmSchema from '../../../schemas/vm.schema.json' with { type: 'json' };
import { GENERATED_VALIDATORS, generateValidatorsSource, newAjv } from './validators-codegen.js';
import { vmValidator } from './validators.js';

const root = path.resolve(import.meta.dirname, '../../..');

describe('generated validators', () => {
  it('match the schemas (npm run build rewrites them)', async () => {
    const want = await generateValidatorsSource();
    expect(await readFile(path.join(root, GENERATED_VALIDATORS), 'utf8')).toBe(want);
  });

  it('report the same errors as Ajv compiling the schema at run time', () => {
    const fresh = newAjv().compile(vmSchema);
    const { validate } = vmValidator();
    const samples: unknown[] = [
      { name: 'a', target_node: 'pve1' },
      {
        name: 'A_b',
        cores: 'x',
        agent: 2,
        network: { vlan: 0, foo: 1 },
        disks: { scsi0: {}, ide0: { size: '1G' } },
      },
      [],
      { name: 'a'.repeat(64), target_node: 'pve1', description: '😀', ciuser: 'x'.repeat(33) },
      { name: 'a', target_node: 'pve1', tags: ['ok', '-bad'], k3s: { role: 'boss' } },
    ];
    for (const s of samples) {
      expect(validate(s)).toBe(fresh(s));
      expect(validate.errors).toEqual(fresh.errors);
    }
  });
});
