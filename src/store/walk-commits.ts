import git from 'isomorphic-git'
import type { CommitObject } from 'isomorphic-git'
import type { Repository } from './repository.ts'

export interface CommitInfo {
  oid: string
  commit: CommitObject
}

export async function readCommitInfo(repo: Repository, oid: string): Promise<CommitInfo> {
  const { commit } = await git.readCommit({ fs: repo.fs, gitdir: repo.gitdir, oid, cache: repo.cache })
  return { oid, commit }
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
  const queue: CommitInfo[] = []
  const mark = async (oid: string, flag: number): Promise<void> => {
    const before = flags.get(oid) ?? 0
    if ((before | flag) === before) return
    flags.set(oid, before | flag)
    let info = seen.get(oid)
    if (!info) {
      info = await readCommitInfo(repo, oid)
      seen.set(oid, info)
    }
    if (queue.includes(info)) return
    // Newest first; ties keep insertion order.
    const at = queue.findIndex((q) => q.commit.committer.timestamp < info.commit.committer.timestamp)
    queue.splice(at === -1 ? queue.length : at, 0, info)
  }
  for (const oid of exclude) await mark(oid, EXCLUDED)
  await mark(tip, INCLUDED)
  let slop = SLOP
  while (queue.length > 0 && slop > 0) {
    const next = queue.shift()!
    const flag = flags.get(next.oid)!
    for (const parent of next.commit.parent) await mark(parent, flag)
    if (queue.every((q) => (flags.get(q.oid)! & EXCLUDED) !== 0)) slop--
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
  const byAge = [...oids].sort((a, b) => seen.get(a)!.commit.committer.timestamp - seen.get(b)!.commit.committer.timestamp)
  for (const oid of byAge) visit(oid)
  return out
}

/** True when `ancestor` is `descendant` or reachable from it. */
export async function isAncestor(repo: Repository, ancestor: string, descendant: string): Promise<boolean> {
  if (ancestor === descendant) return true
  return git.isDescendent({ fs: repo.fs, gitdir: repo.gitdir, oid: descendant, ancestor, depth: -1, cache: repo.cache })
}

/** The merge bases of two commits (more than one for criss-cross histories, none for unrelated ones). */
export function mergeBases(repo: Repository, a: string, b: string): Promise<string[]> {
  return git.findMergeBase({ fs: repo.fs, gitdir: repo.gitdir, oids: [a, b], cache: repo.cache })
}
