import type { CommitObject } from './parse-objects.ts'
import { readCommitObject } from './object-cache.ts'
import type { Repository } from '../repository.ts'

export interface CommitInfo {
  oid: string
  commit: CommitObject
}

export async function readCommitInfo(repo: Repository, oid: string): Promise<CommitInfo> {
  return { oid, commit: await readCommitObject(repo, oid) }
}

/** A queue of commits, newest committer date first (ties keep insertion order). */
class DateQueue {
  readonly items: CommitInfo[] = []

  has(info: CommitInfo): boolean {
    return this.items.includes(info)
  }

  push(info: CommitInfo): void {
    const at = this.items.findIndex((q) => q.commit.committer.timestamp < info.commit.committer.timestamp)
    this.items.splice(at === -1 ? this.items.length : at, 0, info)
  }

  shift(): CommitInfo | undefined {
    return this.items.shift()
  }
}

const INCLUDED = 1
const EXCLUDED = 2
/** Extra commits walked once only excluded ones remain, against clock skew (git uses 5 too). */
const SLOP = 5

/**
 * `git rev-list --topo-order --reverse <exclude…>..<tip>`: the commits reachable from `tip` and from
 * none of `exclude`, parents before children. Walks newest-first by committer date and stops shortly
 * after only excluded commits are left, so the cost follows the commits since the fork point, not the
 * length of history.
 */
export async function commitsOnlyIn(repo: Repository, tip: string, exclude: string[]): Promise<CommitInfo[]> {
  const flags = new Map<string, number>()
  const seen = new Map<string, CommitInfo>()
  const queue = new DateQueue()
  const mark = async (oid: string, flag: number): Promise<void> => {
    const before = flags.get(oid) ?? 0
    if ((before | flag) === before) return
    flags.set(oid, before | flag)
    let info = seen.get(oid)
    if (!info) {
      info = await readCommitInfo(repo, oid)
      seen.set(oid, info)
    }
    if (!queue.has(info)) queue.push(info)
  }
  for (const oid of exclude) await mark(oid, EXCLUDED)
  await mark(tip, INCLUDED)
  let slop = SLOP
  while (queue.items.length > 0 && slop > 0) {
    const next = queue.shift()!
    const flag = flags.get(next.oid)!
    for (const parent of next.commit.parent) await mark(parent, flag)
    if (queue.items.every((q) => (flags.get(q.oid)! & EXCLUDED) !== 0)) slop--
  }
  const only = new Set([...flags].filter(([, f]) => f === INCLUDED).map(([oid]) => oid))
  return topologicalOldestFirst(only, seen)
}

function topologicalOldestFirst(oids: Set<string>, seen: Map<string, CommitInfo>): CommitInfo[] {
  const out: CommitInfo[] = []
  const done = new Set<string>()
  const visit = (oid: string): void => {
    const stack: Array<{ oid: string; expanded: boolean }> = [{ oid, expanded: false }]
    while (stack.length > 0) {
      const top = stack.pop()!
      if (done.has(top.oid)) continue
      if (top.expanded) {
        done.add(top.oid)
        out.push(seen.get(top.oid)!)
        continue
      }
      stack.push({ oid: top.oid, expanded: true })
      for (const parent of [...seen.get(top.oid)!.commit.parent].reverse()) {
        if (oids.has(parent) && !done.has(parent)) stack.push({ oid: parent, expanded: false })
      }
    }
  }
  // Depth-first from the oldest: ancestors always come first, unrelated lines oldest-first.
  const byAge = [...oids].sort(
    (a, b) => seen.get(a)!.commit.committer.timestamp - seen.get(b)!.commit.committer.timestamp,
  )
  for (const oid of byAge) visit(oid)
  return out
}

/** True when `ancestor` is `descendant` or reachable from it. */
export async function isAncestor(repo: Repository, ancestor: string, descendant: string): Promise<boolean> {
  if (ancestor === descendant) return true
  const seen = new Set([descendant])
  const queue = [descendant]
  while (queue.length > 0) {
    for (const parent of (await readCommitObject(repo, queue.shift()!)).parent) {
      if (parent === ancestor) return true
      if (!seen.has(parent)) {
        seen.add(parent)
        queue.push(parent)
      }
    }
  }
  return false
}

const FROM_A = 1
const FROM_B = 2
const STALE = 4

/**
 * The best common ancestors of two commits, as `git merge-base --all` finds them: paint down from
 * both, newest first, until only commits below a common one are left; then drop any result that is
 * an ancestor of another. More than one result means criss-cross history; none, unrelated history.
 * (isomorphic-git's findMergeBase re-reads every commit each time; this one shares the cache.)
 */
export async function mergeBases(repo: Repository, a: string, b: string): Promise<string[]> {
  if (a === b) return [a]
  const flags = new Map<string, number>()
  const queue = new DateQueue()
  const found: string[] = []
  const paint = async (oid: string, flag: number): Promise<void> => {
    const before = flags.get(oid) ?? 0
    if ((before & flag) === flag) return
    flags.set(oid, before | flag)
    const info = await readCommitInfo(repo, oid)
    if (!queue.has(info)) queue.push(info)
  }
  await paint(a, FROM_A)
  await paint(b, FROM_B)
  while (queue.items.some((q) => (flags.get(q.oid)! & STALE) === 0)) {
    const next = queue.shift()!
    let flag = flags.get(next.oid)! & (FROM_A | FROM_B | STALE)
    if ((flag & (FROM_A | FROM_B)) === (FROM_A | FROM_B) && (flag & STALE) === 0) {
      found.push(next.oid)
      flag |= STALE
      flags.set(next.oid, flags.get(next.oid)! | STALE)
    }
    for (const parent of next.commit.parent) await paint(parent, flag)
  }
  if (found.length < 2) return found
  const best: string[] = []
  for (const oid of found) {
    const others = found.filter((o) => o !== oid)
    const below = await Promise.all(others.map(async (o) => (await commitsOnlyIn(repo, oid, [o])).length === 0))
    if (!below.some(Boolean)) best.push(oid)
  }
  return best
}
