import { CONTRACT_VERSION, makeEnvelope, makeFailure, newCorrelationId } from '../core/envelope.ts'
import type { Envelope } from '../core/envelope.ts'
import type { ErrorCode } from '../core/errors.ts'
import { toKittyError, UsageError } from '../core/errors.ts'
import type { CommandSpec } from '../engine/framework/command-spec.ts'
import type { EngineContext } from '../engine/framework/context.ts'
import { COMMANDS, findCommand, LEGACY_COMMANDS } from '../engine/framework/registry.ts'
import { executeCommand, qualifiedName } from '../surface/execute-command.ts'
import type { OpenedContext, SurfaceEnvironment } from '../surface/open-context.ts'
import { parseRemoteUrl } from '../store/remote/remote-url.ts'
import { parseCommandArgs } from './parse-argv.ts'
import { progressLine } from './progress-line.ts'
import type { ProgressLine } from './progress-line.ts'
import { describeCommand, describeGroup } from './describe-commands.ts'
import { renderCommandHelp, renderGroupHelp } from './help-text.ts'
import { didYouMean } from '../core/closest-names.ts'
import packageJson from '../../package.json' with { type: 'json' }

const PACKAGE_VERSION: string = packageJson.version

export interface CliResult {
  envelope: Envelope
  exitCode: 0 | 1 | 2
  /** Help or version for a person: printed instead of the envelope (which still says what happened). */
  text?: string
}

/** The process around the CLI: the surface environment, plus whether its streams are terminals. */
export interface CliEnvironment extends SurfaceEnvironment {
  stdoutIsTTY?: boolean
  stderrIsTTY?: boolean
  /** Where progress lines go (stderr); they are drawn only when stderrIsTTY and not --quiet. */
  writeStderr?: (text: string) => void
}

/** A progress line for this run, or null: only a terminal's stderr gets one, and never with --quiet. */
function progressFor(io: CliEnvironment, quiet: boolean): ProgressLine | null {
  return io.stderrIsTTY && io.writeStderr && !quiet ? progressLine(io.writeStderr) : null
}

const GROUP = 'orchestrator-api'

/**
 * The exit code follows the error code, wherever the error was raised: a usage error found by the
 * engine (`--limit abc`, `--mission ../x`) is as much a usage error as one found by the argv parser.
 */
export function exitCodeFor(code: ErrorCode): 1 | 2 {
  return code === 'USAGE_ERROR' ? 2 : 1
}

/** A usage error's envelope names the command it belongs to, when the argv got that far. */
function usageFailure(err: UsageError, correlationId: string, spec: CommandSpec | null = null): CliResult {
  return {
    envelope: makeFailure(qualifiedName(spec), 'USAGE_ERROR', err.message, err.data, { correlationId }),
    exitCode: exitCodeFor(err.code),
  }
}

interface Routed {
  kind: 'command'
  spec: CommandSpec
  args: string[]
  legacy: string | null
}

/** Where argv leads: a command, or one of the answers the CLI gives without running one. */
type Route = Routed | { kind: 'help' } | { kind: 'version' } | { kind: 'missing' }

const HELP_WORDS = new Set(['help', '--help', '-h'])

const groupCommandNames = (): string[] => [
  ...COMMANDS.filter((c) => c.group === GROUP).map((c) => c.name),
  ...Object.keys(LEGACY_COMMANDS),
]

/** An unknown word where a command goes: the nearest command, or the group a bare command name lacks. */
function noSuchCommand(name: string, names: readonly string[]): UsageError {
  if (findCommand(GROUP, name))
    return new UsageError(`No such command '${name}'. Did you mean 'orchestrator-api ${name}'?`)
  return new UsageError(`No such command '${name}'.${didYouMean(name, names)} (Run 'kitty --help' for the commands.)`)
}

