import { defineConfig } from 'vitest/config';

// `npm run test:fast` (FRIDAY_TEST_FAST=1) is the inner loop: it leaves out the SIGKILL loops,
// the feed worker on a large feed, the whole-week demo, the updater build of the client package
// and the README quick start from a packed tarball. `npm test` (and CI) runs everything.
const slow = [
  'test/e2e/crash-safety.test.ts',
  'test/e2e/cut-crash-safety.test.ts',
  'test/e2e/feed-worker.test.ts',
  'test/e2e/demo.test.ts',
  'test/e2e/client-package.test.ts',
  'test/e2e/quickstart.test.ts',
];

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: process.env.FRIDAY_TEST_FAST ? slow : [],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: process.env.CI ? ['default', 'json'] : ['default'],
    outputFile: { json: 'node_modules/.cache/friday-test-results.json' },
  },
});
