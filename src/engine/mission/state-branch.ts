import type { MutationOutcome, Planned } from '../../store/history/commit-mutation.ts'
import { readRef } from '../../store/repository.ts'
import { Snapshot } from '../../store/objects/snapshot.ts'
import { StateConflictError } from '../../core/errors.ts'
import type { EngineContext } from '../framework/context.ts'
import { withIdempotency } from '../framework/idempotency.ts'
import { warn } from '../framework/warnings.ts'

/*
 * The write path and the remote's are imported where they are used (write-path.ts): every read
 * command imports this module for readTip, and would otherwise evaluate the commit machinery.
 */

/** The state branch's tip, for read commands (fetched first when the state is on a remote). */
export async function readTip(ctx: EngineContext): Promise<Snapshot> {
  if (ctx.remote) {
    const prefetched = ctx.remote.prefetched
    ctx.remote.prefetched = undefined
    const { fetchBranch, STATE_FETCH_DEPTH } = await import('./write-path.ts')
    const tip = prefetched
      ? prefetched.tip
      : (await fetchBranch(ctx.repo, ctx.remote.options, ctx.branch.branch, STATE_FETCH_DEPTH)).tip
    return Snapshot.at(ctx.repo, tip)
  }
  return Snapshot.at(ctx.repo, await readRef(ctx.repo, ctx.branch.ref))
}

/** Run a mutation on the state branch: local compare-and-swap, or push to the remote; both re-validate on a race. */
export function mutate<R>(
  ctx: EngineContext,
  plan: (snapshot: Snapshot) => Promise<Planned<R>>,
): Promise<MutationOutcome<R>> {
  const outcome = mutateOnce(ctx, plan)
  const observe = ctx.onStateRetries
  if (!observe) return outcome
  return outcome.then(
    (o) => {
      if (o.attempts > 1) observe(o.attempts - 1)
      return o
    },
    (err: unknown) => {
      if (err instanceof StateConflictError) observe(Math.max(ctx.config.max_attempts - 1, 0))
      throw err
    },
  )
}

async function mutateOnce<R>(
  ctx: EngineContext,
  plan: (snapshot: Snapshot) => Promise<Planned<R>>,
): Promise<MutationOutcome<R>> {
  const guarded = withIdempotency(ctx, plan)
  if (ctx.remote) {
    const { commitRemoteMutation } = await import('./write-path.ts')
    const options = {
      branch: ctx.branch.branch,
      author: ctx.author,
      now: ctx.now,
      maxAttempts: ctx.config.max_attempts,
    }
    return commitRemoteMutation(ctx.repo, ctx.remote.options, options, guarded)
  }
  const { sweepAbandonedClaims, commitMutation } = await import('./write-path.ts')
  await sweepAbandonedClaims(ctx)
  const outcome = await commitMutation(
    ctx.repo,
    { branch: ctx.branch, author: ctx.author, now: ctx.now, maxAttempts: ctx.config.max_attempts },
    guarded,
  )
  warn(ctx, outcome.warnings)
  return outcome
}
