import type { CommitObject } from '../objects/parse-objects.ts'
import type { MergeStrategy } from '../../core/plan-merge.ts'
import { commitSubject } from '../../core/trailers.ts'
import type { TreeConflict } from '../objects/merge-trees.ts'
import { mergeTrees } from '../objects/merge-trees.ts'
import type { Repository } from '../repository.ts'
import { commitsOnlyIn, mergeBases, readCommitInfo } from '../objects/walk-commits.ts'
import { writeCommit } from '../objects/write-object.ts'

/**
 * Put one branch on top of a commit with a merge strategy, building commits in the object database
 * only: no ref moves, no index, no working tree. What the commits are is decided here; whether they
 * become the target is the caller's business (one compare-and-swap at the end).
 */

export type Person = CommitObject['author']

export interface IntegrateInput {
  strategy: MergeStrategy
  /** The target so far (a commit). */
  onto: string
  /** The branch tip to bring in. */
  tip: string
  /** Message of the merge or squash commit (rebase keeps each commit's own). */
  message: string
  /** Who makes the new commits, and when (rebase keeps each commit's author). */
  committer: Person
  oursWins?: (path: string) => boolean
  /**
   * rebase: branch commits already replayed (or found already applied) earlier in the same merge run,
   * e.g. a dependency's commits contained in a dependent's branch. They are skipped, and this call
   * adds the ones it handles.
   */
  replayed?: Set<string>
}

export interface AddedCommit {
  oid: string
  subject: string
}

export type Integration =
  | { kind: 'integrated'; head: string; commits: AddedCommit[]; keptOurs: string[] }
  /** The branch brings nothing the target does not already have. */
  | { kind: 'up-to-date' }
  /** `at` is the branch commit being replayed when a rebase hit the conflict. */
  | { kind: 'conflict'; conflicts: TreeConflict[]; at?: AddedCommit }
  /** No merge base: unrelated histories (or history cut off by a shallow clone). */
  | { kind: 'no-merge-base' }

export async function integrateBranch(repo: Repository, input: IntegrateInput): Promise<Integration> {
  return input.strategy === 'rebase' ? replayBranch(repo, input) : mergeBranch(repo, input)
}

async function treeOf(repo: Repository, oid: string): Promise<string> {
  return (await readCommitInfo(repo, oid)).commit.tree
}

/** Deterministic identity of the throwaway commits that stand for virtual merge bases. */
const VIRTUAL: Person = {
  name: 'kitty-github',
  email: 'kitty-github@users.noreply.github.com',
  timestamp: 0,
  timezoneOffset: 0,
}
const MAX_BASE_DEPTH = 8

/**
 * The base tree for a merge. Several bases (criss-cross histories, e.g. a WP branch that merged two
 * dependencies which the target also merged) are merged into one virtual base first, as git's
 * recursive strategy does; where the bases themselves conflict, the first one's side is kept.
 */
async function baseTree(repo: Repository, bases: string[], depth = 0): Promise<string | null> {
  if (bases.length === 0) return null
  let acc = bases[0]!
  let accTree = await treeOf(repo, acc)
  for (const next of bases.slice(1)) {
    const inner = depth < MAX_BASE_DEPTH ? await mergeBases(repo, acc, next) : []
    const merged = await mergeTrees(repo, {
      base: inner.length === 1 ? await treeOf(repo, inner[0]!) : await baseTree(repo, inner, depth + 1),
      ours: accTree,
      theirs: await treeOf(repo, next),
      oursWins: () => true,
    })
    // A real commit object, so the next round can find merge bases through it.
    acc = await writeCommit(repo, {
      message: 'kitty: virtual merge base\n',
      tree: merged.tree,
      parent: [acc, next],
      author: VIRTUAL,
      committer: VIRTUAL,
    })
    accTree = merged.tree
  }
  return accTree
}

/** merge: one commit with parents [onto, tip]; squash: the same tree with the single parent onto. */
async function mergeBranch(repo: Repository, input: IntegrateInput): Promise<Integration> {
  const bases = await mergeBases(repo, input.onto, input.tip)
  if (bases.includes(input.tip)) return { kind: 'up-to-date' }
  if (bases.length === 0) return { kind: 'no-merge-base' }
  const [ours, theirs] = await Promise.all([input.onto, input.tip].map((oid) => treeOf(repo, oid)))
  const merged = await mergeTrees(repo, {
    base: await baseTree(repo, bases),
    ours: ours!,
    theirs: theirs!,
    ...(input.oursWins ? { oursWins: input.oursWins } : {}),
  })
  if (merged.conflicts.length > 0) return { kind: 'conflict', conflicts: merged.conflicts }
  if (merged.tree === ours) return { kind: 'up-to-date' }
  const message = input.message.endsWith('\n') ? input.message : `${input.message}\n`
  const oid = await writeCommit(repo, {
    message,
    tree: merged.tree,
    parent: input.strategy === 'merge' ? [input.onto, input.tip] : [input.onto],
    author: input.committer,
    committer: input.committer,
  })
  return {
    kind: 'integrated',
    head: oid,
    commits: [{ oid, subject: commitSubject(message) }],
    keptOurs: merged.keptOurs,
  }
}

/**
 * rebase: replay the branch's own commits (those the target cannot reach), oldest first, each as a
 * cherry-pick onto the new head. Merge commits are dropped and commits whose change the target
 * already has are skipped, as `git rebase` does; a prefix already based on the target is kept as is.
 */
async function replayBranch(repo: Repository, input: IntegrateInput): Promise<Integration> {
  const replayed = input.replayed ?? new Set<string>()
  const pending = (await commitsOnlyIn(repo, input.tip, [input.onto])).filter((c) => !replayed.has(c.oid))
  if (pending.some((c) => c.commit.parent.length === 0)) return { kind: 'no-merge-base' }
  let head = input.onto
  let headTree = await treeOf(repo, head)
  const commits: AddedCommit[] = []
  const keptOurs: string[] = []
  for (const { oid, commit } of pending) {
    if (commit.parent.length > 1) continue
    const subject = commitSubject(commit.message)
    replayed.add(oid)
    if (commit.parent[0] === head) {
      head = oid
      headTree = commit.tree
      commits.push({ oid, subject })
      continue
    }
    const merged = await mergeTrees(repo, {
      base: await treeOf(repo, commit.parent[0]!),
      ours: headTree,
      theirs: commit.tree,
      ...(input.oursWins ? { oursWins: input.oursWins } : {}),
    })
    if (merged.conflicts.length > 0) return { kind: 'conflict', conflicts: merged.conflicts, at: { oid, subject } }
    if (merged.tree === headTree) continue
    keptOurs.push(...merged.keptOurs)
    head = await writeCommit(repo, {
      message: commit.message,
      tree: merged.tree,
      parent: [head],
      author: commit.author,
      committer: input.committer,
    })
    headTree = merged.tree
    commits.push({ oid: head, subject })
  }
  return head === input.onto
    ? { kind: 'up-to-date' }
    : { kind: 'integrated', head, commits, keptOurs: [...new Set(keptOurs)] }
}
