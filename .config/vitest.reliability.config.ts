import { defineConfig } from 'vitest/config';

/**
 * `npm run test:reliability`: the reliability suites (test/reliability), heavy ones included
 * (`*.reliability.ts`: transient faults, 500 workflows, producer fuzzing). `npm test` picks up only
 * the light ones (`*.test.ts`). Each file starts its own local runtime (one per process).
 */
export default defineConfig({
  test: {
    root: new URL('..', import.meta.url).pathname,
    include: ['test/reliability/**/*.test.ts', 'test/reliability/**/*.reliability.ts'],
    environment: 'node',
    setupFiles: ['test/setup.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 600_000,
    hookTimeout: 120_000,
    // The load suite wants the machine to itself: one file at a time.
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
  },
});
