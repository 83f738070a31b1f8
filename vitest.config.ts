import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'ui/src/**/*.test.ts'],
    testTimeout: 20_000,
    // Finds or starts the PostgreSQL the store suite also runs on; provides its URL to tests.
    globalSetup: ['test/support/postgres-global-setup.ts'],
  },
});
