import { describe, expect, it } from 'vitest';
import { cases } from './secrets.cases.js';

// The secret cases as `npm run reliability` runs them. The demo flow case is the same run as
// test/secrets-flow.test.ts, which asserts on its details; it is not repeated here.
describe('secret reliability cases', () => {
  it('export secret-class cases with distinct names', () => {
    expect(cases.length).toBeGreaterThanOrEqual(4);
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
    expect(cases.every((c) => c.class === 'secret')).toBe(true);
  });

  it.each(cases.filter((c) => !c.name.startsWith('demo flow')).map((c) => [c.name, c] as const))(
    '%s',
    async (_name, c) => {
      const r = await c.run();
      expect(r.secretsFound, r.detail).toBe(0);
      expect(r.passed, r.detail).toBe(true);
    },
    120_000,
  );
});