/** argv → command spec. Group-level mistakes are usage errors with Click's wording. */
function route(argv: string[]): Route {
  const [group, ...rest] = argv
  if (group === undefined) return { kind: 'missing' }
  if (HELP_WORDS.has(group)) return { kind: 'help' }
  if (group === '--version') return { kind: 'version' }
  if (group === 'agent') {
    const [sub, name, ...args] = rest
    if (sub !== 'tasks')
      throw new UsageError(
        sub === undefined ? 'Missing command.' : `No such command '${sub}'.${didYouMean(sub, ['tasks'])}`,
      )
    if (name === undefined) throw new UsageError('Missing command.')
    const spec = findCommand('agent tasks', name)
    if (!spec)
      throw noSuchCommand(
        name,
        COMMANDS.filter((c) => c.group === 'agent tasks').map((c) => c.name),
      )
    return { kind: 'command', spec, args, legacy: null }
  }
  const own = findCommand('kitty', group)
  if (own) return { kind: 'command', spec: own, args: rest, legacy: null }
  if (group !== GROUP) {
    if (group.startsWith('-'))
      throw new UsageError(`No such option: ${group}.${didYouMean(group, ['--help', '--version'])}`)
    throw noSuchCommand(group, [GROUP, 'agent', 'help'])
  }
  const [name, ...args] = rest
  if (name === undefined) return { kind: 'missing' }
  if (HELP_WORDS.has(name)) return { kind: 'help' }
  if (name.startsWith('-'))
    throw new UsageError(`No such option: ${name.split('=')[0]}.${didYouMean(name.split('=')[0]!, ['--help'])}`)
  const canonical = LEGACY_COMMANDS[name]
  const spec = findCommand(GROUP, canonical ?? name)
  if (!spec) throw noSuchCommand(name, groupCommandNames())
  return { kind: 'command', spec, args, legacy: canonical ? name : null }
}

/**
 * Help is text for a person at a terminal and JSON for a program: `--json` or KITTY_HELP_FORMAT=json
 * forces JSON, KITTY_HELP_FORMAT=text forces text (what tests without a terminal use).
 */
function helpFormat(json: boolean, io: CliEnvironment): 'text' | 'json' {
  if (json) return 'json'
  const forced = io.env['KITTY_HELP_FORMAT']
  if (forced === 'text' || forced === 'json') return forced
  return io.stdoutIsTTY ? 'text' : 'json'
}

/** `--json` belongs to help and --version only; anywhere else it stays the usage error upstream has. */
function asksForHelp(argv: string[]): boolean {
  const [group, name] = argv
  return (
    argv.includes('--help') ||
    argv.includes('-h') ||
    argv.includes('--version') ||
    HELP_WORDS.has(group ?? '') ||
    (group === GROUP && HELP_WORDS.has(name ?? ''))
  )
}

function helpResult(format: 'text' | 'json', correlationId: string, spec: CommandSpec | null): CliResult {
  const data = spec ? describeCommand(spec) : describeGroup()
  const envelope = makeEnvelope('help', true, spec ? data : { ...data, version: PACKAGE_VERSION }, null, {
    correlationId,
  })
  if (format === 'json') return { envelope, exitCode: 0 }
  return {
    envelope,
    exitCode: 0,
    text: spec ? renderCommandHelp(describeCommand(spec)) : renderGroupHelp(describeGroup()),
  }
}

function versionResult(format: 'text' | 'json', correlationId: string): CliResult {
  const data = { version: PACKAGE_VERSION, contract_version: CONTRACT_VERSION }
  const envelope = makeEnvelope('version', true, data, null, { correlationId })
  return format === 'json'
    ? { envelope, exitCode: 0 }
    : {
        envelope,
        exitCode: 0,
        text: `kitty-github ${PACKAGE_VERSION} (orchestrator-api contract ${CONTRACT_VERSION})\n`,
      }
}

