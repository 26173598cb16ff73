// Mutation testing (issue 15, docs/mutation-testing.md). One scope per run (scripts/mutation-scopes.mjs):
// the files it mutates and the in-process tests that cover them; for each mutant only the tests that
// covered its code run (coverageAnalysis perTest). One mutant at a time: two cores, shared.
import { scope } from './scripts/mutation-scopes.mjs'

const { name, mutate } = scope()

export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts', related: false },
  coverageAnalysis: 'perTest',
  concurrency: 1,
  mutate,
  ignorePatterns: ['dist', '.test-dist', 'reports', 'coverage', 'bench', '.scratch'],
  reporters: ['clear-text', 'progress-append-only', 'json', 'html'],
  jsonReporter: { fileName: `reports/mutation/${name}/mutation.json` },
  htmlReporter: { fileName: `reports/mutation/${name}/mutation.html` },
  // A static mutant (a module-level constant: the transition table, a regular expression) can only be
  // tested by re-running every test from scratch; they are listed as ignored in the report.
  ignoreStatic: true,
  incremental: true,
  incrementalFile: `reports/mutation/${name}/stryker-incremental.json`,
  timeoutMS: 20_000,
  // TypeScript 7 has no JavaScript API for Stryker's tsconfig rewriting; our tsconfig has no
  // `extends` or project references to rewrite, and vitest strips types without it.
  tsconfigFile: 'no-tsconfig-rewrite.json',
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
}
