import { execFileSync } from 'node:child_process'
import { mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
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

describe('readRef: each case the reader decides on', () => {
  const setUp = () => {
    const dir = makeRepo()
    const [first, second] = twoCommits(dir)
    return { dir, first: first!, second: second!, repo: locateRepository(dir) }
  }
  const write = (repo: ReturnType<typeof locateRepository>, ref: string, text: string) =>
    writeFileSync(join(repo.gitdir, ref), text)

  it('says what is wrong, with a stable code and the ref, in errors of their own names', async () => {
    const { repo } = setUp()
    const invalid = await readRef(repo, 'config').catch((e: unknown) => e)
    expect(invalid).toBeInstanceOf(InvalidRefNameError)
    expect(invalid).toMatchObject({
      name: 'InvalidRefNameError',
      code: 'USAGE_ERROR',
      message: "'config' is not a valid ref name: it is neither HEAD nor under 'refs/'",
      data: { ref: 'config' },
    })
    write(repo, 'refs/heads/garbage', 'not an id\n')
    const broken = await readRef(repo, 'refs/heads/garbage').catch((e: unknown) => e)
    expect(broken).toBeInstanceOf(BrokenRefError)
    expect(broken).toMatchObject({
      name: 'BrokenRefError',
      code: 'INTERNAL_ERROR',
      message: `The ref refs/heads/garbage in ${repo.gitdir} cannot be read: it holds neither an object id nor a symbolic ref. Inspect it with git show-ref and git fsck.`,
      data: { ref: 'refs/heads/garbage' },
    })
  })

  it('a ref under a file, or a directory of refs, is no ref (null), as git says', async () => {
    const { dir, first, repo } = setUp()
    git(dir, 'branch', 'dir/inner', first)
    for (const ref of ['refs/heads/main/below', 'refs/heads/dir']) {
      expect(await readRef(repo, ref), ref).toBeNull()
      expect(gitResolves(dir, ref), ref).toBeNull()
    }
    expect(await readRef(repo, 'refs/heads/dir/inner')).toBe(first)
  })

  it('closes every ref file it opens', async () => {
    const { repo } = setUp()
    const open = () => readdirSync('/proc/self/fd').length
    const before = open()
    for (let i = 0; i < 50; i++) await readRef(repo, 'HEAD')
    expect(open()).toBeLessThanOrEqual(before + 2)
  })

  it('a symlink is a symbolic ref only when it names a valid ref under refs/', async () => {
    const { repo, first } = setUp()
    const heads = join(repo.gitdir, 'refs/heads')
    symlinkSync('HEAD', join(heads, 'to-head'))
    symlinkSync('objects/info', join(heads, 'to-objects'))
    symlinkSync('refs/heads/a..b', join(heads, 'to-invalid'))
    for (const ref of ['to-head', 'to-objects', 'to-invalid'])
      await expect(readRef(repo, `refs/heads/${ref}`), ref).rejects.toThrow(/is a symbolic link to .*, not a ref/)
    symlinkSync('refs/heads/main', join(heads, 'to-main'))
    expect(await readRef(repo, 'refs/heads/to-main')).toBe(first)
  })

  it('a file of whitespace falls through to packed-refs; `ref:` after leading whitespace is broken, as git says', async () => {
    const { dir, first, repo } = setUp()
    git(dir, 'branch', 'side', first)
    git(dir, 'pack-refs', '--all')
    write(repo, 'refs/heads/side', ' \n\t\n')
    expect(await readRef(repo, 'refs/heads/side')).toBe(first)
    write(repo, 'refs/heads/lead', ' ref: refs/heads/main\n')
    await expect(readRef(repo, 'refs/heads/lead')).rejects.toBeInstanceOf(BrokenRefError)
    expect(gitResolves(dir, 'refs/heads/lead')).toBeNull()
    write(repo, 'refs/heads/sym', 'ref:refs/heads/main  \n')
    expect(await readRef(repo, 'refs/heads/sym')).toBe(gitResolves(dir, 'refs/heads/sym'))
  })

  it('packed-refs: a line is `<id> <name>` whole (CRLF too); a line with more, or less, is not a ref', async () => {
    const { first, second, repo } = setUp()
    write(
      repo,
      'packed-refs',
      [
        '# pack-refs with: peeled fully-peeled sorted ',
        `${first} refs/heads/crlf\r`,
        `x${second} refs/heads/prefixed`,
        `${second} refs/heads/trailing junk`,
        `${second} refs/tags/t`,
        `^${first}`,
        '',
      ].join('\n'),
    )
    expect(await readRef(repo, 'refs/heads/crlf')).toBe(first)
    expect(await readRef(repo, 'refs/heads/prefixed')).toBeNull()
    expect(await readRef(repo, 'refs/heads/trailing')).toBeNull()
    expect(await readRef(repo, 'refs/tags/t')).toBe(second)
  })

  it('packed-refs that cannot be read for a reason other than absence is an error, not an empty list', async () => {
    const { repo } = setUp()
    mkdirSync(join(repo.gitdir, 'packed-refs'))
    await expect(readRef(repo, 'refs/heads/absent')).rejects.toMatchObject({ code: 'EISDIR' })
  })

  it('reads at most five refs for a name, as git does (SYMREF_MAXDEPTH): four symbolic ones and the last', async () => {
    const { dir, first, repo } = setUp()
    for (let i = 1; i <= 4; i++)
      write(repo, `refs/heads/s${i}`, `ref: ${i === 4 ? 'refs/heads/main' : `refs/heads/s${i + 1}`}\n`)
    expect(await readRef(repo, 'refs/heads/s1')).toBe(first)
    expect(gitResolves(dir, 'refs/heads/s1')).toBe(first)
    write(repo, 'refs/heads/s0', 'ref: refs/heads/s1\n')
    await expect(readRef(repo, 'refs/heads/s0')).rejects.toThrow(
      /go deeper than git follows them \(refs\/heads\/s0 → refs\/heads\/s1 → refs\/heads\/s2 → refs\/heads\/s3 → refs\/heads\/s4 → refs\/heads\/main\)/,
    )
    expect(gitResolves(dir, 'refs/heads/s0')).toBeNull()
  })

  it('readSymbolicRef refuses an invalid name and answers null for a missing ref', async () => {
    const { repo } = setUp()
    await expect(readSymbolicRef(repo, 'refs/heads/a..b')).rejects.toBeInstanceOf(InvalidRefNameError)
    expect(await readSymbolicRef(repo, 'refs/heads/absent')).toBeNull()
  })

  it('listBranches: nested loose branches by their full short name; packed tags are not branches; no refs/heads is no loose branch', async () => {
    const { dir, first, repo } = setUp()
    git(dir, 'tag', 'packed-tag', first)
    git(dir, 'branch', 'packed-branch', first)
    git(dir, 'pack-refs', '--all')
    git(dir, 'branch', 'deep/loose/one', first)
    expect(await listBranches(repo)).toEqual(['deep/loose/one', 'main', 'packed-branch'])
    git(dir, 'pack-refs', '--all')
    rmSync(join(repo.gitdir, 'refs/heads'), { recursive: true, force: true })
    expect(await listBranches(repo)).toEqual(['deep/loose/one', 'main', 'packed-branch'])
  })
})
