import { randomInt } from 'node:crypto'
import { defineConfig } from 'vitest/config'

// Every random choice in the tests derives from this seed (test/helpers/seed.ts): a fresh one per run
// unless FC_SEED replays an earlier one. Printed first, so a CI log always says how to replay it.
const FC_SEED = process.env['FC_SEED'] ?? String(randomInt(2 ** 31))
if (!/^-?\d+$/.test(FC_SEED)) throw new Error(`FC_SEED must be an integer, got ${JSON.stringify(FC_SEED)}`)
console.info(`random seed: FC_SEED=${FC_SEED}`)

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    setupFiles: ['test/helpers/seed.ts'],
    env: { FC_SEED },
    // A hang bound, not a speed bar: property and many-process tests take 30–60 s alone on two cores
    // and twice that beside another test file; speed is measured by `npm run bench`.
    testTimeout: 180_000,
    hookTimeout: 120_000,
    // Each test file spawns real git repositories and CLI processes; two cores, so keep the pool small.
    maxWorkers: 2,
    // @actions/workflow-parser imports its JSON schemas without `with { type: 'json' }`, which Node
    // refuses; inlined, Vite loads them (test/ci/workflow-syntax.test.ts).
    server: { deps: { inline: ['@actions/workflow-parser'] } },
  },
})
