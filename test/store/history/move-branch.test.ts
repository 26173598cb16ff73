import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest'
import { commitMutation, writeCommitOnSnapshot } from '../../../src/store/history/commit-mutation.ts'
import { moveBranch, refuseDirtyPaths, swapBranch } from '../../../src/store/history/move-branch.ts'
import type { Repository } from '../../../src/store/repository.ts'
import { locateRepository, resolveStateBranch } from '../../../src/store/repository.ts'
import { Snapshot } from '../../../src/store/objects/snapshot.ts'
import { ownerTag } from '../../../src/store/safe-fs/temp-files.ts'
import { cleanupTempDirs, git, makeRepo } from '../../helpers/git-repo.ts'

afterAll(cleanupTempDirs)
afterEach(() => {
  vi.restoreAllMocks()
})

const M = '099-test-mission'
const WP01 = `kitty-specs/${M}/tasks/WP01.md`
const who = { name: 'Kitty Test', email: 'kitty@example.com' }
const WHEN = new Date('2026-11-29T10:00:00Z')
const bytes = (s: string) => new TextEncoder().encode(s)

/** A commit on `ref`'s tip with `changes`, not yet on any branch. */
async function commitOn(
  repo: Repository,
  ref: string,
  changes: Record<string, string | null>,
  subject = 'kitty: test',
): Promise<{ tip: string; next: string }> {
  const tip = git(repo.workdir ?? repo.gitdir, 'rev-parse', ref)
  const next = await writeCommitOnSnapshot(
    repo,
    await Snapshot.at(repo, tip),
    { subject, trailers: {} },
    new Map(Object.entries(changes).map(([p, c]) => [p, c === null ? null : bytes(c)])),
    who,
    WHEN,
  )
  return { tip, next }
}

/** Warnings with the temporary file names (a fresh one per attempt) blanked out. */
const normal = (warnings: string[]) => warnings.map((w) => w.replace(/\.kitty-[0-9a-f-]+\.tmp/g, '.TMP'))
const pendingSyncs = (repo: Repository) =>
  existsSync(join(repo.gitdir, 'kitty/pending-sync')) ? readdirSync(join(repo.gitdir, 'kitty/pending-sync')) : []

describe('withWorktreeLock (through moveBranch)', () => {
  /** A temporary name a dead process of this host left behind. */
  const staleName = () => `.${ownerTag().replace(/-\d+-/, '-4194000-')}.tmp`

  it.each([true, false])(
    "sweeps dead processes' temporary files from the git dir, its kitty folder and the ref's folder first (checked out: %s)",
    async (checkedOut) => {
      const dir = makeRepo()
      if (!checkedOut) git(dir, 'branch', 'kitty/state')
      const repo = locateRepository(dir)
      const branch = await resolveStateBranch(repo, checkedOut ? undefined : 'kitty/state')
      const refDir = join(repo.gitdir, checkedOut ? 'refs/heads' : 'refs/heads/kitty')
      mkdirSync(join(repo.gitdir, 'kitty'), { recursive: true })
      const stale = [join(repo.gitdir, staleName()), join(repo.gitdir, 'kitty', staleName()), join(refDir, staleName())]
      for (const path of stale) writeFileSync(path, 'left behind')
      // A live process's temporary file (ours) is not touched.
      const live = join(repo.gitdir, `.${ownerTag()}.tmp`)
      writeFileSync(live, 'in use')
      const { tip, next } = await commitOn(repo, branch.ref, { [WP01]: 'moved\n' })
      expect(await moveBranch(repo, branch, { expected: tip, next, paths: [WP01], who, subject: 's' })).toEqual({
        moved: true,
        warnings: [],
      })
      expect(stale.filter((p) => existsSync(p))).toEqual([])
      expect(existsSync(live)).toBe(true)
    },
  )

  /** A repository whose working-tree lock another process holds, and a commit waiting to land on its state branch. */
  async function withWorktreeLockHeld(content: string) {
    const dir = makeRepo()
    const repo = locateRepository(dir)
    const branch = await resolveStateBranch(repo)
    const lockPath = join(repo.gitdir, 'kitty/worktree.lock')
    mkdirSync(join(repo.gitdir, 'kitty'), { recursive: true })
    writeFileSync(lockPath, 'held by a script\n')
    return { dir, repo, branch, lockPath, ...(await commitOn(repo, branch.ref, { [WP01]: content })) }
  }

  it('waits up to a minute for another process holding the working-tree lock', async () => {
    const { dir, repo, branch, lockPath, tip, next } = await withWorktreeLockHeld('after the wait\n')
    const real = Date.now.bind(Date)
    let calls = 0
    // The first reading sets the deadline; at the second, half a minute later, the holder lets go.
    vi.spyOn(Date, 'now').mockImplementation(() => {
      if (++calls === 2) rmSync(lockPath)
      return calls === 1 ? real() : real() + 30_000
    })
    expect(await moveBranch(repo, branch, { expected: tip, next, paths: [WP01], who, subject: 's' })).toEqual({
      moved: true,
      warnings: [],
    })
    vi.restoreAllMocks()
    expect(readFileSync(join(dir, WP01), 'utf8')).toBe('after the wait\n')
    expect(existsSync(lockPath)).toBe(false)
  })

  it('a working-tree lock held past the minute: STATE_CONFLICT naming the working tree and the lock file', async () => {
    const { dir, repo, branch, lockPath, tip, next } = await withWorktreeLockHeld('never\n')
    const real = Date.now.bind(Date)
    let calls = 0
    vi.spyOn(Date, 'now').mockImplementation(() => (++calls === 1 ? real() : real() + 61_000))
    await expect(
      moveBranch(repo, branch, { expected: tip, next, paths: [WP01], who, subject: 's' }),
    ).rejects.toMatchObject({
      code: 'STATE_CONFLICT',
      message: `the working tree is locked by another process (${lockPath}). If no git process is running, delete the lock file and retry.`,
    })
    vi.restoreAllMocks()
    expect(git(dir, 'rev-parse', 'HEAD')).toBe(tip)
  })
})

