import type { CommandSpec } from './command-spec.ts'
import type { EngineContext } from './context.ts'
import { DuplicateDelivery, duplicatePayload } from './idempotency.ts'
import type { Request } from './request.ts'

/** The one way surfaces run a command: a repeated idempotency key answers the original outcome. */
export async function runCommand(spec: CommandSpec, ctx: EngineContext, req: Request): Promise<Record<string, unknown>> {
  try {
    return await spec.run(ctx, req)
  } catch (err) {
    if (err instanceof DuplicateDelivery) return duplicatePayload(err)
    throw err
  }
}
