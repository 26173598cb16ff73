import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    // A hang bound, not a speed bar: property and many-process tests take 30–60 s alone on two cores
    // and twice that beside another test file; speed is measured by `npm run bench`.
    testTimeout: 180_000,
    hookTimeout: 120_000,
    // Each test file spawns real git repositories and CLI processes; two cores, so keep the pool small.
    maxWorkers: 2,
  },
})