describe('moveBranch: a branch checked out in linked worktrees', () => {
  it('refuses with USAGE_ERROR naming every worktree that has it, and moves nothing', async () => {
    const dir = makeRepo()
    const first = join(dir, '.worktrees', 'one')
    const second = join(dir, '.worktrees', 'two')
    git(dir, 'worktree', 'add', '-q', '-b', 'side', first)
    git(dir, 'worktree', 'add', '-q', '-f', second, 'side')
    git(dir, 'worktree', 'add', '-q', '-b', 'other', join(dir, '.worktrees', 'three'))
    const repo = locateRepository(dir)
    const branch = await resolveStateBranch(repo, 'side')
    const { tip, next } = await commitOn(repo, 'side', { [WP01]: 'x\n' })
    const refusal = (wt: string) =>
      `side is checked out in the worktree ${wt}; check out another branch there (or remove it) before kitty commits to side.`
    await expect(
      moveBranch(repo, branch, { expected: tip, next, paths: [WP01], who, subject: 's' }),
    ).rejects.toMatchObject({
      code: 'USAGE_ERROR',
      message: `${refusal(first)} ${refusal(second)}`,
      data: { branch: 'side', worktrees: [first, second] },
    })
    expect(git(dir, 'rev-parse', 'side')).toBe(tip)
    // A branch no worktree has is moved.
    const other = await commitOn(repo, 'main', { [WP01]: 'y\n' })
    git(dir, 'branch', 'free', other.tip)
    expect(
      await moveBranch(repo, await resolveStateBranch(repo, 'free'), {
        expected: other.tip,
        next: other.next,
        paths: [WP01],
        who,
        subject: 's',
      }),
    ).toEqual({
      moved: true,
      warnings: [],
    })
    expect(git(dir, 'rev-parse', 'free')).toBe(other.next)
  })
})

