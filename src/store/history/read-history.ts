import { objectReader } from '../objects/object-reader.ts'
import type { CommitInfo } from '../objects/parse-objects.ts'
import { parseCommit } from '../objects/parse-objects.ts'
import type { Trailers } from '../../core/trailers.ts'
import { commitSubject, parseTrailers } from '../../core/trailers.ts'
import type { Repository } from '../repository.ts'

export interface HistoryCommit {
  commit: string
  timestamp: number
  subject: string
  body: string
  trailers: Trailers
  /** The first parent, where the walk knows it (readHistory): what this commit changed is read against it. */
  parent?: string | null
}

/**
 * Kitty commits along the first-parent chain from `tip`, newest first. First parents, because the
 * state branch's own line of events is what matters (and isomorphic-git's path log is wrong across
 * merges). `accept` filters; the walk stops once `want` matches are found or `maxScan` commits read.
 */
export async function readHistory(
  repo: Repository,
  tip: string | null,
  accept: (c: HistoryCommit) => boolean,
  want: number,
  maxScan = 200_000,
): Promise<{ matches: HistoryCommit[]; exhausted: boolean }> {
  const matches: HistoryCommit[] = []
  let oid = tip
  for (let scanned = 0; oid && scanned < maxScan && matches.length < want; scanned++) {
    let commit: CommitInfo
    try {
      commit = parseCommit((await objectReader(repo).read(oid)).content)
    } catch (err) {
      // A shallow clone ends where its history was cut; that is the end of what we can read.
      if ((err as { code?: string }).code === 'NotFoundError') return { matches, exhausted: true }
      throw err
    }
    const trailers = parseTrailers(commit.message)
    if (trailers['Kitty-Command']) {
      const entry: HistoryCommit = {
        commit: oid,
        timestamp: commit.committerTimestamp,
        subject: commitSubject(commit.message),
        body: commit.message,
        trailers,
        parent: commit.parents[0] ?? null,
      }
      if (accept(entry)) matches.push(entry)
    }
    oid = commit.parents[0] ?? null
  }
  return { matches, exhausted: oid === null }
}

/** The kitty commit carrying this idempotency key (`Kitty-Delivery`), among the recent history. */
export async function findDelivery(
  repo: Repository,
  tip: string | null,
  key: string,
  maxScan = 500,
): Promise<HistoryCommit | null> {
  const { matches } = await readHistory(repo, tip, (c) => c.trailers['Kitty-Delivery'] === key, 1, maxScan)
  return matches[0] ?? null
}
