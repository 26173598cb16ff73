import { makeEnvelope, makeFailure, newCorrelationId } from '../core/envelope.ts'
import type { Envelope } from '../core/envelope.ts'
import type { ErrorCode } from '../core/errors.ts'
import { isKittyError, UsageError } from '../core/errors.ts'
import type { CommandSpec } from '../engine/command-spec.ts'
import type { EngineContext } from '../engine/context.ts'
import { COMMANDS, findCommand, LEGACY_COMMANDS } from '../engine/registry.ts'
import { executeCommand, internalError, qualifiedName } from '../surface/execute-command.ts'
import type { OpenedContext, SurfaceEnvironment } from '../surface/open-context.ts'
import { openContext } from '../surface/open-context.ts'
import { parseRemoteUrl } from '../store/remote-url.ts'
import { describeCommand, parseCommandArgs } from './parse-argv.ts'

export interface CliResult {
  envelope: Envelope
  exitCode: 0 | 1 | 2
}

export type CliEnvironment = SurfaceEnvironment

const GROUP = 'orchestrator-api'

/**
 * The exit code follows the error code, wherever the error was raised: a usage error found by the
 * engine (`--limit abc`, `--mission ../x`) is as much a usage error as one found by the argv parser.
 */
export function exitCodeFor(code: ErrorCode): 1 | 2 {
  return code === 'USAGE_ERROR' ? 2 : 1
}

function usageFailure(err: UsageError, correlationId: string): CliResult {
  return { envelope: makeFailure('unknown', 'USAGE_ERROR', err.message, err.data, { correlationId }), exitCode: exitCodeFor(err.code) }
}

interface Routed {
  spec: CommandSpec
  args: string[]
  legacy: string | null
}

/** argv → command spec. Group-level mistakes are usage errors with Click's wording. */
function route(argv: string[]): Routed | { help: string[] } {
  const [group, ...rest] = argv
  if (group === undefined) throw new UsageError('Missing command.')
  if (group === 'help' || group === '--help') return { help: [] }
  if (group === 'agent') {
    const [sub, name, ...args] = rest
    if (sub !== 'tasks') throw new UsageError(sub === undefined ? 'Missing command.' : `No such command '${sub}'.`)
    if (name === undefined) throw new UsageError('Missing command.')
    const spec = findCommand('agent tasks', name)
    if (!spec) throw new UsageError(`No such command '${name}'.`)
    return { spec, args, legacy: null }
  }
  const own = findCommand('kitty', group)
  if (own) return { spec: own, args: rest, legacy: null }
  if (group !== GROUP) {
    throw new UsageError(group.startsWith('-') ? `No such option: ${group}` : `No such command '${group}'.`)
  }
  const [name, ...args] = rest
  if (name === undefined) throw new UsageError('Missing command.')
  if (name === '--help' || name === 'help') return { help: [] }
  if (name.startsWith('-')) throw new UsageError(`No such option: ${name.split('=')[0]}`)
  const canonical = LEGACY_COMMANDS[name]
  const spec = findCommand(GROUP, canonical ?? name)
  if (!spec) throw new UsageError(`No such command '${name}'.`)
  return { spec, args, legacy: canonical ? name : null }
}

/** `--feature X` → `--mission X`, for repositories that opted in to the 1.0 names. */
function aliasFeatureFlag(args: string[]): string[] {
  return args.map((a) => (a === '--feature' ? '--mission' : a.startsWith('--feature=') ? `--mission=${a.slice(10)}` : a))
}

function refuseLegacy(name: string | null): UsageError {
  const replacement = name ? LEGACY_COMMANDS[name]! : null
  const what = name ? `Command '${name}' is the contract 1.0 name; use '${replacement}'` : 'Option --feature is the contract 1.0 selector'
  return new UsageError(`${what} with --mission <slug>. (Set legacy_feature_aliases: true in .github/kitty.yml to accept it.)`, {
    ...(replacement ? { replacement } : { replacement: '--mission' }),
    legacy: name ?? '--feature',
  })
}

/** Run one CLI invocation: exactly one envelope, and the exit code that goes with it. */
export async function runCli(argv: string[], io: CliEnvironment): Promise<CliResult> {
  const correlationId = newCorrelationId()
  let routed: Routed | { help: string[] }
  try {
    routed = route(argv)
  } catch (err) {
    if (err instanceof UsageError) return usageFailure(err, correlationId)
    throw err
  }
  if ('help' in routed) {
    return {
      envelope: makeEnvelope('help', true, { commands: COMMANDS.map(describeCommand) }, null, { correlationId }),
      exitCode: 0,
    }
  }
  const { spec, legacy } = routed
  let args = routed.args
  const usesFeatureFlag = args.some((a) => a === '--feature' || a.startsWith('--feature='))
  const command = qualifiedName(spec)
  let opened: OpenedContext | null = null
  try {
    let ctx: EngineContext | null = null
    if (legacy || usesFeatureFlag) {
      // Opting in is a repository decision, so it is read from the repository's settings.
      const peek = (name: string) => args[args.indexOf(`--${name}`) + 1]
      const where = { repo: args.includes('--repo') ? peek('repo') : undefined, branch: args.includes('--branch') ? peek('branch') : undefined }
      opened = await openContext(where, io, correlationId).catch(() => null)
      ctx = opened?.ctx ?? null
      if (!ctx?.config.legacy_feature_aliases) return usageFailure(refuseLegacy(legacy), correlationId)
      args = aliasFeatureFlag(args)
    }
    let parsed
    try {
      parsed = parseCommandArgs(spec, args)
      // A bad --remote is a mistake in the invocation (exit 2), found before any cache folder exists.
      if (typeof parsed.request.flags['remote'] === 'string') parseRemoteUrl(parsed.request.flags['remote'])
    } catch (err) {
      if (err instanceof UsageError) return usageFailure(err, correlationId)
      throw err
    }
    if (parsed.help) {
      return { envelope: makeEnvelope('help', true, describeCommand(spec), null, { correlationId }), exitCode: 0 }
    }
    const envelope = await executeCommand(spec, parsed.request, { io, correlationId, opened: ctx })
    return { envelope, exitCode: envelope.success || envelope.error_code === null ? 0 : exitCodeFor(envelope.error_code) }
  } catch (err) {
    const known = isKittyError(err) ? err : internalError(err)
    return {
      envelope: makeFailure(command, known.code, known.message, known.data, { correlationId, now: io.now?.() }),
      exitCode: exitCodeFor(known.code),
    }
  } finally {
    await opened?.release()
  }
}
