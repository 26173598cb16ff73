import { UsageError } from '../core/errors.ts'

/**
 * The Action's inputs (action.yml), read through the runner's `INPUT_*` variables by @actions/core.
 * Values stay strings here; which become flags depends on the command (inputs-to-args.ts).
 */

/** Inputs that become the command's own flags, by the flag's name. */
export const FLAG_INPUTS = [
  'mission',
  'wp',
  'to',
  'actor',
  'policy',
  'note',
  'review-ref',
  'force',
  'target',
  'strategy',
  'via',
] as const
export type FlagInput = (typeof FLAG_INPUTS)[number]

export interface ActionInputs {
  command: string
  flags: Partial<Record<FlagInput, string>>
  push: boolean
  token: string
  checkRun: boolean
  failOnError: boolean
}

export type GetInput = (name: string) => string

function bool(getInput: GetInput, name: string, fallback: boolean): boolean {
  const raw = getInput(name).trim().toLowerCase()
  if (raw === '') return fallback
  if (raw === 'true') return true
  if (raw === 'false') return false
  throw new UsageError(`Input '${name}' must be true or false, not '${raw.slice(0, 40)}'.`)
}

export function readInputs(getInput: GetInput): ActionInputs {
  const flags: Partial<Record<FlagInput, string>> = {}
  for (const name of FLAG_INPUTS) {
    const value = getInput(name)
    if (value.trim() !== '') flags[name] = name === 'note' || name === 'policy' ? value : value.trim()
  }
  return {
    command: getInput('command').trim() || 'auto',
    flags,
    push: bool(getInput, 'push', true),
    token: getInput('token'),
    checkRun: bool(getInput, 'check-run', true),
    failOnError: bool(getInput, 'fail-on-error', true),
  }
}