describe('refuseDirtyPaths', () => {
  it('a branch that is not checked out ignores the working tree: an edit there is not in the way', async () => {
    const dir = makeRepo()
    git(dir, 'branch', 'state')
    writeFileSync(join(dir, WP01), 'my edit\n')
    const repo = locateRepository(dir)
    const branch = await resolveStateBranch(repo, 'state')
    const { tip, next } = await commitOn(repo, 'state', { [WP01]: 'kitty\n' })
    await expect(refuseDirtyPaths(repo, branch, await Snapshot.at(repo, tip), [WP01])).resolves.toBeUndefined()
    expect(await moveBranch(repo, branch, { expected: tip, next, paths: [WP01], who, subject: 's' })).toEqual({
      moved: true,
      warnings: [],
    })
    expect(readFileSync(join(dir, WP01), 'utf8')).toBe('my edit\n')
  })

  it('an edit the next commit adopts byte for byte is not in the way; any other edit is, and only it is named', async () => {
    const WP02 = `kitty-specs/${M}/tasks/WP02.md`
    const dir = makeRepo()
    const repo = locateRepository(dir)
    const branch = await resolveStateBranch(repo)
    const { tip, next } = await commitOn(repo, 'main', { [WP01]: 'adopted\n', [WP02]: 'committed\n' })
    const before = await Snapshot.at(repo, tip)
    // Upstream's unstaged write, exactly what the commit records: adopted.
    writeFileSync(join(dir, WP01), 'adopted\n')
    await expect(refuseDirtyPaths(repo, branch, before, [WP01, WP02], next)).resolves.toBeUndefined()
    // Without the commit to compare with, the same edit is uncommitted work.
    await expect(refuseDirtyPaths(repo, branch, before, [WP01, WP02])).rejects.toMatchObject({
      code: 'WORKTREE_DIRTY',
      data: { paths: [WP01] },
    })
    // An edit the commit does not hold is lost work; the adopted one beside it is not named.
    writeFileSync(join(dir, WP02), 'my own edit\n')
    await expect(refuseDirtyPaths(repo, branch, before, [WP01, WP02], next)).rejects.toMatchObject({
      code: 'WORKTREE_DIRTY',
      data: { paths: [WP02] },
    })
  })

  it('a symbolic link where the checked-out branch has a directory: WORKTREE_DIRTY before the ref moves', async () => {
    const dir = makeRepo()
    const repo = locateRepository(dir)
    const branch = await resolveStateBranch(repo)
    const { tip, next } = await commitOn(repo, 'main', { [WP01]: 'through the link\n' })
    const outside = join(dir, '..', `${dir.split('/').at(-1)}-outside`)
    mkdirSync(outside)
    rmSync(join(dir, 'kitty-specs'), { recursive: true })
    symlinkSync(outside, join(dir, 'kitty-specs'))
    await expect(
      moveBranch(repo, branch, { expected: tip, next, paths: [WP01], who, subject: 's' }),
    ).rejects.toMatchObject({
      code: 'WORKTREE_DIRTY',
      data: { paths: [WP01], symlinks: ['kitty-specs'] },
    })
    expect(git(dir, 'rev-parse', 'HEAD')).toBe(tip)
    expect(readdirSync(outside)).toEqual([])
    expect(pendingSyncs(repo)).toEqual([])
    rmSync(outside, { recursive: true })
  })
})

describe('swapBranch (through moveBranch and commitMutation)', () => {
  it('a sync that fails after the ref moved is a warning; its journal stays, the next command reports it and then finishes it', async () => {
    const dir = makeRepo()
    const repo = locateRepository(dir)
    const branch = await resolveStateBranch(repo)
    // An untracked file where the commit needs a directory: the sync cannot write under it.
    writeFileSync(join(dir, 'newdir'), 'in the way\n')
    const { tip, next } = await commitOn(repo, 'main', { 'newdir/file.md': 'new\n' })
    const out = await moveBranch(repo, branch, { expected: tip, next, paths: ['newdir/file.md'], who, subject: 's' })
    expect(out.moved).toBe(true)
    expect(out.warnings).toHaveLength(1)
    expect(out.warnings[0]).toMatch(
      /^The commit landed, but the working tree and index were not updated \(.*ENOTDIR.*\)\. The next kitty command retries; or run: git checkout HEAD -- 'newdir\/file\.md'$/,
    )
    expect(git(dir, 'rev-parse', 'HEAD')).toBe(next)
    expect(pendingSyncs(repo)).toEqual([`${next}.json`])

    // The next command, while the file is still in the way: the earlier failure comes back as a warning.
    const stale = await moveBranch(repo, branch, { expected: tip, next: tip, paths: [], who, subject: 'stale' })
    expect(stale.moved).toBe(false)
    expect(stale.warnings).toHaveLength(1)
    expect(stale.warnings[0]).toMatch(
      /^An earlier command landed, but the working tree and index were not updated \(.*\)\. The next kitty command retries; or run: git checkout HEAD -- 'newdir\/file\.md'$/,
    )
    const noop = await commitMutation(repo, { branch, author: who, now: () => WHEN }, async () => ({
      kind: 'noop',
      result: 1,
    }))
    expect({ ...noop, warnings: normal(noop.warnings) }).toEqual({
      result: 1,
      commit: null,
      attempts: 1,
      warnings: normal(stale.warnings),
    })
    const wp = await commitMutation(repo, { branch, author: who, now: () => WHEN }, async () => ({
      kind: 'commit',
      message: { subject: 'kitty: wp', trailers: {} },
      changes: new Map([[WP01, bytes('wp\n')]]),
      result: 2,
    }))
    expect(wp).toMatchObject({ result: 2, attempts: 1 })
    expect(normal(wp.warnings)).toEqual(normal(stale.warnings))

    // Once it is out of the way the next command finishes the sync and says nothing.
    rmSync(join(dir, 'newdir'))
    const again = await commitMutation(repo, { branch, author: who, now: () => WHEN }, async () => ({
      kind: 'noop',
      result: 3,
    }))
    expect(again.warnings).toEqual([])
    expect(readFileSync(join(dir, 'newdir/file.md'), 'utf8')).toBe('new\n')
    expect(pendingSyncs(repo)).toEqual([])
    expect(git(dir, 'status', '--porcelain')).toBe('')
  })

  it('leaves no journal behind after a move, nor after a swap that lost the race', async () => {
    const dir = makeRepo()
    const repo = locateRepository(dir)
    const branch = await resolveStateBranch(repo)
    let plans = 0
    const out = await commitMutation(repo, { branch, author: who, now: () => WHEN }, async () => {
      if (plans++ === 0) {
        git(dir, 'update-ref', 'refs/heads/main', git(dir, 'commit-tree', '-p', 'main', '-m', 'other', 'main^{tree}'))
        // The other writer's commit changed no file: the working tree stays clean for the retry.
      }
      return {
        kind: 'commit',
        message: { subject: `kitty: ${plans}`, trailers: {} },
        changes: new Map([[WP01, bytes(`${plans}\n`)]]),
        result: plans,
      }
    })
    expect(out).toMatchObject({ result: 2, attempts: 2, warnings: [] })
    expect(pendingSyncs(repo)).toEqual([])
    expect(readFileSync(join(dir, WP01), 'utf8')).toBe('2\n')
  })
})

