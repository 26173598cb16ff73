import { setTimeout as sleep } from 'node:timers/promises'
import { KittyError, StateConflictError } from '../../core/errors.ts'
import type { Identity, MutationOutcome, Planned } from '../history/commit-mutation.ts'
import { writeCommitOnSnapshot } from '../history/commit-mutation.ts'
import type { RemoteOptions } from './remote.ts'
import { fetchBranch, pushCommit, redactUrl } from './remote.ts'
import { branchProtectedError } from './branch-protection.ts'
import type { Repository } from '../repository.ts'
import { Snapshot } from '../objects/snapshot.ts'
import { readCommitInfo } from '../objects/walk-commits.ts'

/** Enough history for the idempotency scan; routine commands never need more. */
export const STATE_FETCH_DEPTH = 50

export interface RemoteMutationOptions {
  branch: string
  author: Identity
  now: () => Date
  maxAttempts?: number
  /** Smallest backoff unit, in ms (the unit is otherwise the duration of the lost attempt). */
  backoffMs?: number
}

/** First-parent commits from `tip` back to `base` (at least 1: the branch moved), at most 50. */
async function commitsSince(cache: Repository, tip: string | null, base: string | null): Promise<number> {
  let count = 0
  for (let oid = tip; oid && oid !== base && count < 50; count++) {
    const parents = await readCommitInfo(cache, oid).then(
      (info) => info.commit.parent,
      () => [] as string[],
    )
    oid = parents[0] ?? null
  }
  return Math.max(count, 1)
}

/**
 * The write path without a checkout: fetch the branch, plan on its tip, write one commit into the
 * cache, push it. A push refused because the branch moved is a lost compare-and-swap: fetch again,
 * re-read, re-validate (a retry may now be refused, e.g. WP_ALREADY_CLAIMED) and push again, after a
 * jittered wait that grows with the tries and the writers seen landing, until the tries run out
 * (STATE_CONFLICT with the count).
 */
export async function commitRemoteMutation<R>(
  cache: Repository,
  remote: RemoteOptions,
  options: RemoteMutationOptions,
  plan: (snapshot: Snapshot) => Promise<Planned<R>>,
): Promise<MutationOutcome<R>> {
  const maxAttempts = options.maxAttempts ?? 5
  const backoff = options.backoffMs ?? 50
  // Commits that beat us so far: how many writers we are up against, read from the branch itself.
  let landed = 0
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const started = Date.now()
    const { tip } = await fetchBranch(cache, remote, options.branch, STATE_FETCH_DEPTH)
    const snapshot = await Snapshot.at(cache, tip)
    const planned = await plan(snapshot)
    if (planned.kind === 'noop') return { result: planned.result, commit: null, attempts: attempt, warnings: [] }
    const commit = await writeCommitOnSnapshot(
      cache,
      snapshot,
      planned.message,
      planned.changes,
      options.author,
      options.now(),
    )
    const pushed = await pushCommit(cache, remote, options.branch, commit, tip)
    if (pushed.ok) return { result: planned.result, commit, attempts: attempt, warnings: [] }
    if (!pushed.moved) {
      if (pushed.protected) {
        throw branchProtectedError({
          remote: redactUrl(remote.url),
          branch: options.branch,
          reason: pushed.reason,
          messages: pushed.messages,
        })
      }
      throw new KittyError(
        'PUSH_FAILED',
        `${redactUrl(remote.url)} refused the push to ${options.branch}: ${pushed.reason}. Nothing was changed.`,
        {
          remote: redactUrl(remote.url),
          branch: options.branch,
          reason: pushed.reason,
        },
      )
    }
    if (attempt === maxAttempts) break
    // Full jitter, in units of the attempt we just lost (the window in which racers collide is one
    // attempt long, so on a slow runner they spread out as far as they need to), over a span that
    // grows with the writers seen landing: a burst of n writers needs about n windows to serialize,
    // and a fixed exponential schedule leaves the last of ten simultaneous writers out of tries.
    landed += await commitsSince(cache, (await fetchBranch(cache, remote, options.branch, STATE_FETCH_DEPTH)).tip, tip)
    const unit = Math.max(backoff, Date.now() - started)
    await sleep(Math.random() * unit * (3 * landed + Math.min(2 ** attempt, 6)))
  }
  throw new StateConflictError(`refs/heads/${options.branch}`, maxAttempts)
}
