import { execFileSync } from 'node:child_process'
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import {
  BrokenRefError,
  InvalidRefNameError,
  listBranches,
  readRef,
  readSymbolicRef,
} from '../../../src/store/history/read-ref.ts'
import { locateRepository } from '../../../src/store/repository.ts'
import { cleanupTempDirs, git, makeRepo, tempDir, twoCommits } from '../../helpers/git-repo.ts'

afterAll(cleanupTempDirs)

/** What git itself resolves `ref` to, or null when it says there is no such ref. */
function gitResolves(dir: string, ref: string): string | null {
  try {
    return git(dir, 'rev-parse', '--verify', '--quiet', `${ref}^{commit}`)
  } catch {
    return null
  }
}

describe('readRef: refs as git stores them, without isomorphic-git', () => {
  it('agrees with git on loose, packed, repacked-then-moved and symbolic refs, and on missing ones', async () => {
    const dir = makeRepo()
    const [first, second] = twoCommits(dir)
    git(dir, 'branch', 'packed', first)
    git(dir, 'branch', 'nested/deep/name', first)
    git(dir, 'branch', 'moved', first)
    git(dir, 'tag', 'v1', first)
    git(dir, 'pack-refs', '--all')
    // Loose again after packing: the loose file is the newer word.
    git(dir, 'update-ref', 'refs/heads/moved', second)
    git(dir, 'branch', 'loose', second)
    git(dir, 'symbolic-ref', 'refs/remotes/origin/HEAD', 'refs/heads/packed')
    const repo = locateRepository(dir)
    const names = [
      'HEAD',
      'refs/heads/main',
      'refs/heads/packed',
      'refs/heads/nested/deep/name',
      'refs/heads/moved',
      'refs/heads/loose',
      'refs/tags/v1',
      'refs/remotes/origin/HEAD',
      'refs/heads/absent',
      // A directory where a ref would be: refs/heads/nested holds nested/deep/…
      'refs/heads/nested',
    ]
    const ours = await Promise.all(names.map((n) => readRef(repo, n)))
    expect(ours).toEqual(names.map((n) => gitResolves(dir, n)))
    // The case is not vacuous: the packed, the re-loosed and the symbolic ones are all there.
    expect(ours.slice(2, 8)).toEqual([first, first, second, second, first, first])
    expect(ours.slice(8)).toEqual([null, null])
  })

  it('names are exact: a missing refs/heads/x is not found through refs/heads/refs/heads/x, as isomorphic-git would', async () => {
    const dir = makeRepo()
    const [first] = twoCommits(dir)
    git(dir, 'update-ref', 'refs/heads/refs/heads/x', first)
    expect(await readRef(locateRepository(dir), 'refs/heads/x')).toBeNull()
    expect(await readRef(locateRepository(dir), 'refs/heads/refs/heads/x')).toBe(first)
  })

  it('refuses a name git could not hold before building a path from it', async () => {
    const dir = makeRepo()
    const repo = locateRepository(dir)
    for (const name of [
      '../config',
      'config',
      'refs/heads/../../config',
      'refs/heads/a..b',
      'refs/heads/x.lock',
      'refs/heads/.hidden',
      'refs/heads//double',
      'refs/heads/',
      '/etc/passwd',
      'refs/heads/a b',
      'refs/heads/a\\b',
      'refs/heads/a\nb',
    ]) {
      await expect(readRef(repo, name), name).rejects.toBeInstanceOf(InvalidRefNameError)
      await expect(readRef(repo, name), name).rejects.toMatchObject({ code: 'USAGE_ERROR', data: { ref: name } })
    }
  })

  it('a symlink to a ref is a symbolic ref (git reads it so); a symlink to a file elsewhere is not followed', async () => {
    const dir = makeRepo()
    const [first] = twoCommits(dir)
    const repo = locateRepository(dir)
    symlinkSync('refs/heads/main', join(repo.gitdir, 'refs/heads/alias'))
    expect(await readRef(repo, 'refs/heads/alias')).toBe(gitResolves(dir, 'refs/heads/alias'))
    expect(await readRef(repo, 'refs/heads/alias')).toBe(first)
    // Outside the repository, a file holding a valid object id: reading through the link would accept it.
    const outside = join(tempDir(), 'planted')
    writeFileSync(outside, `${first}\n`)
    symlinkSync(outside, join(repo.gitdir, 'refs/heads/planted'))
    await expect(readRef(repo, 'refs/heads/planted')).rejects.toBeInstanceOf(BrokenRefError)
    await expect(readRef(repo, 'refs/heads/planted')).rejects.toThrow(/symbolic link to .*planted, not a ref/)
  })

  it('a FIFO planted at a ref is refused without blocking on it', async () => {
    const dir = makeRepo()
    const repo = locateRepository(dir)
    execFileSync('mkfifo', [join(repo.gitdir, 'refs/heads/fifo')])
    await expect(readRef(repo, 'refs/heads/fifo')).rejects.toThrow(/not a regular file/)
  })

  it('a ref file with neither an object id nor `ref:`, or a loop of symbolic refs, is a BrokenRefError', async () => {
    const dir = makeRepo()
    const [first] = twoCommits(dir)
    const repo = locateRepository(dir)
    writeFileSync(join(repo.gitdir, 'refs/heads/garbage'), 'not an id\n')
    await expect(readRef(repo, 'refs/heads/garbage')).rejects.toBeInstanceOf(BrokenRefError)
    writeFileSync(join(repo.gitdir, 'refs/heads/upper'), `${first.toUpperCase()}\n`)
    await expect(readRef(repo, 'refs/heads/upper')).rejects.toBeInstanceOf(BrokenRefError)
    writeFileSync(join(repo.gitdir, 'refs/heads/a'), 'ref: refs/heads/b\n')
    writeFileSync(join(repo.gitdir, 'refs/heads/b'), 'ref: refs/heads/a\n')
    await expect(readRef(repo, 'refs/heads/a')).rejects.toThrow(
      /go round \(refs\/heads\/a → refs\/heads\/b → refs\/heads\/a\)/,
    )
    writeFileSync(join(repo.gitdir, 'refs/heads/out'), 'ref: ../../config\n')
    await expect(readRef(repo, 'refs/heads/out')).rejects.toBeInstanceOf(BrokenRefError)
  })

  it('an empty loose file falls through to packed-refs; an object id with trailing text is read as git reads it', async () => {
    const dir = makeRepo()
    const [first, second] = twoCommits(dir)
    git(dir, 'branch', 'side', first)
    git(dir, 'pack-refs', '--all')
    const repo = locateRepository(dir)
    writeFileSync(join(repo.gitdir, 'refs/heads/side'), '')
    expect(await readRef(repo, 'refs/heads/side')).toBe(first)
    writeFileSync(join(repo.gitdir, 'refs/heads/side'), `${second} trailing words\n`)
    expect(await readRef(repo, 'refs/heads/side')).toBe(second)
    expect(gitResolves(dir, 'refs/heads/side')).toBe(second)
  })
})

