import fs from 'node:fs/promises'
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest'
import { locateRepository, readRef } from '../../../src/store/repository.ts'
import { compareAndSwapRef } from '../../../src/store/history/update-ref.ts'
import { cleanupTempDirs, git, makeRepo, tempDir, twoCommits } from '../../helpers/git-repo.ts'

afterAll(cleanupTempDirs)
afterEach(() => {
  vi.restoreAllMocks()
})

const ZERO = '0'.repeat(40)
const WHO = 'Kitty Test <kitty@example.com>'

/** The reflog lines of `ref` as written on disk, with the time field checked and replaced by T. */
function reflog(gitdir: string, ref: string, from: number, to: number): string[] {
  const text = readFileSync(join(gitdir, 'logs', ref), 'utf8')
  expect(text.endsWith('\n')).toBe(true)
  return text
    .slice(0, -1)
    .split('\n')
    .map((line) => {
      const m = / (\d+) \+0000\t/.exec(line)
      expect(m, line).not.toBeNull()
      const seconds = Number(m![1])
      expect(seconds).toBeGreaterThanOrEqual(from)
      expect(seconds).toBeLessThanOrEqual(to)
      return line.replace(m![0], ' T +0000\t')
    })
}

const nowSeconds = () => Math.floor(Date.now() / 1000)

describe('compareAndSwapRef: the reflog', () => {
  it('creates a new ref with a reflog line from the zero id, with the identity, the time and the first line of the message', async () => {
    const dir = makeRepo()
    const [first, second] = twoCommits(dir)
    const repo = locateRepository(dir)
    const from = nowSeconds()
    expect(
      await compareAndSwapRef(repo, {
        ref: 'refs/heads/kitty/new',
        expected: null,
        next: first,
        who: WHO,
        message: 'kitty: create\n\nbody line',
      }),
    ).toBe(true)
    expect(
      await compareAndSwapRef(repo, {
        ref: 'refs/heads/kitty/new',
        expected: first,
        next: second,
        who: WHO,
        message: 'kitty: move',
      }),
    ).toBe(true)
    const to = nowSeconds()
    expect(reflog(repo.gitdir, 'refs/heads/kitty/new', from, to)).toEqual([
      `${ZERO} ${first} ${WHO} T +0000\tkitty: create`,
      `${first} ${second} ${WHO} T +0000\tkitty: move`,
    ])
    // git reads it back as its own.
    expect(git(dir, 'reflog', 'show', '--format=%H %gs', 'kitty/new').split('\n')).toEqual([
      `${second} kitty: move`,
      `${first} kitty: create`,
    ])
    expect(readFileSync(join(repo.gitdir, 'refs/heads/kitty/new'), 'utf8')).toBe(`${second}\n`)
  })

  it('appends to the reflog git keeps for an existing branch', async () => {
    const dir = makeRepo()
    const [first, second] = twoCommits(dir)
    git(dir, 'branch', 'state', first)
    const repo = locateRepository(dir)
    const before = readFileSync(join(repo.gitdir, 'logs/refs/heads/state'), 'utf8')
    const from = nowSeconds()
    expect(
      await compareAndSwapRef(repo, {
        ref: 'refs/heads/state',
        expected: first,
        next: second,
        who: WHO,
        message: 'kitty: claim',
      }),
    ).toBe(true)
    const lines = reflog(repo.gitdir, 'refs/heads/state', 0, nowSeconds())
    expect(readFileSync(join(repo.gitdir, 'logs/refs/heads/state'), 'utf8').startsWith(before)).toBe(true)
    expect(lines.at(-1)).toBe(`${first} ${second} ${WHO} T +0000\tkitty: claim`)
    expect(lines.length).toBe(before.split('\n').length)
    expect(
      Number(/ (\d+) \+0000\t[^\n]*\n$/.exec(readFileSync(join(repo.gitdir, 'logs/refs/heads/state'), 'utf8'))![1]),
    ).toBeGreaterThanOrEqual(from)
  })

  it('a refused swap writes no reflog line and leaves no temporary file', async () => {
    const dir = makeRepo()
    const [first, second] = twoCommits(dir)
    const repo = locateRepository(dir)
    expect(
      await compareAndSwapRef(repo, {
        ref: 'refs/heads/kitty/none',
        expected: second,
        next: first,
        who: WHO,
        message: 'm',
      }),
    ).toBe(false)
    expect(existsSync(join(repo.gitdir, 'logs/refs/heads/kitty/none'))).toBe(false)
    expect(existsSync(join(repo.gitdir, 'refs/heads/kitty/none'))).toBe(false)
    expect(readdirSync(repo.gitdir).filter((n) => n.includes('kitty'))).toEqual([])
  })

  it('in a bare repository: no reflog where git keeps none, appended where one exists', async () => {
    const source = makeRepo()
    const [first, second] = twoCommits(source)
    const bare = join(tempDir(), 'bare.git')
    git(source, 'clone', '-q', '--bare', source, bare)
    git(bare, 'fetch', '-q', source, `${second}:refs/heads/other`)
    const repo = locateRepository(bare)
    expect(repo.workdir).toBeNull()
    expect(
      await compareAndSwapRef(repo, {
        ref: 'refs/heads/fresh',
        expected: null,
        next: first,
        who: WHO,
        message: 'kitty: fresh',
      }),
    ).toBe(true)
    expect(await readRef(repo, 'refs/heads/fresh')).toBe(first)
    expect(existsSync(join(bare, 'logs/refs/heads/fresh'))).toBe(false)
    // A reflog someone set up (core.logAllRefUpdates=always, or by hand) is kept up to date.
    await fs.mkdir(join(bare, 'logs/refs/heads'), { recursive: true })
    writeFileSync(join(bare, 'logs/refs/heads/fresh'), '')
    const from = nowSeconds()
    expect(
      await compareAndSwapRef(repo, {
        ref: 'refs/heads/fresh',
        expected: first,
        next: second,
        who: WHO,
        message: 'kitty: on',
      }),
    ).toBe(true)
    expect(reflog(bare, 'refs/heads/fresh', from, nowSeconds())).toEqual([
      `${first} ${second} ${WHO} T +0000\tkitty: on`,
    ])
  })
})

