import { isKittyError } from '../../core/errors.ts'
import { removeWorktree, worktreeBeingAdded, worktreesOnBranch } from '../../store/worktree/git-worktree.ts'
import { isomorphicGit } from '../../store/isomorphic-git.ts'
import type { ProvisionalClaim } from '../../store/worktree/provisional-claims.ts'
import { readProvisionals, settleProvisional } from '../../store/worktree/provisional-claims.ts'
import { readMission } from '../../store/state-files/read-mission.ts'
import { readRef } from '../../store/repository.ts'
import { Snapshot } from '../../store/objects/snapshot.ts'
import type { EngineContext } from '../framework/context.ts'

/**
 * Remove the WP branches and worktrees that a killed start-implementation made for a claim that never
 * landed (store/worktree/provisional-claims.ts). Removed only when provably nobody's: the WP is still planned on
 * the state branch, the branch did not exist before that process and no running process claims it,
 * nothing was committed on it, and git removes each worktree on it without --force (it refuses one
 * holding changes or untracked files). Records are read before the state: a live claimer settles its
 * record only after its claim has landed, so a record gone means a tip that shows the claim.
 */
export async function sweepAbandonedClaims(ctx: EngineContext): Promise<void> {
  if (ctx.remote || !ctx.repo.workdir) return
  const { abandoned, liveBranches } = await readProvisionals(ctx.repo)
  if (abandoned.length === 0) return
  // A `git worktree add` the dead process started may still be running: decide next time.
  if (await worktreeBeingAdded(ctx.repo)) return
  const tip = await Snapshot.at(ctx.repo, await readRef(ctx.repo, ctx.branch.ref))
  for (const { path, claim } of abandoned) {
    if (!liveBranches.has(claim.branch) && (await stillUnclaimed(tip, claim))) await removeProvisional(ctx, claim)
    await settleProvisional(path)
  }
}

async function stillUnclaimed(tip: Snapshot, claim: ProvisionalClaim): Promise<boolean> {
  try {
    const mission = await readMission(tip, claim.missionDir)
    return mission !== null && mission.has(claim.wpId) && (await mission.wp(claim.wpId)).wp.lane === 'planned'
  } catch (err) {
    // A mission that no longer reads cleanly proves nothing: keep what is there.
    if (isKittyError(err)) return false
    throw err
  }
}

async function removeProvisional(ctx: EngineContext, claim: ProvisionalClaim): Promise<void> {
  const ref = `refs/heads/${claim.branch}`
  if (!claim.branchWasAbsent || (await readRef(ctx.repo, ref)) !== claim.start) return
  for (const worktree of await worktreesOnBranch(ctx.repo, claim.branch)) {
    if (!(await removeWorktree(ctx.repo, worktree)).removed) return
  }
  await (await isomorphicGit()).deleteRef({ fs: ctx.repo.fs, gitdir: ctx.repo.gitdir, ref })
}
