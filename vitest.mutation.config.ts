import { defineConfig } from 'vitest/config'
import { scope } from './scripts/mutation-scopes.mjs'

/**
 * The tests StrykerJS runs against each mutant of one scope (scripts/mutation-scopes.mjs). A fixed
 * seed: a mutant must meet the inputs the dry run measured coverage with.
 */
export default defineConfig({
  test: {
    include: scope().tests,
    setupFiles: ['test/helpers/seed.ts'],
    // Fewer property runs than npm test: each mutant re-runs the tests that cover it.
    env: { FC_SEED: process.env['FC_SEED'] ?? '15', KITTY_FUZZ_RUNS: process.env['KITTY_FUZZ_RUNS'] ?? '10' },
    testTimeout: 180_000,
    hookTimeout: 120_000,
    maxWorkers: 1,
  },
})
