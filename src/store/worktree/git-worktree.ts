import { execFile } from 'node:child_process'
import fsSync from 'node:fs'
import fs from 'node:fs/promises'
import { delimiter, isAbsolute, join, relative, resolve, sep } from 'node:path'
import type { Identity } from '../history/commit-mutation.ts'
import { acquireLock } from '../safe-fs/file-lock.ts'
import type { Repository } from '../repository.ts'
import { readRef } from '../repository.ts'
import { compareAndSwapRef } from '../history/update-ref.ts'
import { linkTarget, symlinkAlong } from './workdir-path.ts'

/**
 * WP worktrees under `.worktrees/`. isomorphic-git has no worktrees, so these use the git binary,
 * always with an argument vector (never a shell) and a timeout.
 */

export function runGit(
  cwd: string,
  args: string[],
  timeoutMs = 30_000,
  input?: string,
  env: Record<string, string> = {},
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = execFile(
      'git',
      args,
      {
        cwd,
        timeout: timeoutMs,
        env: { ...process.env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C', ...env },
        maxBuffer: 16 * 1024 * 1024,
      },
      (err, stdout, stderr) => (err ? reject(Object.assign(err, { stderr })) : resolvePromise({ stdout, stderr })),
    )
    // git may exit without reading its input (e.g. --version); a broken pipe then is not an error.
    child.stdin?.on('error', () => undefined)
    child.stdin?.end(input ?? '')
  })
}

let gitAvailable: boolean | null = null
/** Whether a `git` executable is on PATH: a lookup, not a spawn (a spawn costs a cold command ~10 ms). */
export async function hasGitBinary(): Promise<boolean> {
  gitAvailable ??= (process.env['PATH'] ?? '').split(delimiter).some((dir) => {
    try {
      fsSync.accessSync(join(dir, 'git'), fsSync.constants.X_OK)
      return true
    } catch {
      return false
    }
  })
  return gitAvailable
}

/** The branch a worktree folder has checked out, or null when it is not a worktree. */
export async function worktreeBranch(path: string): Promise<string | null> {
  try {
    const pointer = /^gitdir:\s*(.+?)\s*$/m.exec(await fs.readFile(join(path, '.git'), 'utf8'))?.[1]
    if (!pointer) return null
    const gitdir = isAbsolute(pointer) ? pointer : resolve(path, pointer)
    const head = /^ref:\s*refs\/heads\/(.+?)\s*$/m.exec(await fs.readFile(join(gitdir, 'HEAD'), 'utf8'))?.[1]
    return head ?? null
  } catch {
    return null
  }
}

async function excludeWorktreesFolder(repo: Repository): Promise<void> {
  const exclude = join(repo.gitdir, 'info', 'exclude')
  const current = await fs.readFile(exclude, 'utf8').catch(() => '')
  if (/^\/?\.worktrees\/?$/m.test(current)) return
  await fs.mkdir(join(repo.gitdir, 'info'), { recursive: true })
  await fs.appendFile(exclude, `${current === '' || current.endsWith('\n') ? '' : '\n'}/.worktrees/\n`)
}

/**
 * Why a WP worktree folder must not be used, when `.worktrees` or a folder on its way is a symbolic
 * link: `git worktree add` follows it and the agent's checkout lands outside the repository.
 */
export async function worktreeLinkProblem(repo: Repository, path: string): Promise<string | null> {
  if (!repo.workdir) return null
  const inside = relative(repo.workdir, path).split(sep).join('/')
  if (inside.startsWith('..') || isAbsolute(inside)) return null
  const link = await symlinkAlong(repo.workdir, inside, true)
  if (link === null) return null
  const target = await linkTarget(repo.workdir, link)
  return (
    `${join(repo.workdir, link)} is a symbolic link (to ${target}); kitty makes WP worktrees only in a real folder ` +
    `inside the repository. Remove the link (git rm ${link} if it is committed) and retry.`
  )
}

/** Make sure the WP branch exists (created at `startCommit` when missing). */
export async function ensureBranch(
  repo: Repository,
  branch: string,
  startCommit: string,
  who: Identity,
): Promise<boolean> {
  const ref = `refs/heads/${branch}`
  if ((await readRef(repo, ref)) !== null) return false
  // Made by compare-and-swap (a lock, a temporary file renamed into place), never written in place:
  // a process killed mid-write must not leave an empty ref that git ignores and the claim then lacks.
  return compareAndSwapRef(repo, {
    ref,
    expected: null,
    next: startCommit,
    who: `${who.name} <${who.email}>`,
    message: `branch: Created from ${startCommit}`,
  })
}

