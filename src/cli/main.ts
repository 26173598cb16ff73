import { makeEnvelope, makeFailure, newCorrelationId } from '../core/envelope.ts'
import type { Envelope } from '../core/envelope.ts'
import type { ErrorCode } from '../core/errors.ts'
import { isKittyError, KittyError, UsageError } from '../core/errors.ts'
import type { CommandSpec } from '../engine/command-spec.ts'
import { loadConfig } from '../engine/config.ts'
import type { EngineContext } from '../engine/context.ts'
import { COMMANDS, findCommand, LEGACY_COMMANDS } from '../engine/registry.ts'
import { runCommand } from '../engine/run-command.ts'
import { resolveIdentity } from '../store/commit-mutation.ts'
import { hasGitBinary } from '../store/git-worktree.ts'
import { STATE_FETCH_DEPTH } from '../store/commit-remote.ts'
import { fetchBranch, openRemoteCache } from '../store/remote.ts'
import { assertBranchName, locateRepository, readRef, resolveStateBranch } from '../store/repository.ts'
import { Snapshot } from '../store/snapshot.ts'
import { describeCommand, parseCommandArgs } from './parse-argv.ts'

export interface CliResult {
  envelope: Envelope
  exitCode: 0 | 1 | 2
}

export interface CliEnvironment {
  env: NodeJS.ProcessEnv
  cwd: string
  now?: () => Date
}

const GROUP = 'orchestrator-api'

function qualified(spec: CommandSpec | null): string {
  if (!spec) return `${GROUP}.unknown`
  return spec.group === GROUP ? `${GROUP}.${spec.name}` : `agent.tasks.${spec.name}`
}

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

interface OpenedContext {
  ctx: EngineContext
  release: () => Promise<void>
}

const CONTROL = /[\x00-\x1f\x7f]/

function idempotencyKey(flags: Record<string, unknown>): string | undefined {
  const key = flags['idempotency-key'] as string | undefined
  if (key !== undefined && (key.trim() === '' || key.length > 200 || CONTROL.test(key))) {
    throw new UsageError("Option '--idempotency-key' must be one printable line of at most 200 characters.")
  }
  return key
}

function remoteTimeout(env: NodeJS.ProcessEnv): number {
  const ms = Number(env['KITTY_REMOTE_TIMEOUT_MS'] ?? 30_000)
  return Number.isFinite(ms) && ms > 0 ? ms : 30_000
}

/** A checkout (the usual CLI case) or, with --remote, a locked cache of the remote. */
async function openContext(flags: Record<string, unknown>, io: CliEnvironment, correlationId: string): Promise<OpenedContext> {
  const remoteUrl = flags['remote'] as string | undefined
  const base = { correlationId, now: io.now ?? (() => new Date()), gitBinary: hasGitBinary, idempotencyKey: idempotencyKey(flags) }
  if (remoteUrl !== undefined) return openRemoteContext(remoteUrl, flags, io, base)
  const root = (flags['repo'] as string | undefined) ?? io.env['SPECIFY_REPO_ROOT'] ?? io.cwd
  const repo = locateRepository(root)
  const branch = await resolveStateBranch(repo, (flags['branch'] as string | undefined) ?? io.env['KITTY_STATE_BRANCH'])
  const config = await loadConfig(await Snapshot.at(repo, await readRef(repo, branch.ref)))
  const remote = { remoteToken: io.env['KITTY_TOKEN'] || io.env['GITHUB_TOKEN'] || undefined, remoteTimeoutMs: remoteTimeout(io.env) }
  return { ctx: { ...base, repo, branch, config, author: await resolveIdentity(repo, io.env), ...remote }, release: async () => undefined }
}

async function openRemoteContext(
  url: string,
  flags: Record<string, unknown>,
  io: CliEnvironment,
  base: Pick<EngineContext, 'correlationId' | 'now' | 'gitBinary' | 'idempotencyKey'>,
): Promise<OpenedContext> {
  if (!/^https?:\/\//.test(url)) throw new UsageError("Option '--remote' must be an http(s) URL (isomorphic-git speaks smart HTTP only).")
  const options = {
    url,
    token: io.env['KITTY_TOKEN'] ?? io.env['GITHUB_TOKEN'],
    timeoutMs: remoteTimeout(io.env),
  }
  const cache = await openRemoteCache(options, io.env)
  try {
    const explicit = (flags['branch'] as string | undefined) ?? io.env['KITTY_STATE_BRANCH']
    if (explicit) assertBranchName(explicit)
    const fetched = await fetchBranch(cache.repo, options, explicit ?? null, STATE_FETCH_DEPTH)
    const branch = { ref: `refs/heads/${fetched.branch}`, branch: fetched.branch, checkedOut: false }
    const config = await loadConfig(await Snapshot.at(cache.repo, fetched.tip))
    const ctx: EngineContext = {
      ...base,
      repo: cache.repo,
      branch,
      config,
      author: await resolveIdentity(cache.repo, io.env),
      remote: { options, prefetched: { tip: fetched.tip } },
    }
    return { ctx, release: () => cache.lock.release() }
  } catch (err) {
    await cache.lock.release()
    throw err
  }
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
  const command = qualified(spec)
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
    } catch (err) {
      if (err instanceof UsageError) return usageFailure(err, correlationId)
      throw err
    }
    if (parsed.help) {
      return { envelope: makeEnvelope('help', true, describeCommand(spec), null, { correlationId }), exitCode: 0 }
    }
    if (spec.needsRepository && !ctx) {
      opened = await openContext(parsed.request.flags, io, correlationId)
      ctx = opened.ctx
    }
    const data = await runCommand(spec, ctx ?? detachedContext(io, correlationId), parsed.request)
    return { envelope: makeEnvelope(command, true, data, null, { correlationId, now: io.now?.() }), exitCode: 0 }
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

function internalError(err: unknown): KittyError {
  const message = err instanceof Error ? err.message : String(err)
  return new KittyError('INTERNAL_ERROR', `Internal error: ${message.split('\n')[0]}`)
}

/** contract-version needs no repository; it gets a context whose repository parts are unusable. */
function detachedContext(io: CliEnvironment, correlationId: string): EngineContext {
  const unavailable = () => {
    throw new KittyError('INTERNAL_ERROR', 'this command has no repository')
  }
  return new Proxy({ correlationId, now: io.now ?? (() => new Date()) } as EngineContext, {
    get: (target, key) => (key in target ? target[key as keyof EngineContext] : unavailable()),
  })
}
