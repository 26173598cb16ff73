import fs from 'node:fs/promises'
import { join } from 'node:path'
import git from 'isomorphic-git'
import type { RemoteOptions } from './remote.ts'
import { fetchBranch, FULL_DEPTH, listRemoteBranches } from './remote.ts'
import type { Repository } from './repository.ts'
import { objectReader } from './object-reader.ts'
import { readRef } from './repository.ts'

/**
 * Make a remote cache's local branches mirror the remote's, with full history, for the branches a
 * command works on (merge-mission: the target and every WP branch). A branch the remote lacks is
 * removed from the cache too, so a stale copy can never stand in for it. Returns each branch's tip.
 */
export async function mirrorBranches(cache: Repository, remote: RemoteOptions, branches: string[]): Promise<Map<string, string | null>> {
  const onRemote = await listRemoteBranches(cache, remote)
  const tips = new Map<string, string | null>()
  for (const branch of new Set(branches)) {
    const tip = onRemote.get(branch) ?? null
    // One ref discovery told us every tip. A tip the cache already holds needs no fetch, as long as
    // the cache has no shallow boundary: every object in it then came with its whole history.
    if (tip === null || (!(await isShallow(cache)) && (await holds(cache, branch, tip)))) {
      await setCachedBranch(cache, branch, tip)
      tips.set(branch, tip)
      continue
    }
    // One branch at a time: isomorphic-git must not write one repository concurrently. The full
    // depth also unshallows what the routine 50-deep state fetches left cut off.
    const fetched = await fetchBranch(cache, remote, branch, FULL_DEPTH)
    await setCachedBranch(cache, branch, fetched.tip)
    tips.set(branch, fetched.tip)
  }
  return tips
}

async function holds(cache: Repository, branch: string, tip: string): Promise<boolean> {
  if ((await readRef(cache, `refs/heads/${branch}`)) === tip) return true
  return objectReader(cache)
    .read(tip)
    .then(
      (o) => o.type === 'commit',
      () => false,
    )
}

async function isShallow(cache: Repository): Promise<boolean> {
  return fs.stat(join(cache.gitdir, 'shallow')).then(
    () => true,
    () => false,
  )
}

/** Point a cache branch at `tip` (null: remove it), as the remote has it. */
export async function setCachedBranch(cache: Repository, branch: string, tip: string | null): Promise<void> {
  const ref = `refs/heads/${branch}`
  if (tip === null) await git.deleteRef({ fs: cache.fs, gitdir: cache.gitdir, ref }).catch(() => undefined)
  else await git.writeRef({ fs: cache.fs, gitdir: cache.gitdir, ref, value: tip, force: true })
}