describe('compareAndSwapRef: the lock', () => {
  it('a lock another process holds on the ref: STATE_CONFLICT naming the ref and the lock file, after the timeout', async () => {
    const dir = makeRepo()
    const [first, second] = twoCommits(dir)
    git(dir, 'branch', 'state', first)
    const repo = locateRepository(dir)
    const lockPath = join(repo.gitdir, 'refs/heads/state.lock')
    writeFileSync(lockPath, `${second}\n`)
    // The lock's deadline is taken from the first clock reading; the next one is past it.
    vi.spyOn(Date, 'now').mockReturnValueOnce(0)
    await expect(
      compareAndSwapRef(repo, { ref: 'refs/heads/state', expected: first, next: second, who: WHO, message: 'm' }),
    ).rejects.toMatchObject({
      code: 'STATE_CONFLICT',
      message: `refs/heads/state is locked by another process (${lockPath}). If no git process is running, delete the lock file and retry.`,
    })
    expect(readFileSync(lockPath, 'utf8')).toBe(`${second}\n`)
    expect(git(dir, 'rev-parse', 'state')).toBe(first)
  })

  it('a lock taken over between the check and the rename (a stalled writer judged dead): nothing moves, the temporary file goes', async () => {
    const dir = makeRepo()
    const [first, second] = twoCommits(dir)
    git(dir, 'branch', 'state', first)
    const repo = locateRepository(dir)
    const lockPath = join(repo.gitdir, 'refs/heads/state.lock')
    const mkdir = fs.mkdir.bind(fs)
    // Just before the rename another writer replaces our lock file with its own.
    vi.spyOn(fs, 'mkdir').mockImplementation(async (path, options) => {
      if (String(path) === join(repo.gitdir, 'refs/heads') && existsSync(lockPath))
        writeFileSync(lockPath, 'kitty-lock pid=1 host=elsewhere token=theirs\n')
      return mkdir(path, options)
    })
    expect(
      await compareAndSwapRef(repo, { ref: 'refs/heads/state', expected: first, next: second, who: WHO, message: 'm' }),
    ).toBe(false)
    vi.restoreAllMocks()
    expect(git(dir, 'rev-parse', 'state')).toBe(first)
    expect(readdirSync(repo.gitdir).filter((n) => n.startsWith('kitty-ref'))).toEqual([])
    expect(git(dir, 'reflog', 'show', '--format=%H', 'state').split('\n')).toEqual([first])
    // Their lock is theirs to release.
    expect(readFileSync(lockPath, 'utf8')).toBe('kitty-lock pid=1 host=elsewhere token=theirs\n')
  })

  it('writes the new value to an owned temporary file in the git dir (swept there after a crash) and renames it into place', async () => {
    const dir = makeRepo()
    const [first, second] = twoCommits(dir)
    git(dir, 'branch', 'state', first)
    const repo = locateRepository(dir)
    const rename = fs.rename.bind(fs)
    const renames: [string, string, string][] = []
    vi.spyOn(fs, 'rename').mockImplementation(async (from, to) => {
      renames.push([String(from), String(to), readFileSync(from, 'utf8')])
      return rename(from, to)
    })
    expect(
      await compareAndSwapRef(repo, { ref: 'refs/heads/state', expected: first, next: second, who: WHO, message: 'm' }),
    ).toBe(true)
    vi.restoreAllMocks()
    expect(renames).toHaveLength(1)
    const [from, to, content] = renames[0]!
    expect(to).toBe(join(repo.gitdir, 'refs/heads/state'))
    expect(content).toBe(`${second}\n`)
    expect(from.startsWith(`${join(repo.gitdir, 'kitty-ref')}.kitty-`)).toBe(true)
    expect(from.endsWith('.tmp')).toBe(true)
  })
})