/** Bare `kitty`: upstream's "Missing command." usage error, with the usage itself. */
function missingCommand(format: 'text' | 'json', correlationId: string): CliResult {
  const commands = COMMANDS.filter((c) => c.group === GROUP).map((c) => c.name)
  const message = `Missing command. Usage: kitty orchestrator-api <command> [flags]; commands: ${commands.join(', ')}. Run 'kitty --help' for more.`
  const result = usageFailure(new UsageError(message, { usage: describeGroup().usage }), correlationId)
  return format === 'json' ? result : { ...result, text: renderGroupHelp(describeGroup()) }
}

/** `--feature X` → `--mission X`, for repositories that opted in to the 1.0 names. */
function aliasFeatureFlag(args: string[]): string[] {
  return args.map((a) =>
    a === '--feature' ? '--mission' : a.startsWith('--feature=') ? `--mission=${a.slice(10)}` : a,
  )
}

function refuseLegacy(name: string | null): UsageError {
  const replacement = name ? LEGACY_COMMANDS[name]! : null
  const what = name
    ? `Command '${name}' is the contract 1.0 name; use '${replacement}'`
    : 'Option --feature is the contract 1.0 selector'
  return new UsageError(
    `${what} with --mission <slug>. (Set legacy_feature_aliases: true in .github/kitty.yml to accept it.)`,
    {
      ...(replacement ? { replacement } : { replacement: '--mission' }),
      legacy: name ?? '--feature',
    },
  )
}

/** Run one CLI invocation: exactly one envelope, and the exit code that goes with it. */
export async function runCli(rawArgv: string[], io: CliEnvironment): Promise<CliResult> {
  const correlationId = newCorrelationId()
  const help = asksForHelp(rawArgv)
  const argv = help ? rawArgv.filter((a) => a !== '--json') : rawArgv
  const format = helpFormat(help && rawArgv.includes('--json'), io)
  let routed: Route
  try {
    routed = route(argv)
  } catch (err) {
    if (err instanceof UsageError) return usageFailure(err, correlationId)
    throw err
  }
  if (routed.kind === 'missing') return missingCommand(format, correlationId)
  if (routed.kind === 'version') return versionResult(format, correlationId)
  if (routed.kind === 'help') return helpResult(format, correlationId, null)
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
      const where = {
        repo: args.includes('--repo') ? peek('repo') : undefined,
        branch: args.includes('--branch') ? peek('branch') : undefined,
      }
      const { openContext } = await import('../surface/open-context.ts')
      opened = await openContext(where, io, correlationId).catch(() => null)
      ctx = opened?.ctx ?? null
      if (!ctx?.config.legacy_feature_aliases) return usageFailure(refuseLegacy(legacy), correlationId, spec)
      args = aliasFeatureFlag(args)
    }
    let parsed
    try {
      parsed = parseCommandArgs(spec, args)
      // A bad --remote is a mistake in the invocation (exit 2), found before any cache folder exists.
      if (typeof parsed.request.flags['remote'] === 'string') parseRemoteUrl(parsed.request.flags['remote'])
    } catch (err) {
      if (err instanceof UsageError) return usageFailure(err, correlationId, spec)
      throw err
    }
    if (parsed.help) return helpResult(format, correlationId, spec)
    const quiet = parsed.request.flags['quiet'] === true
    delete parsed.request.flags['quiet']
    const progress = progressFor(io, quiet)
    const envelope = await executeCommand(spec, parsed.request, {
      io: progress ? { ...io, progress: progress.sink } : io,
      correlationId,
      opened: ctx,
    }).finally(() => progress?.finish())
    return {
      envelope,
      exitCode: envelope.success || envelope.error_code === null ? 0 : exitCodeFor(envelope.error_code),
    }
  } catch (err) {
    const known = toKittyError(err)
    return {
      envelope: makeFailure(command, known.code, known.message, known.data, { correlationId, now: io.now?.() }),
      exitCode: exitCodeFor(known.code),
    }
  } finally {
    await opened?.release()
  }
}
