import { setTimeout as sleep } from 'node:timers/promises'
import { KittyError, StateConflictError } from '../core/errors.ts'
import type { Identity, MutationOutcome, Planned } from './commit-mutation.ts'
import { writeCommitOnSnapshot } from './commit-mutation.ts'
import type { RemoteOptions } from './remote.ts'
import { fetchBranch, pushCommit, redactUrl } from './remote.ts'
import type { Repository } from './repository.ts'
import { Snapshot } from './snapshot.ts'

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

/**
 * The write path without a checkout: fetch the branch, plan on its tip, write one commit into the
 * cache, push it. A push refused because the branch moved is a lost compare-and-swap: fetch again,
 * re-read, re-validate (a retry may now be refused, e.g. WP_ALREADY_CLAIMED) and push again, with
 * jittered exponential backoff, until the tries run out (STATE_CONFLICT with the count).
 */
export async function commitRemoteMutation<R>(
  cache: Repository,
  remote: RemoteOptions,
  options: RemoteMutationOptions,
  plan: (snapshot: Snapshot) => Promise<Planned<R>>,
): Promise<MutationOutcome<R>> {
  const maxAttempts = options.maxAttempts ?? 5
  const backoff = options.backoffMs ?? 50
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const started = Date.now()
    const { tip } = await fetchBranch(cache, remote, options.branch, STATE_FETCH_DEPTH)
    const snapshot = await Snapshot.at(cache, tip)
    const planned = await plan(snapshot)
    if (planned.kind === 'noop') return { result: planned.result, commit: null, attempts: attempt }
    const commit = await writeCommitOnSnapshot(cache, snapshot, planned.message, planned.changes, options.author, options.now())
    const pushed = await pushCommit(cache, remote, options.branch, commit, tip)
    if (pushed.ok) return { result: planned.result, commit, attempts: attempt }
    if (!pushed.moved) {
      throw new KittyError('PUSH_FAILED', `${redactUrl(remote.url)} refused the push to ${options.branch}: ${pushed.reason}. Nothing was changed.`, {
        remote: redactUrl(remote.url),
        branch: options.branch,
        reason: pushed.reason,
      })
    }
    // Full jitter, in units of the attempt we just lost: the window in which racers collide is one
    // attempt long, so on a slow or loaded runner the racers spread out just as far as they need to.
    const unit = Math.max(backoff, Date.now() - started)
    // Capped, so a client that keeps losing to busy neighbours is not benched for seconds while they go on.
    if (attempt < maxAttempts) await sleep(Math.random() * unit * Math.min(2 ** attempt, 6))
  }
  throw new StateConflictError(`refs/heads/${options.branch}`, maxAttempts)
}
