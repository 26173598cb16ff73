import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Each test file spawns real git repositories and CLI processes; two cores, so keep the pool small.
    maxWorkers: 2,
  },
})
