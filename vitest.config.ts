import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['actions/**/*.test.ts', 'sim/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores here: integration suites start servers and sshd hosts; keep them from starving.
    maxWorkers: 2,
  },
});
