import { dirname, join } from 'node:path'
import type { Identity } from './commit-mutation.ts'
import { KittyError } from '../../core/errors.ts'
import { acquireLock } from '../safe-fs/file-lock.ts'
import { checkedOutElsewhere, worktreesOnBranch } from '../worktree/git-worktree.ts'
import type { Repository, StateBranch } from '../repository.ts'
import { readRef } from '../repository.ts'
import { Snapshot } from '../objects/snapshot.ts'
import { lockIndex } from '../worktree/index-lock.ts'
import {
  findDirtyPaths,
  pathsAdoptedBy,
  recoverJournals,
  removeJournal,
  syncPaths,
  unsyncedWarning,
  worktreeDirtyError,
  writeJournal,
} from '../worktree/sync-worktree.ts'
import { sweepStaleTemps } from '../safe-fs/temp-files.ts'
import { compareAndSwapRef } from './update-ref.ts'
import { symlinksInTheWay, symlinkInWorktreeError } from '../worktree/workdir-path.ts'

/**
 * The ref-moving half of every write: compare-and-swap a branch from one commit to another and, when
 * that branch is checked out, keep the changed files of the working tree and index in step. Used by
 * commitMutation (one commit) and merge-mission (a whole chain of commits, moved once).
 */

export interface BranchMove {
  /** What the branch must still point at; null means it must not exist yet. */
  expected: string | null
  next: string
  /** Every path whose content differs between `expected` and `next`: checked before, synced after. */
  paths: readonly string[]
  who: Identity
  /** The reflog line's subject. */
  subject: string
}

export interface SwapOutcome {
  /** False, with nothing changed, when the branch no longer pointed at `expected`. */
  moved: boolean
  /** What went wrong after the branch moved (the command still succeeded), each naming the fix. */
  warnings: string[]
}

/**
 * Run `fn` holding the working-tree lock when the branch is checked out, so kitty processes sharing a
 * checkout take turns and their file syncs never interleave. Syncs a killed process left half done
 * are finished first (their failures come back as warnings), and its temporary files swept.
 */
export async function withWorktreeLock<T>(
  repo: Repository,
  branch: StateBranch,
  fn: (earlier: string[]) => Promise<T>,
): Promise<T> {
  await sweepStaleTemps([repo.gitdir, join(repo.gitdir, 'kitty'), dirname(join(repo.gitdir, branch.ref))])
  if (!branch.checkedOut) {
    await refuseBranchOfOtherWorktree(repo, branch)
    return fn([])
  }
  const lock = await acquireLock(join(repo.gitdir, 'kitty', 'worktree'), {
    timeoutMs: 60_000,
    what: 'the working tree',
  })
  try {
    return await fn(await recoverJournals(repo))
  } finally {
    await lock.release()
  }
}

/**
 * Moving a branch that a linked worktree has checked out would leave that worktree's index and files
 * on the old commit (its `git status` then shows our commits as staged reversals). git refuses to
 * move such a branch; so do we, naming the worktree.
 */
async function refuseBranchOfOtherWorktree(repo: Repository, branch: StateBranch): Promise<void> {
  const worktrees = await worktreesOnBranch(repo, branch.branch)
  if (worktrees.length === 0) return
  throw new KittyError(
    'USAGE_ERROR',
    worktrees.map((w) => checkedOutElsewhere(branch.branch, w, `kitty commits to ${branch.branch}`)).join(' '),
    {
      branch: branch.branch,
      worktrees,
    },
  )
}

/** Refuse (WORKTREE_DIRTY, nothing written) when a path about to change has uncommitted edits. */
export async function refuseDirtyPaths(
  repo: Repository,
  branch: StateBranch,
  before: Snapshot,
  paths: readonly string[],
  next?: string,
): Promise<void> {
  if (!branch.checkedOut || !repo.workdir) return
  // A linked directory would take the sync's writes outside the checkout: refused before any ref moves.
  const links = await symlinksInTheWay(repo.workdir, paths)
  if (links.length > 0) throw await symlinkInWorktreeError(repo.workdir, links, paths)
  const dirty = await findDirtyPaths(repo, before, [...paths])
  const adopted =
    dirty.length > 0 && next ? await pathsAdoptedBy(repo, await Snapshot.at(repo, next), dirty) : new Set()
  const lost = dirty.filter((p) => !adopted.has(p))
  if (lost.length > 0) throw worktreeDirtyError(lost)
}

function casRef(repo: Repository, branch: StateBranch, move: BranchMove): Promise<boolean> {
  return compareAndSwapRef(repo, {
    ref: branch.ref,
    expected: move.expected,
    next: move.next,
    who: `${move.who.name} <${move.who.email}>`,
    message: `kitty: ${move.subject}`,
  })
}

/**
 * Compare-and-swap the ref and, when the branch is checked out, bring its changed files and index
 * along. Call it inside withWorktreeLock. Everything that can refuse happens before the ref moves:
 * git's index lock is taken (or the command refuses), the paths are checked for edits under it, a
 * journal is written so the next command can finish the sync if this process dies. Once the ref has
 * moved the command has succeeded: a failing sync is a warning, and its journal stays for the retry.
 */
export async function swapBranch(
  repo: Repository,
  branch: StateBranch,
  move: BranchMove,
  before: Snapshot,
): Promise<SwapOutcome> {
  if (!branch.checkedOut) return { moved: await casRef(repo, branch, move), warnings: [] }
  const index = await lockIndex(repo)
  try {
    await refuseDirtyPaths(repo, branch, before, move.paths, move.next)
    const paths = [...move.paths]
    const journal = await writeJournal(repo, { ref: branch.ref, from: move.expected, to: move.next, paths })
    if (!(await casRef(repo, branch, move))) {
      await removeJournal(journal)
      return { moved: false, warnings: [] }
    }
    try {
      await syncPaths(repo, await Snapshot.at(repo, move.next), paths)
      await removeJournal(journal)
      return { moved: true, warnings: [] }
    } catch (err) {
      return { moved: true, warnings: [unsyncedWarning(paths, err)] }
    }
  } finally {
    await index.release()
  }
}

/**
 * The whole move: lock, swap (dirty check and sync inside). A branch that already moved is reported
 * (not moved) before the dirty check: its files now follow the other writer's commit, not `expected`.
 */
export async function moveBranch(repo: Repository, branch: StateBranch, move: BranchMove): Promise<SwapOutcome> {
  return withWorktreeLock(repo, branch, async (earlier) => {
    if ((await readRef(repo, branch.ref)) !== move.expected) return { moved: false, warnings: earlier }
    const outcome = await swapBranch(repo, branch, move, await Snapshot.at(repo, move.expected))
    return { moved: outcome.moved, warnings: [...earlier, ...outcome.warnings] }
  })
}
