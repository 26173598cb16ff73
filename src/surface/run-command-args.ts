import { makeFailure } from '../core/envelope.ts'
import { isKittyError } from '../core/errors.ts'
import { parseCommandArgs } from '../cli/parse-argv.ts'
import type { EngineContext } from '../engine/context.ts'
import { findCommand } from '../engine/registry.ts'
import type { ExecutedCommand } from './execute-command.ts'
import { executeCommandForCommit, internalError } from './execute-command.ts'
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
  if (!spec) return Promise.resolve({ envelope: makeFailure('unknown', 'USAGE_ERROR', `Unknown command '${command}'.`, {}, { correlationId }), commit: null })
  let request
  try {
    request = parseCommandArgs(spec, args).request
  } catch (err) {
    const known = isKittyError(err) ? err : internalError(err)
    return Promise.resolve({ envelope: makeFailure(spec.name, known.code, known.message, known.data, { correlationId }), commit: null })
  }
  return executeCommandForCommit(spec, request, { io, correlationId, where, opened: opened ?? null })
}
