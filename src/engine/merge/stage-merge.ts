import { KittyError } from '../../core/errors.ts'
import { isomorphicGit } from '../../store/isomorphic-git.ts'
import { readCommitInfo } from '../../store/objects/walk-commits.ts'
import { branchProtectedError } from '../../store/remote/branch-protection.ts'
import type { RemoteOptions } from '../../store/remote/remote.ts'
import { fetchBranch, pushCommit, redactUrl, remoteUrl } from '../../store/remote/remote.ts'
import type { EngineContext } from '../framework/context.ts'
import type { MergeChain } from './build-merge-chain.ts'
import type { Preflight } from './preflight-merge.ts'

/**
 * merge-mission with `merge.via: pull_request`: the dependency-ordered merge is pushed to a staging
 * branch, never to the target, so GitHub's own rules (reviews, required checks, the merge queue) judge
 * it and GitHub's merge lands it. The engine stays git-only: it pushes the branch and describes the one
 * pull request a surface (src/github/open-staging-pull.ts) opens or updates; the WPs are recorded done
 * only when that pull request is merged (merge-mission --merged-commit).
 */

/** The staging branch of a mission: one per mission, so a re-run replaces it and never opens a second pull request. */
export function stagingBranch(missionSlug: string): string {
  return `kitty/merge/${missionSlug}`
}

/** The remote the staging branch goes to: --remote's, else the checkout's origin. */
export async function stagingRemote(ctx: EngineContext): Promise<RemoteOptions> {
  if (ctx.remote) return ctx.remote.options
  const url = await remoteUrl(ctx.repo, 'origin')
  if (!url) {
    throw new KittyError(
      'USAGE_ERROR',
      'merge-mission --via pull_request pushes a staging branch: configure the remote `origin` or pass --remote.',
      { via: 'pull_request' },
    )
  }
  return { url, token: ctx.remoteToken, timeoutMs: ctx.remoteTimeoutMs ?? 30_000 }
}

/**
 * The staging branch already holds this merge: same tree, built on the same target tip. A redelivered
 * label or a second replica then pushes nothing (merge commits carry a time, so the oids differ).
 */
async function sameMerge(ctx: EngineContext, staged: string, head: string, targetTip: string): Promise<boolean> {
  const [a, b] = await Promise.all([staged, head].map((oid) => readCommitInfo(ctx.repo, oid).catch(() => null)))
  if (!a || !b || a.commit.tree !== b.commit.tree) return false
  if (staged === targetTip) return false
  const git = await isomorphicGit()
  return git
    .isDescendent({ fs: ctx.repo.fs, gitdir: ctx.repo.gitdir, oid: staged, ancestor: targetTip, depth: -1 })
    .catch(() => false)
}

export interface StagedMerge {
  branch: string
  commit: string
  /** False when the branch already held this merge (a redelivery): nothing was pushed. */
  pushed: boolean
}

/**
 * Push the merge to the staging branch by compare-and-swap from what the remote has now (null: create
 * it). Null when another writer moved it meanwhile: rebuild and try again.
 */
export async function pushStaging(
  ctx: EngineContext,
  built: { preflight: Preflight; chain: MergeChain; tip: string },
  remote: RemoteOptions,
): Promise<StagedMerge | null> {
  const branch = stagingBranch(built.preflight.mission.identity.mission_slug)
  const head = built.chain.head
  // Fetched, not only listed: the comparison reads its tree and the push walks from it.
  const current = (await fetchBranch(ctx.repo, remote, branch)).tip
  if (current && (current === head || (await sameMerge(ctx, current, head, built.tip))))
    return { branch, commit: current, pushed: false }
  const pushed = await pushCommit(ctx.repo, remote, branch, head, current)
  if (pushed.ok) return { branch, commit: head, pushed: true }
  if (pushed.moved) return null
  const where = redactUrl(remote.url)
  if (pushed.protected) {
    throw branchProtectedError({ remote: where, branch, reason: pushed.reason, messages: pushed.messages })
  }
  throw new KittyError('PUSH_FAILED', `${where} refused the push to ${branch}: ${pushed.reason}. Nothing was merged.`, {
    remote: where,
    branch,
    reason: pushed.reason,
    rolled_back: true,
    merged_wps: [],
  })
}
