import type { EngineContext } from './context.ts'

/**
 * Warnings: what failed after a command's commit landed (the command succeeded; each says how to
 * finish by hand). Collected on the context by whatever layer noticed, added to the payload once.
 */

export function warn(ctx: EngineContext, warnings: readonly string[]): void {
  if (warnings.length === 0) return
  ;(ctx.warnings ??= []).push(...warnings)
}

/** The payload with `warnings` holding its own and the collected ones: strings only, never empty. */
export function withWarnings(payload: Record<string, unknown>, collected: readonly string[]): Record<string, unknown> {
  const own = Array.isArray(payload['warnings']) ? (payload['warnings'] as unknown[]) : []
  const all = [...own, ...collected].filter((w): w is string => typeof w === 'string' && w.trim() !== '')
  const { warnings: _dropped, ...rest } = payload
  return all.length > 0 ? { ...rest, warnings: [...new Set(all)] } : rest
}
