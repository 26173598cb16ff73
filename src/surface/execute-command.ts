import type { Board } from '../core/build-board.ts'
import { makeEnvelope, makeFailure } from '../core/envelope.ts'
import type { Envelope } from '../core/envelope.ts'
import { toKittyError } from '../core/errors.ts'
import type { CommandSpec } from '../engine/framework/command-spec.ts'
import type { EngineContext } from '../engine/framework/context.ts'
import type { Request } from '../engine/framework/request.ts'
import { runCommand } from '../engine/framework/run-command.ts'
import type { ContextLocation, OpenedContext, SurfaceEnvironment } from './open-context.ts'
import { detachedContext } from './detached-context.ts'

const GROUP = 'orchestrator-api'

/** The envelope's `command`: `orchestrator-api.<name>`, `agent.tasks.<name>` for the helpers, `kitty.<name>` for ours. */
export function qualifiedName(spec: CommandSpec | null): string {
  if (!spec) return `${GROUP}.unknown`
  if (spec.group === 'kitty') return `kitty.${spec.name}`
  return spec.group === GROUP ? `${GROUP}.${spec.name}` : `agent.tasks.${spec.name}`
}

export interface ExecuteOptions {
  io: SurfaceEnvironment
  correlationId: string
  /** Overrides what the request's flags say: a surface's own repository, token or delivery key. */
  where?: ContextLocation
  /** A context the caller already opened (and will release). */
  opened?: EngineContext | null
}

/**
 * A parsed request → exactly one envelope: open the context the command needs, run it, release the
 * context, and turn every failure into its stable code. The part of a surface after its own parsing.
 */
export async function executeCommand(spec: CommandSpec, request: Request, options: ExecuteOptions): Promise<Envelope> {
  const { io, correlationId } = options
  const command = qualifiedName(spec)
  let opened: OpenedContext | null = null
  try {
    let ctx = options.opened ?? null
    if (spec.needsRepository && !ctx) {
      opened = await openFor(spec, request, options)
      ctx = opened.ctx
    }
    const data = await runCommand(spec, ctx ?? detachedContext(io, correlationId), request)
    return makeEnvelope(command, true, data, null, { correlationId, now: io.now?.() })
  } catch (err) {
    return failureEnvelope(spec, err, options)
  } finally {
    await opened?.release()
  }
}

function definedOnly(where: ContextLocation): ContextLocation {
  return Object.fromEntries(Object.entries(where).filter(([, v]) => v !== undefined)) as ContextLocation
}

/**
 * The context the request's flags name, with the surface's own location winning where it sets one.
 * The store is imported here, not at the top: contract-version has no use for it.
 */
async function openFor(spec: CommandSpec, request: Request, options: ExecuteOptions): Promise<OpenedContext> {
  const { locationFromFlags, openContext } = await import('./open-context.ts')
  return openContext(
    { ...locationFromFlags(request.flags), ...definedOnly(options.where ?? {}) },
    options.io,
    options.correlationId,
    { writes: spec.access === 'write' },
  )
}

/** Any failure as the command's envelope: a KittyError keeps its code, anything else is INTERNAL_ERROR. */
function failureEnvelope(spec: CommandSpec, err: unknown, options: ExecuteOptions): Envelope {
  const known = toKittyError(err)
  return makeFailure(qualifiedName(spec), known.code, known.message, known.data, {
    correlationId: options.correlationId,
    now: options.io.now?.(),
  })
}

export interface ExecutedCommand {
  envelope: Envelope
  /** The state commit this command moved the branch to, or null (a read, a no-op, a failure). */
  commit: string | null
  /** The mission's board after a mission-level command, for the GitHub summaries (runCommandArgs). */
  board?: Board | null | undefined
}

/**
 * executeCommand, also answering which commit it made: for surfaces whose outputs name it (the
 * Action's `commit`, the App's check run). The branch tip is read before and after, under the
 * context's lock (the caller's, when it passes `opened`).
 */
export async function executeCommandForCommit(
  spec: CommandSpec,
  request: Request,
  options: ExecuteOptions,
): Promise<ExecutedCommand> {
  if (!spec.needsRepository) return { envelope: await executeCommand(spec, request, options), commit: null }
  // A surface running several commands on one context (the App: settings, then each comment line) opened it itself.
  if (options.opened) return runForCommit(options.opened, spec, request, options)
  let opened: OpenedContext
  try {
    opened = await openFor(spec, request, options)
  } catch (err) {
    return { envelope: failureEnvelope(spec, err, options), commit: null }
  }
  try {
    return await runForCommit(opened.ctx, spec, request, options)
  } finally {
    await opened.release()
  }
}

async function runForCommit(
  ctx: EngineContext,
  spec: CommandSpec,
  request: Request,
  options: ExecuteOptions,
): Promise<ExecutedCommand> {
  const { readRef } = await import('./open-context.ts')
  const before = ctx.remote?.prefetched ? ctx.remote.prefetched.tip : await readRef(ctx.repo, ctx.branch.ref)
  const envelope = await executeCommand(spec, request, { ...options, opened: ctx })
  const after = envelope.success && spec.access === 'write' ? await readRef(ctx.repo, ctx.branch.ref) : null
  return { envelope, commit: after !== null && after !== before ? after : null }
}
