import { defineConfig } from 'vitest/config';

// Two tiers: `unit` tests sit beside the code and are pure (seconds, `npm run test:unit` for the
// inner loop); `integration` suites in test/ and sim/ start simulators, sshd hosts and Ansible.
// scripts/test runs both.
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores here: integration suites start servers and sshd hosts; keep them from starving.
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: 'unit', include: ['actions/**/*.test.ts'] } },
      {
        extends: true,
        test: { name: 'integration', include: ['sim/**/*.test.ts', 'test/**/*.test.ts'] },
      },
    ],
  },
});
