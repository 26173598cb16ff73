import type { Planned } from '../../store/history/commit-mutation.ts'
import type { HistoryCommit } from '../../store/history/read-history.ts'
import type { Snapshot } from '../../store/objects/snapshot.ts'
import type { EngineContext } from './context.ts'

/** Thrown out of a mutation plan when its idempotency key is already on the branch. */
export class DuplicateDelivery extends Error {
  readonly original: HistoryCommit
  constructor(original: HistoryCommit) {
    super(`already applied in ${original.commit}`)
    this.name = 'DuplicateDelivery'
    this.original = original
  }
}

/**
 * Wrap a plan so a repeated key changes nothing: checked on every attempt against the tip being
 * built on, so two concurrent deliveries of one key cannot both commit.
 */
export function withIdempotency<R>(
  ctx: EngineContext,
  plan: (s: Snapshot) => Promise<Planned<R>>,
): (s: Snapshot) => Promise<Planned<R>> {
  const key = ctx.idempotencyKey
  if (!key) return plan
  return async (snapshot) => {
    // Imported on use: run-command.ts (every command's path) imports this module for DuplicateDelivery.
    const { findDelivery } = await import('../mission/write-path.ts')
    const original = await findDelivery(snapshot.repo, snapshot.commit, key)
    if (original) throw new DuplicateDelivery(original)
    const planned = await plan(snapshot)
    if (planned.kind === 'commit') planned.message.trailers['Kitty-Delivery'] = key
    return planned
  }
}

/** The original outcome, as far as its commit records it, marked as a no-op. */
export function duplicatePayload(dup: DuplicateDelivery): Record<string, unknown> {
  const t = dup.original.trailers
  return {
    mission_id: t['Kitty-Mission-Id'] ?? null,
    mission_slug: t['Kitty-Mission'] ?? null,
    ...(t['Kitty-WP'] ? { wp_id: t['Kitty-WP'] } : {}),
    ...(t['Kitty-From'] ? { from_lane: t['Kitty-From'] } : {}),
    ...(t['Kitty-To'] ? { to_lane: t['Kitty-To'] } : {}),
    no_op: true,
    duplicate_of: dup.original.commit,
    idempotency_key: t['Kitty-Delivery'],
  }
}
