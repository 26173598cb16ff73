import { UsageError } from '../core/errors.ts'
import type { CommandSpec } from '../engine/framework/command-spec.ts'
import { COMMANDS, findCommand, LEGACY_COMMANDS } from '../engine/framework/registry.ts'
import type { ActionInputs, FlagInput } from './read-inputs.ts'
import { FLAG_INPUTS } from './read-inputs.ts'

/**
 * An explicit `command:` and its inputs → the command's CLI arguments. Each input becomes
 * `--name=value` (one argument, so a value can never become another flag); the CLI's own parser then
 * checks them exactly as it checks a terminal's.
 */

export interface ExplicitCommand {
  spec: CommandSpec
  args: string[]
  /** Inputs given that this command does not take (a warning, not an error: workflows share inputs). */
  unused: FlagInput[]
}

export function commandNames(): string[] {
  return COMMANDS.filter((c) => c.group === 'orchestrator-api').map((c) => c.name)
}

export function inputsToArgs(inputs: ActionInputs, defaults: { actor: string; policyJson: string }): ExplicitCommand {
  const name = LEGACY_COMMANDS[inputs.command] ? null : inputs.command
  const spec = name === null ? undefined : findCommand('orchestrator-api', name)
  if (!spec) {
    throw new UsageError(
      `Unknown command '${inputs.command.slice(0, 60)}'. Use 'auto' or one of: ${commandNames().join(', ')}.`,
      {
        commands: ['auto', ...commandNames()],
      },
    )
  }
  const takes = new Map(spec.params.map((p) => [p.name, p]))
  const args: string[] = []
  const unused: FlagInput[] = []
  const given: Partial<Record<FlagInput, string>> = { ...inputs.flags }
  // A person running a workflow acts as themselves, under the recorded human policy
  // (docs/design.md#a-person-on-github-has-no-policy).
  if (takes.has('actor') && given.actor === undefined) given.actor = defaults.actor
  if (takes.has('policy') && given.policy === undefined) given.policy = defaults.policyJson
  for (const input of FLAG_INPUTS) {
    const value = given[input]
    if (value === undefined) continue
    const param = takes.get(input)
    if (!param) {
      if (inputs.flags[input] !== undefined) unused.push(input)
      continue
    }
    if (param.type === 'boolean') {
      const on = value.toLowerCase()
      if (on !== 'true' && on !== 'false')
        throw new UsageError(`Input '${input}' must be true or false, not '${value.slice(0, 40)}'.`)
      if (on === 'true') args.push(`--${input}`)
      else if (param.negatable) args.push(`--no-${input}`)
    } else {
      args.push(`--${input}=${value}`)
    }
  }
  if (!inputs.push && spec.access === 'write') {
    // Through the remote layer a mutation is its push; the only write that can stop short is a merge plan.
    if (!takes.has('dry-run'))
      throw new UsageError(
        `push: false is only supported by merge-mission (a dry run); '${spec.name}' commits by pushing.`,
      )
    args.push('--dry-run')
  }
  return { spec, args, unused }
}
