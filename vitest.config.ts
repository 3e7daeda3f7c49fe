import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', 'dist/**'],
    // Two cores in CI: the crash and storage tests spawn processes and fsync, so keep the pool small.
    maxWorkers: 2,
    testTimeout: 30_000,
  },
});
