import { KittyError, StateConflictError } from '../core/errors.ts'
import type { Identity, MutationOutcome, Planned } from './commit-mutation.ts'
import { writeCommitOnSnapshot } from './commit-mutation.ts'
import type { RemoteOptions } from './remote.ts'
import { fetchBranch, pushBranch, redactUrl } from './remote.ts'
import type { Repository } from './repository.ts'
import { Snapshot } from './snapshot.ts'

/** Enough history for the idempotency scan; routine commands never need more. */
export const STATE_FETCH_DEPTH = 50

export interface RemoteMutationOptions {
  branch: string
  author: Identity
  now: () => Date
  maxAttempts?: number
  /** Base of the backoff between tries, in ms: try n waits a random time up to base × 2^n. */
  backoffMs?: number
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

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
  const backoff = options.backoffMs ?? 150
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const { tip } = await fetchBranch(cache, remote, options.branch, STATE_FETCH_DEPTH)
    const snapshot = await Snapshot.at(cache, tip)
    const planned = await plan(snapshot)
    if (planned.kind === 'noop') return { result: planned.result, commit: null, attempts: attempt }
    const commit = await writeCommitOnSnapshot(cache, snapshot, planned.message, planned.changes, options.author, options.now())
    const pushed = await pushBranch(cache, remote, options.branch, commit)
    if (pushed.ok) return { result: planned.result, commit, attempts: attempt }
    if (!pushed.moved) {
      throw new KittyError('PUSH_FAILED', `${redactUrl(remote.url)} refused the push to ${options.branch}: ${pushed.reason}. Nothing was changed.`, {
        remote: redactUrl(remote.url),
        branch: options.branch,
        reason: pushed.reason,
      })
    }
    // Full jitter: racers that lost together spread out instead of colliding again in lockstep.
    if (attempt < maxAttempts) await sleep(Math.random() * backoff * 2 ** attempt)
  }
  throw new StateConflictError(`refs/heads/${options.branch}`, maxAttempts)
}
