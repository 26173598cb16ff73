import type { CommandSpec } from './command-spec.ts'
import type { EngineContext } from './context.ts'
import { DuplicateDelivery, duplicatePayload } from './idempotency.ts'
import type { Request } from './request.ts'
import { withWarnings } from './warnings.ts'

/** The one way surfaces run a command: a repeated idempotency key answers the original outcome. */
export async function runCommand(
  spec: CommandSpec,
  ctx: EngineContext,
  req: Request,
): Promise<Record<string, unknown>> {
  ctx.warnings ??= []
  try {
    return withWarnings(await spec.run(ctx, req), ctx.warnings)
  } catch (err) {
    if (err instanceof DuplicateDelivery) return withWarnings(duplicatePayload(err), ctx.warnings)
    throw err
  }
}
