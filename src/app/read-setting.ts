import { UsageError } from '../core/errors.ts'

/**
 * A whole-number setting from the App's environment: absent or empty gives `fallback`; anything but a
 * whole number within `min`..`max` stops the start with `<name> must be <described>, not '<value>'`.
 */
export function wholeNumberSetting<F extends number | undefined>(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: F,
  range: { min: number; max: number },
  described: string,
): number | F {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  const n = Number(raw)
  if (!Number.isSafeInteger(n) || n < range.min || n > range.max)
    throw new UsageError(`${name} must be ${described}, not '${raw.slice(0, 20)}'.`)
  return n
}
