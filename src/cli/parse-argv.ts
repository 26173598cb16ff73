import { parseArgs } from 'node:util'
import type { ParseArgsConfig } from 'node:util'
import { UsageError } from '../core/errors.ts'
import type { CommandSpec } from '../engine/framework/command-spec.ts'
import { paramsOf } from '../engine/framework/command-spec.ts'
import { didYouMean } from '../core/closest-names.ts'
import type { Request } from '../engine/framework/request.ts'

type Options = NonNullable<ParseArgsConfig['options']>

const flagNames = (spec: CommandSpec): string[] => paramsOf(spec).map((p) => `--${p.name}`)

/** Node's parseArgs messages, rephrased as the Click messages upstream clients match on. */
function usageFromParseError(err: unknown, spec: CommandSpec): UsageError {
  const e = err as { code?: string; message: string }
  const option = /'(-{1,2}[^' <]+)/.exec(e.message)?.[1]
  switch (e.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      if (option === '--feature') {
        return new UsageError('No such option: --feature. Contract 1.3.0 renamed it: use --mission <slug>.', {
          replacement: '--mission',
        })
      }
      return new UsageError(`No such option: ${option ?? e.message}.${didYouMean(option ?? '', flagNames(spec))}`, {
        ...(option ? { option } : {}),
      })
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      if (/does not take an argument/.test(e.message))
        return new UsageError(`Option '${option}' does not take a value.`)
      return new UsageError(`Option '${option}' requires an argument.`)
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL': {
      const extra = /Unexpected argument '([^']*)'/.exec(e.message)?.[1]
      return new UsageError(`Got unexpected extra argument (${extra ?? ''}) for '${spec.name}'.`)
    }
    default:
      return new UsageError(e.message)
  }
}

/**
 * Every flag takes one value: node's parseArgs keeps the last of `--mission a --mission b` silently,
 * so a caller that built argv by appending (a default, then an override) would act on a mission it
 * may not have meant. Refuse instead, whatever the spelling (`--x v`, `--x=v`, `--no-x`); booleans too,
 * since `--push --no-push` has no meaning. (No command declares a repeatable flag; lists, such as
 * mark-status's task ids, are positionals.)
 */
function refuseRepeatedFlags(tokens: ReturnType<typeof parseArgs>['tokens']): void {
  const seen = new Map<string, string>()
  for (const token of tokens ?? []) {
    if (token.kind !== 'option' || token.name === 'help') continue
    const earlier = seen.get(token.name)
    if (earlier !== undefined) {
      const both =
        earlier === token.rawName ? `'${earlier}' is given twice` : `'${earlier}' and '${token.rawName}' are both given`
      throw new UsageError(`Option ${both}; it takes one value.`, { option: `--${token.name}` })
    }
    seen.set(token.name, token.rawName)
  }
}

export interface ParsedCommand {
  request: Request
  help: boolean
}

/** Parse one command's flags from its spec; every failure is a UsageError (exit 2 at the CLI). */
export function parseCommandArgs(spec: CommandSpec, args: string[]): ParsedCommand {
  const options: Options = { help: { type: 'boolean', short: 'h' } }
  const params = paramsOf(spec)
  for (const p of params) options[p.name] = { type: p.type }
  let parsed: ReturnType<typeof parseArgs>
  try {
    parsed = parseArgs({
      args,
      options,
      strict: true,
      allowPositionals: (spec.positionals?.length ?? 0) > 0,
      allowNegative: true,
      tokens: true,
    })
  } catch (err) {
    throw usageFromParseError(err, spec)
  }
  refuseRepeatedFlags(parsed.tokens)
  const flags = parsed.values as Record<string, string | boolean | undefined>
  for (const p of params) {
    // allowNegative accepts --no-x for every boolean; only flags declared negatable may take it.
    if (p.type === 'boolean' && flags[p.name] === false && !p.negatable)
      throw new UsageError(`No such option: --no-${p.name}`)
  }
  const help = flags['help'] === true
  delete flags['help']
  if (!help) {
    const missing = params.find((p) => p.required && flags[p.name] === undefined)
    if (missing) throw new UsageError(`Missing option '--${missing.name}'. ${missingHint(spec)}`)
  }
  return { request: { flags, positionals: parsed.positionals }, help }
}

/** What a command needs in full, so one missing flag is not followed by the next one's error. */
function missingHint(spec: CommandSpec): string {
  const required = paramsOf(spec)
    .filter((p) => p.required)
    .map((p) => `--${p.name}`)
  return `'${spec.name}' needs ${required.join(', ')}.`
}
