import { commitSubject, parseTrailers } from '../../core/trailers.ts'
import type { HistoryCommit } from './read-history.ts'
import { objectReader } from '../objects/object-reader.ts'
import { parseCommit } from '../objects/parse-objects.ts'
import type { Repository } from '../repository.ts'

export interface ChangesSince {
  /** Kitty commits after `since` up to `tip` that `accept` keeps, oldest first. */
  changes: HistoryCommit[]
  /** False when `since` was not met on the first-parent line within the scan (rewritten or too old). */
  found: boolean
}

/**
 * What a client that last saw `since` missed: the kitty commits between it and `tip` along the first
 * parents (the state branch's own line of events). Stops at `since`, at `maxScan` commits, or at the
 * end of a shallow history.
 */
export async function readChangesSince(
  repo: Repository,
  tip: string | null,
  since: string,
  accept: (c: HistoryCommit) => boolean,
  maxScan = 2_000,
): Promise<ChangesSince> {
  const newestFirst: HistoryCommit[] = []
  let oid = tip
  for (let scanned = 0; oid && scanned < maxScan; scanned++) {
    if (oid === since) return { changes: newestFirst.reverse(), found: true }
    let message: string
    let timestamp: number
    let parent: string | null
    try {
      const commit = parseCommit((await objectReader(repo).read(oid)).content)
      message = commit.message
      timestamp = commit.committerTimestamp
      parent = commit.parents[0] ?? null
    } catch (err) {
      if ((err as { code?: string }).code === 'NotFoundError') break
      throw err
    }
    const trailers = parseTrailers(message)
    if (trailers['Kitty-Command']) {
      const entry: HistoryCommit = { commit: oid, timestamp, subject: commitSubject(message), body: message, trailers }
      if (accept(entry)) newestFirst.push(entry)
    }
    oid = parent
  }
  return { changes: newestFirst.reverse(), found: false }
}
