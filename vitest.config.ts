import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // compiles dist/ and rebuilds a stale addon first: no test runs the previous build
    globalSetup: ['test/global-setup.ts'],
    // Kernel tests are CPU-bound and the native thread pool already uses every core:
    // running test files one at a time keeps them from fighting over two cores.
    fileParallelism: false,
    testTimeout: 120_000,
  },
});