describe('readSymbolicRef: what HEAD names', () => {
  it('a branch, also an unborn one; null when detached', async () => {
    const dir = makeRepo()
    const [first] = twoCommits(dir)
    const repo = locateRepository(dir)
    expect(await readSymbolicRef(repo, 'HEAD')).toBe('refs/heads/main')
    git(dir, 'checkout', '-q', '--orphan', 'fresh')
    expect(await readSymbolicRef(repo, 'HEAD')).toBe('refs/heads/fresh')
    expect(await readRef(repo, 'refs/heads/fresh')).toBeNull()
    git(dir, 'checkout', '-q', '--detach', first)
    expect(await readSymbolicRef(repo, 'HEAD')).toBeNull()
    expect(await readRef(repo, 'HEAD')).toBe(first)
  })
})

describe('listBranches', () => {
  it('loose and packed, each once, sorted; lock files and stray files with invalid names are not branches', async () => {
    const dir = makeRepo()
    const [first] = twoCommits(dir)
    git(dir, 'branch', 'b-packed', first)
    git(dir, 'branch', 'a/nested', first)
    git(dir, 'pack-refs', '--all')
    git(dir, 'branch', 'c-loose', first)
    git(dir, 'update-ref', 'refs/heads/b-packed', first)
    const repo = locateRepository(dir)
    writeFileSync(join(repo.gitdir, 'refs/heads/main.lock'), `${first}\n`)
    mkdirSync(join(repo.gitdir, 'refs/heads/empty-dir'))
    expect(await listBranches(repo)).toEqual(
      git(dir, 'for-each-ref', '--format=%(refname:short)', 'refs/heads/').split('\n').sort(),
    )
    expect(await listBranches(repo)).toEqual(['a/nested', 'b-packed', 'c-loose', 'main'])
    rmSync(join(repo.gitdir, 'refs/heads/main.lock'))
  })
})