export interface WorktreeResult {
  path: string
  branch: string
  /** False when no worktree could be provided; the reason says why. */
  checkedOut: boolean
  /** True when this call made the worktree (so undoing the command should remove it). */
  created?: boolean
  reason?: string
}

/**
 * Provide `path` as a worktree on `branch`, reusing one that is already there. Serialized per
 * worktree path so concurrent starts of the same WP do not race `git worktree add`.
 */
export async function ensureWorktree(repo: Repository, path: string, branch: string): Promise<WorktreeResult> {
  const linked = await worktreeLinkProblem(repo, path)
  if (linked) return { path, branch, checkedOut: false, reason: linked }
  const existing = await worktreeBranch(path)
  if (existing !== null) {
    return existing === branch
      ? { path, branch, checkedOut: true }
      : { path, branch, checkedOut: false, reason: `${path} already has branch ${existing} checked out` }
  }
  if (!repo.workdir) return { path, branch, checkedOut: false, reason: 'the repository has no working tree' }
  const lock = await acquireLock(join(repo.gitdir, 'kitty', 'worktree-add'), {
    timeoutMs: 60_000,
    what: 'worktree creation',
  })
  try {
    if ((await worktreeBranch(path)) === branch) return { path, branch, checkedOut: true }
    const stray = await fs.stat(path).catch(() => null)
    if (stray) return { path, branch, checkedOut: false, reason: `${path} exists and is not a worktree` }
    await excludeWorktreesFolder(repo)
    const add = () => runGit(repo.workdir!, ['worktree', 'add', '--quiet', path, branch])
    await add().catch(async (err: { stderr?: string }) => {
      // A worktree folder deleted by hand leaves a stale registration that blocks `worktree add`.
      if (!/already registered|already checked out|already exists/.test(String(err.stderr))) throw err
      await runGit(repo.workdir!, ['worktree', 'prune'])
      await add()
    })
    const onBranch = await worktreeBranch(path)
    if (onBranch === branch) return { path, branch, checkedOut: true, created: true }
    return {
      path,
      branch,
      checkedOut: false,
      created: true,
      reason: `git worktree add made ${path}, but it has ${onBranch ?? 'no branch'} checked out, not ${branch}`,
    }
  } catch (err) {
    const detail = String((err as { stderr?: string }).stderr ?? (err as Error).message)
      .trim()
      .split('\n')
      .at(-1)
    return { path, branch, checkedOut: false, reason: `git worktree add failed: ${detail}` }
  } finally {
    await lock.release()
  }
}

/** Linked worktrees that have `branch` checked out (moving that branch under them would strand their files). */
export async function worktreesOnBranch(repo: Repository, branch: string): Promise<string[]> {
  const admin = join(repo.gitdir, 'worktrees')
  const names = await fs.readdir(admin).catch(() => [] as string[])
  const out: string[] = []
  for (const name of names.sort()) {
    const head = await fs.readFile(join(admin, name, 'HEAD'), 'utf8').catch(() => '')
    if (head.trim() !== `ref: refs/heads/${branch}`) continue
    const dotGit = (await fs.readFile(join(admin, name, 'gitdir'), 'utf8').catch(() => '')).trim()
    out.push(dotGit ? resolve(dotGit, '..') : name)
  }
  return out
}

/** True while a `git worktree add` is setting one up (git marks it `locked` with "initializing"). */
export async function worktreeBeingAdded(repo: Repository): Promise<boolean> {
  const admin = join(repo.gitdir, 'worktrees')
  for (const name of await fs.readdir(admin).catch(() => [] as string[])) {
    const locked = await fs.readFile(join(admin, name, 'locked'), 'utf8').catch(() => '')
    if (/^initializing/.test(locked)) return true
  }
  return false
}

/** git's refusal, in our words: a branch checked out in a linked worktree is that worktree's to move. */
export function checkedOutElsewhere(branch: string, worktree: string, before: string): string {
  return `${branch} is checked out in the worktree ${worktree}; check out another branch there (or remove it) before ${before}.`
}

export type WorktreeRemoval = { path: string; removed: true } | { path: string; removed: false; reason: string }

/** `git worktree remove` without --force: a worktree with changes or untracked files is kept. */
export async function removeWorktree(repo: Repository, path: string, force = false): Promise<WorktreeRemoval> {
  if (!repo.workdir) return { path, removed: false, reason: 'the repository has no working tree' }
  try {
    await runGit(repo.workdir, ['worktree', 'remove', ...(force ? ['--force'] : []), path])
    return { path, removed: true }
  } catch (err) {
    const detail = String((err as { stderr?: string }).stderr ?? (err as Error).message)
      .trim()
      .split('\n')
      .at(-1)
    return { path, removed: false, reason: detail ?? 'git worktree remove failed' }
  }
}
