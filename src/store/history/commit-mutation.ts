import { setTimeout as sleep } from 'node:timers/promises'
import { readConfigValue } from './git-config.ts'
import { StateConflictError } from '../../core/errors.ts'
import type { CommitMessage } from '../../core/trailers.ts'
import { formatCommitMessage } from '../../core/trailers.ts'
import { swapBranch, withWorktreeLock } from './move-branch.ts'
import type { Repository, StateBranch } from '../repository.ts'
import { readRef } from '../repository.ts'
import { Snapshot } from '../objects/snapshot.ts'
import type { FileChanges } from '../objects/write-tree.ts'
import { writeChangedTree } from '../objects/write-tree.ts'
import { writeCommit } from '../objects/write-object.ts'

export interface Identity {
  name: string
  email: string
}

/** What a command wants committed, decided from one snapshot. */
export interface MutationPlan<R> {
  kind: 'commit'
  message: CommitMessage
  changes: FileChanges
  result: R
}

export interface NoOp<R> {
  kind: 'noop'
  result: R
}

export type Planned<R> = MutationPlan<R> | NoOp<R>

export interface MutationOptions {
  branch: StateBranch
  author: Identity
  now: () => Date
  maxAttempts?: number
}

export interface MutationOutcome<R> {
  result: R
  commit: string | null
  attempts: number
  /** What failed after the commit landed (working tree, index), each naming the fix. */
  warnings: string[]
}

/**
 * The one write path: read the branch tip, let `plan` validate and decide, write blobs/trees/commit
 * without touching the working tree, then compare-and-swap the ref. If the ref moved, everything is
 * re-read and re-validated, so a retry can turn into a rejection (e.g. WP_ALREADY_CLAIMED). When the
 * branch is checked out, the touched files must be clean before and are synced after (move-branch).
 */
export async function commitMutation<R>(
  repo: Repository,
  options: MutationOptions,
  plan: (snapshot: Snapshot) => Promise<Planned<R>>,
): Promise<MutationOutcome<R>> {
  const { branch } = options
  const maxAttempts = options.maxAttempts ?? 5
  return withWorktreeLock(repo, branch, async (earlier) => {
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      const tip = await readRef(repo, branch.ref)
      const snapshot = await Snapshot.at(repo, tip)
      const planned = await plan(snapshot)
      if (planned.kind === 'noop') return { result: planned.result, commit: null, attempts: attempt, warnings: earlier }
      const paths = [...planned.changes.keys()]
      const commit = await writeCommitOnSnapshot(
        repo,
        snapshot,
        planned.message,
        planned.changes,
        options.author,
        options.now(),
      )
      const move = { expected: tip, next: commit, paths, who: options.author, subject: planned.message.subject }
      const swapped = await swapBranch(repo, branch, move, snapshot)
      if (swapped.moved)
        return { result: planned.result, commit, attempts: attempt, warnings: [...earlier, ...swapped.warnings] }
      await sleep(Math.random() * 20 * attempt)
    }
    throw new StateConflictError(branch.ref, maxAttempts)
  })
}

/** One commit on top of `snapshot` with `changes` applied, written to the object database only. */
export async function writeCommitOnSnapshot(
  repo: Repository,
  snapshot: Snapshot,
  message: CommitMessage,
  changes: FileChanges,
  author: Identity,
  when: Date,
): Promise<string> {
  const tree = await writeChangedTree(snapshot, changes)
  const person = { ...author, timestamp: Math.floor(when.getTime() / 1000), timezoneOffset: 0 }
  return writeCommit(repo, {
    message: formatCommitMessage(message),
    tree,
    parent: snapshot.commit ? [snapshot.commit] : [],
    author: person,
    committer: person,
  })
}

/** The committer identity: git config, then the usual environment variables, then a fixed bot name. */
export async function resolveIdentity(repo: Repository, env: NodeJS.ProcessEnv): Promise<Identity> {
  const config = async (name: string): Promise<string | undefined> => {
    try {
      const value = await readConfigValue(repo, 'user', name)
      return typeof value === 'string' && value.trim() !== '' ? value : undefined
    } catch {
      return undefined
    }
  }
  // Commit headers are line-based; a newline or angle bracket in a name would forge header fields.
  const clean = (s: string): string => s.replace(/[\x00-\x1f\x7f<>]/g, '').trim()
  const name = clean(env['GIT_COMMITTER_NAME'] ?? env['GIT_AUTHOR_NAME'] ?? (await config('name')) ?? '')
  const email = clean(env['GIT_COMMITTER_EMAIL'] ?? env['GIT_AUTHOR_EMAIL'] ?? (await config('email')) ?? '')
  return { name: name || 'kitty-github', email: email || 'kitty-github@users.noreply.github.com' }
}
