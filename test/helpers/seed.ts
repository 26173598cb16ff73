import fc from 'fast-check'
import { beforeEach } from 'vitest'

/**
 * One seed per test run for everything random in the tests: every fast-check property (set globally
 * here, a setup file of every test file) and every random kill point or delay (`randomInts`). The
 * config picks it (FC_SEED, else fresh) and prints it; a failing test prints how to replay it.
 */
export const SEED = Number(process.env['FC_SEED'] ?? 0)

fc.configureGlobal({ seed: SEED })

beforeEach(({ onTestFailed, task }) => {
  onTestFailed(() =>
    console.error(
      `[${task.name}] random choices came from seed ${SEED}: replay with FC_SEED=${SEED} npm test -- ${task.file.name}`,
    ),
  )
})

/** `n` integers in [min, max], the same for the same seed and label (each use draws its own stream). */
export function randomInts(label: string, n: number, min: number, max: number): number[] {
  let salt = 0
  for (const ch of label) salt = (Math.imul(salt, 31) + ch.charCodeAt(0)) | 0
  return fc.sample(fc.integer({ min, max }), { seed: (SEED ^ salt) | 0, numRuns: n })
}
