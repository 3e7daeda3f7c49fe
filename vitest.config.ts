import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', 'dist/**'],
    // Two cores in CI: the crash and storage tests spawn processes and fsync, so keep the pool small.
    maxWorkers: 2,
    testTimeout: 30_000,
    // Set-up hooks spawn the CLI and the service (which starts a worker thread): on two busy cores
    // that has taken more than the default 10 s, failing the whole file before any test ran.
    hookTimeout: 60_000,
  },
});
