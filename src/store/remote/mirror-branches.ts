import { isomorphicGit } from '../isomorphic-git.ts'
import type { RemoteOptions } from './remote.ts'
import { fetchBranch, FULL_DEPTH, listRemoteBranches } from './remote.ts'
import type { Repository } from '../repository.ts'
import { hasCommit } from '../objects/object-reader.ts'
import { isShallow, readRef } from '../repository.ts'
import { commitsOnlyIn } from '../objects/walk-commits.ts'

interface MirrorOptions {
  /** How deep to fetch each branch (FULL_DEPTH: everything). */
  depth: number
  /** Fetch even tips the cache already holds (to deepen their history). */
  refetch: boolean
  /**
   * A commit the cache has that the branches grew from (the target's tip). isomorphic-git offers the
   * server only the fetched branch's own local tip as a "have"; for a branch new to the cache that is
   * nothing, and the server sends the whole tree again, once per WP branch.
   */
  have?: string | null
  /** The remote's branches, when the caller already listed them. */
  listed?: Map<string, string>
}

/**
 * Make a remote cache's local branches mirror the remote's, for the branches a command works on
 * (merge-mission: the target and every WP branch), `depth` commits deep. A branch the remote lacks is
 * removed from the cache too, so a stale copy can never stand in for it. Returns each branch's tip.
 */
async function mirrorBranches(
  cache: Repository,
  remote: RemoteOptions,
  branches: string[],
  options: MirrorOptions,
): Promise<Map<string, string | null>> {
  const onRemote = options.listed ?? (await listRemoteBranches(cache, remote))
  const tips = new Map<string, string | null>()
  for (const branch of new Set(branches)) {
    const tip = onRemote.get(branch) ?? null
    // One ref discovery told us every tip; one the cache already holds needs no fetch unless its
    // history must be deepened.
    if (tip === null || (!options.refetch && (await holds(cache, branch, tip)))) {
      await setCachedBranch(cache, branch, tip)
      tips.set(branch, tip)
      continue
    }
    // One branch at a time: isomorphic-git must not write one repository concurrently.
    const known = await readRef(cache, `refs/heads/${branch}`)
    if (known === null && options.have) await setCachedBranch(cache, branch, options.have)
    const fetched = await fetchBranch(cache, remote, branch, options.depth).catch(async (err: unknown) => {
      if (known === null) await setCachedBranch(cache, branch, null)
      throw err
    })
    await setCachedBranch(cache, branch, fetched.tip)
    tips.set(branch, fetched.tip)
  }
  return tips
}

async function holds(cache: Repository, branch: string, tip: string): Promise<boolean> {
  return (await readRef(cache, `refs/heads/${branch}`)) === tip || hasCommit(cache, tip)
}

/** Point a cache branch at `tip` (null: remove it), as the remote has it. */
export async function setCachedBranch(cache: Repository, branch: string, tip: string | null): Promise<void> {
  const git = await isomorphicGit()
  const ref = `refs/heads/${branch}`
  if (tip === null) await git.deleteRef({ fs: cache.fs, gitdir: cache.gitdir, ref }).catch(() => undefined)
  else await git.writeRef({ fs: cache.fs, gitdir: cache.gitdir, ref, value: tip, force: true })
}

/**
 * Depths tried in turn for a merge: WP branches usually fork from a recent target, so a short history
 * is enough, and fetching all of a large repository's history costs minutes and gigabytes.
 */
export const MERGE_DEPTHS = [200, 2_000, FULL_DEPTH] as const

/**
 * Mirror the target and the WP branches deep enough to merge: from `level` of MERGE_DEPTHS on, until
 * the fork point of every WP branch with the target is in the cache (or all history is). Returns the
 * level reached, where a retry should continue.
 */
export async function mirrorMergeHistory(
  cache: Repository,
  remote: RemoteOptions,
  target: string,
  wpBranches: string[],
  level = 0,
): Promise<number> {
  for (let i = level; ; i++) {
    const depth = MERGE_DEPTHS[i]!
    remote.onProgress?.({
      task: `merge history: ${depth === FULL_DEPTH ? 'all commits' : `${depth} commits deep`} (step ${i + 1} of ${MERGE_DEPTHS.length})`,
    })
    // The target's history is what routine 50-deep fetches cut short: deepen it on every level (when
    // the cache is shallow at all); WP branches the cache holds only from the second level on.
    const listed = await listRemoteBranches(cache, remote)
    const onTarget = await mirrorBranches(cache, remote, [target], { depth, refetch: await isShallow(cache), listed })
    const have = onTarget.get(target) ?? null
    const tips = new Map([
      ...onTarget,
      ...(await mirrorBranches(cache, remote, wpBranches, { depth, refetch: i > 0, have, listed })),
    ])
    if (depth === FULL_DEPTH || !(await isShallow(cache))) return i
    const onto = tips.get(target) ?? null
    const wpTips = wpBranches.map((b) => tips.get(b) ?? null).filter((t): t is string => t !== null)
    if (onto === null || (await forkPointsInCache(cache, onto, wpTips))) return i
  }
}

/** Whether each branch's walk to its fork point with `onto`, both ways, stays inside the cache. */
async function forkPointsInCache(cache: Repository, onto: string, tips: string[]): Promise<boolean> {
  try {
    for (const tip of tips) {
      await commitsOnlyIn(cache, tip, [onto])
      await commitsOnlyIn(cache, onto, [tip])
    }
    return true
  } catch {
    // A parent the cache does not have: the walk crossed the shallow boundary.
    return false
  }
}