describe('moveBranch and swapBranch: a branch that moved meanwhile', () => {
  it('the checked-out branch moved by another writer that changed the same file: not moved, no refusal, nothing touched', async () => {
    const dir = makeRepo()
    const repo = locateRepository(dir)
    const branch = await resolveStateBranch(repo)
    const { tip, next } = await commitOn(repo, 'main', { [WP01]: 'ours\n' })
    // Another writer commits a change of the same file and checks it out.
    writeFileSync(join(dir, WP01), 'theirs\n')
    git(dir, 'commit', '-q', '-am', 'theirs')
    const theirs = git(dir, 'rev-parse', 'HEAD')
    expect(await moveBranch(repo, branch, { expected: tip, next, paths: [WP01], who, subject: 's' })).toEqual({
      moved: false,
      warnings: [],
    })
    expect(git(dir, 'rev-parse', 'HEAD')).toBe(theirs)
    expect(readFileSync(join(dir, WP01), 'utf8')).toBe('theirs\n')
    expect(pendingSyncs(repo)).toEqual([])
  })

  it('swapBranch on the checked-out branch whose ref moved after the caller read it: not moved, no warning, its journal removed', async () => {
    const dir = makeRepo()
    const repo = locateRepository(dir)
    const branch = await resolveStateBranch(repo)
    const { tip, next } = await commitOn(repo, 'main', { [WP01]: 'ours\n' })
    const before = await Snapshot.at(repo, tip)
    git(dir, 'commit', '-q', '--allow-empty', '-m', 'theirs')
    const theirs = git(dir, 'rev-parse', 'HEAD')
    expect(await swapBranch(repo, branch, { expected: tip, next, paths: [WP01], who, subject: 's' }, before)).toEqual({
      moved: false,
      warnings: [],
    })
    expect(git(dir, 'rev-parse', 'HEAD')).toBe(theirs)
    expect(pendingSyncs(repo)).toEqual([])
    expect(git(dir, 'status', '--porcelain')).toBe('')
  })
})

describe('moveBranch: the reflog line', () => {
  it.each([true, false])(
    'names the identity and the subject, prefixed kitty: (checked out: %s)',
    async (checkedOut) => {
      const dir = makeRepo()
      if (!checkedOut) git(dir, 'branch', 'state')
      const repo = locateRepository(dir)
      const branch = await resolveStateBranch(repo, checkedOut ? undefined : 'state')
      const { tip, next } = await commitOn(repo, branch.ref, { [WP01]: 'moved\n' })
      expect(
        await moveBranch(repo, branch, { expected: tip, next, paths: [WP01], who, subject: 'claim WP01' }),
      ).toEqual({ moved: true, warnings: [] })
      expect(git(dir, 'reflog', 'show', '-1', '--format=%H|%gn <%ge>|%gs', branch.branch)).toBe(
        `${next}|Kitty Test <kitty@example.com>|kitty: claim WP01`,
      )
    },
  )
})
