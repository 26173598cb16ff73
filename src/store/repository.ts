import fs from 'node:fs'
import { dirname, isAbsolute, join, resolve } from 'node:path'
import { atomicFs } from './safe-fs/atomic-fs.ts'
import { listBranches, readRef, readSymbolicRef } from './history/read-ref.ts'
import { branchNameProblem } from '../core/branch-name.ts'
import { KittyError } from '../core/errors.ts'

/**
 * One git repository as every store function sees it. `cache` is isomorphic-git's object cache,
 * shared by all reads of one command (without it every object read re-opens the packfile).
 */
export interface Repository {
  fs: typeof atomicFs
  gitdir: string
  /** The main checkout's root, or null for a bare repository (the remote cache). */
  workdir: string | null
  cache: object
}

export interface StateBranch {
  /** Full ref name, e.g. `refs/heads/main`. */
  ref: string
  branch: string
  /** True when this branch is what the main checkout has checked out, so its files must follow. */
  checkedOut: boolean
}

function readGitFile(path: string): string | null {
  try {
    return fs.readFileSync(path, 'utf8')
  } catch {
    return null
  }
}

/**
 * Where `<dir>/.git` leads. A linked worktree's `.git` file is followed back to the main repository:
 * agents run inside `.worktrees/<slug>-<WP>`, yet the mission state belongs to the main checkout
 * (docs/upstream-contract.md#repository-root).
 */
function gitdirAt(dir: string): { gitdir: string; workdir: string } | null {
  const dotGit = join(dir, '.git')
  const stat = fs.statSync(dotGit, { throwIfNoEntry: false })
  if (!stat) return null
  if (stat.isDirectory()) return { gitdir: dotGit, workdir: dir }
  const pointer = /^gitdir:\s*(.+?)\s*$/m.exec(readGitFile(dotGit) ?? '')?.[1]
  if (!pointer) return null
  const gitdir = isAbsolute(pointer) ? pointer : resolve(dir, pointer)
  const common = readGitFile(join(gitdir, 'commondir'))?.trim()
  if (!common) return { gitdir, workdir: dir }
  const main = resolve(gitdir, common)
  return { gitdir: main, workdir: dirname(main) }
}

function isBareGitdir(path: string): boolean {
  return fs.existsSync(join(path, 'HEAD')) && fs.existsSync(join(path, 'objects')) && fs.existsSync(join(path, 'refs'))
}

/** Find the repository: an explicit root, else walk up from `cwd`. */
export function locateRepository(start: string): Repository {
  const origin = resolve(start)
  if (isBareGitdir(origin) && !fs.existsSync(join(origin, '.git'))) {
    return { fs: atomicFs, gitdir: origin, workdir: null, cache: {} }
  }
  for (let dir = origin; ; dir = dirname(dir)) {
    const found = gitdirAt(dir)
    if (found) {
      const bare = /^\s*bare\s*=\s*true\s*$/m.test(readGitFile(join(found.gitdir, 'config')) ?? '')
      return { fs: atomicFs, gitdir: found.gitdir, workdir: bare ? null : found.workdir, cache: {} }
    }
    if (dirname(dir) === dir) break
  }
  throw new KittyError(
    'REPOSITORY_NOT_FOUND',
    `No git repository found at or above ${origin}. Pass --repo <path> or set SPECIFY_REPO_ROOT.`,
    { path: origin },
  )
}

/**
 * Short branch names must be plain git branch names (a conservative character set, and git's
 * check-ref-format rules); anything else is a usage error.
 */
export function assertBranchName(branch: string): void {
  const problem = /^[A-Za-z0-9._/-]+$/.test(branch)
    ? branchNameProblem(branch)
    : 'may only contain letters, digits and . _ / -'
  if (problem) throw new KittyError('USAGE_ERROR', `'${branch}' is not a valid branch name: it ${problem}`, { branch })
}

/**
 * The state branch: the explicit one, else the branch the main checkout has checked out. A detached
 * HEAD has no branch to move, so it needs an explicit `--branch`.
 */
export async function resolveStateBranch(repo: Repository, explicit?: string): Promise<StateBranch> {
  let head: string | null = null
  try {
    head = await readSymbolicRef(repo, 'HEAD')
  } catch {
    // An unreadable HEAD names no branch: the same as a detached one, which an explicit branch overrides.
    head = null
  }
  const headBranch = head?.startsWith('refs/heads/') ? head.slice('refs/heads/'.length) : null
  const branch = explicit ?? headBranch
  if (!branch) {
    throw new KittyError(
      'USAGE_ERROR',
      'HEAD is detached, so there is no state branch to commit to. Pass --branch <name> or check out a branch.',
    )
  }
  assertBranchName(branch)
  return { ref: `refs/heads/${branch}`, branch, checkedOut: repo.workdir !== null && branch === headBranch }
}

/**
 * An explicitly named state branch must exist: reading it as an empty branch would answer
 * MISSION_NOT_FOUND and send the caller looking for the wrong thing. The checked-out branch may be
 * unborn (a fresh repository); that is not a mistake.
 */
export async function assertStateBranchExists(repo: Repository, branch: StateBranch): Promise<void> {
  if (branch.checkedOut || (await readRef(repo, branch.ref)) !== null) return
  const names = await listBranches(repo)
  const shown = names.length > 20 ? [...names.slice(0, 20), `… (${names.length - 20} more)`] : names
  throw new KittyError(
    'USAGE_ERROR',
    `Branch '${branch.branch}' does not exist; existing branches: ${shown.join(', ') || '(none)'}. ` +
      `Pass one of them to --branch (or KITTY_STATE_BRANCH), or create it first (git branch ${branch.branch} <start-point>).`,
    { branch: branch.branch, branches: names },
  )
}

// Re-exported: the store and the engine read refs through the repository module.
export { readRef }

/** Whether the repository's history is cut off somewhere (a `shallow` file lists the cut commits). */
export async function isShallow(repo: Repository): Promise<boolean> {
  return fs.promises.stat(join(repo.gitdir, 'shallow')).then(
    () => true,
    () => false,
  )
}
