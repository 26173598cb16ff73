import { makeFailure } from '../core/envelope.ts'
import { toKittyError } from '../core/errors.ts'
import { parseCommandArgs } from '../cli/parse-argv.ts'
import type { EngineContext } from '../engine/framework/context.ts'
import { findCommand } from '../engine/framework/registry.ts'
import { boardFromMissionState } from '../github/render-board-markdown.ts'
import type { ExecutedCommand } from './execute-command.ts'
import { executeCommandForCommit } from './execute-command.ts'
import type { ContextLocation, SurfaceEnvironment } from './open-context.ts'

/**
 * An orchestrator-api command named by a GitHub surface, with its CLI-style arguments (what the
 * comment parser and the event planner produce) → exactly one envelope and the commit it pushed.
 * The Action (`command: auto` and explicit steps) and the App both run commands through here.
 */
export function runCommandArgs(
  command: string,
  args: string[],
  where: ContextLocation,
  io: SurfaceEnvironment,
  correlationId: string,
  /** A context the caller opened and will release; `where` is then not opened again. */
  opened?: EngineContext,
): Promise<ExecutedCommand> {
  const spec = findCommand('orchestrator-api', command)
  if (!spec)
    return Promise.resolve({
      envelope: makeFailure('unknown', 'USAGE_ERROR', `Unknown command '${command}'.`, {}, { correlationId }),
      commit: null,
    })
  let request
  try {
    request = parseCommandArgs(spec, args).request
  } catch (err) {
    const known = toKittyError(err)
    return Promise.resolve({
      envelope: makeFailure(spec.name, known.code, known.message, known.data, { correlationId }),
      commit: null,
    })
  }
  const ran = executeCommandForCommit(spec, request, { io, correlationId, where, opened: opened ?? null })
  return BOARD_AFTER.has(spec.name) ? ran.then((r) => withBoard(r, where, io, correlationId, opened)) : ran
}

/** Mission-level commands whose summaries show the mission's board (mission-state carries its own). */
const BOARD_AFTER = new Set(['list-ready', 'accept-mission', 'merge-mission'])

/**
 * The board of the mission a command just acted on, read with mission-state (so from the state the
 * command left). A board that cannot be read only leaves the summary without it.
 */
async function withBoard(
  ran: ExecutedCommand,
  where: ContextLocation,
  io: SurfaceEnvironment,
  correlationId: string,
  opened?: EngineContext,
): Promise<ExecutedCommand> {
  const slug = ran.envelope.data['mission_slug']
  const spec = findCommand('orchestrator-api', 'mission-state')
  if (!ran.envelope.success || typeof slug !== 'string' || !spec) return ran
  try {
    const state = await executeCommandForCommit(spec, parseCommandArgs(spec, ['--mission', slug]).request, {
      io,
      correlationId,
      where,
      opened: opened ?? null,
    })
    return state.envelope.success ? { ...ran, board: boardFromMissionState(state.envelope.data) } : ran
  } catch {
    return ran
  }
}
