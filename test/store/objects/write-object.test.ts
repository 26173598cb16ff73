import nodeFs, { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { inflateSync } from 'node:zlib'
import fc from 'fast-check'
import git from 'isomorphic-git'
import { afterAll, describe, expect, it } from 'vitest'
import { locateRepository } from '../../../src/store/repository.ts'
import type { CommitObject, Person } from '../../../src/store/objects/write-object.ts'
import {
  commitContent,
  treeContent,
  writeBlob,
  writeCommit,
  writeTree,
} from '../../../src/store/objects/write-object.ts'
import { cleanupTempDirs, git as gitCli, makeRepo, tempDir } from '../../helpers/git-repo.ts'

afterAll(cleanupTempDirs)

const RUNS = Number(process.env['KITTY_FUZZ_RUNS'] ?? 100) * 3
const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904'

/**
 * write-object.ts replaced isomorphic-git's writeBlob, writeTree and writeCommit on the write path; the
 * objects must be the same bytes, so every id a command makes is the one it made before.
 */

const oid = fc.stringMatching(/^[0-9a-f]{40}$/)
// Short names from a few characters either side of '/' (0x2f), so one is often a prefix of another
// (`b`, `b.md`, `b-c`) and a directory's place turns on its implied trailing slash.
const name = fc
  .oneof(fc.stringMatching(/^[b.\-0_]{1,3}$/), fc.stringMatching(/^[^\0/\n]{1,12}$/))
  .filter((n) => n !== '.' && n !== '..')
const mode = fc.constantFrom('100644', '100755', '120000', '040000', '160000', '40000')
const person: fc.Arbitrary<Person> = fc.record({
  name: fc.stringMatching(/^[^<>\n]{0,16}$/),
  email: fc.stringMatching(/^[^<>\n]{0,16}$/),
  timestamp: fc.integer({ min: 0, max: 2 ** 33 }),
  // Whole minutes either side of UTC, -0 included (isomorphic-git writes it as -0000).
  timezoneOffset: fc.oneof(fc.integer({ min: -840, max: 840 }), fc.constant(-0)),
})

/** The content of the loose object isomorphic-git writes for `object`, read back from its file. */
async function isomorphicContent(gitdir: string, type: 'tree' | 'commit', object: unknown): Promise<Buffer> {
  const id = await git.writeObject({ fs: nodeFs, gitdir, type, object: object as never, format: 'parsed' })
  const raw = inflateSync(readFileSync(join(gitdir, 'objects', id.slice(0, 2), id.slice(2))))
  return raw.subarray(raw.indexOf(0) + 1)
}

describe('write-object: the bytes isomorphic-git wrote', () => {
  const gitdir = join(makeRepo(), '.git')

  it('a tree, for any entries in any order (directories sorted as if their name ended in /)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.record({ path: name, oid, mode }), { selector: (e) => e.path, maxLength: 12 }),
        async (entries) => {
          const theirs = await isomorphicContent(
            gitdir,
            'tree',
            entries.map((e) => ({ ...e })),
          )
          expect(Buffer.from(treeContent(entries)).equals(theirs)).toBe(true)
        },
      ),
      { numRuns: RUNS },
    )
  })

  it('a commit, for any message, parents and people', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          message: fc.string({ maxLength: 40 }),
          tree: fc.option(oid, { nil: null }),
          parent: fc.array(oid, { maxLength: 3 }),
          author: person,
          committer: fc.option(person, { nil: undefined }),
        }),
        async (commit: CommitObject) => {
          const theirs = await isomorphicContent(gitdir, 'commit', { ...commit, parent: [...commit.parent] })
          expect(commitContent(commit)).toBe(theirs.toString('utf8'))
        },
      ),
      { numRuns: RUNS },
    )
  })

  it('writes the ids and files isomorphic-git wrote, which git reads back and fsck accepts; an object already there is kept', async () => {
    const dir = makeRepo()
    const ours = locateRepository(dir)
    const theirs = { fs: nodeFs, gitdir: join(makeRepo(), '.git') }
    const content = new TextEncoder().encode('hello\r\nwörld\n')
    const blob = await writeBlob(ours, content)
    expect(blob).toBe(await git.writeBlob({ ...theirs, blob: content }))
    expect(await writeTree(ours, [])).toBe(EMPTY_TREE)
    await git.writeTree({ ...theirs, tree: [] })
    const entries = [
      { mode: '100644', path: 'b.md', oid: blob, type: 'blob' as const },
      { mode: '040000', path: 'b', oid: EMPTY_TREE, type: 'tree' as const },
      { mode: '100755', path: 'a', oid: blob, type: 'blob' as const },
    ]
    const tree = await writeTree(ours, entries)
    expect(tree).toBe(await git.writeTree({ ...theirs, tree: entries.map((e) => ({ ...e })) }))
    expect(gitCli(dir, 'ls-tree', tree)).toBe(
      // git's order: a directory sorts as if its name ended in '/', after 'b.md'.
      [`100755 blob ${blob}\ta`, `100644 blob ${blob}\tb.md`, `040000 tree ${EMPTY_TREE}\tb`].join('\n'),
    )
    const who = { name: 'Kitty', email: 'k@example.com', timestamp: 1_700_000_000, timezoneOffset: -60 }
    const commit = {
      message: 'subject\n\nbody\r\n\n',
      tree,
      parent: [gitCli(dir, 'rev-parse', 'HEAD')],
      author: who,
      committer: who,
    }
    const id = await writeCommit(ours, commit)
    expect(id).toBe(await git.writeCommit({ ...theirs, commit: { ...commit, parent: [...commit.parent] } }))
    expect(gitCli(dir, 'log', '-1', '--format=%an <%ae> %ad|%s|%b', '--date=raw', id)).toBe(
      'Kitty <k@example.com> 1700000000 +0100|subject|body',
    )
    gitCli(dir, 'fsck', '--strict', '--no-dangling')
    // A loose object is `<kind> <size>\0<content>` deflated, as git stores it.
    const path = join(ours.gitdir, 'objects', blob.slice(0, 2), blob.slice(2))
    expect(inflateSync(readFileSync(path)).equals(Buffer.concat([Buffer.from('blob 14\0'), content]))).toBe(true)
    const before = nodeFs.statSync(path).mtimeMs
    nodeFs.utimesSync(path, 0, 0)
    expect(await writeBlob(ours, content)).toBe(blob)
    expect(nodeFs.statSync(path).mtimeMs).toBe(0)
    expect(before).toBeGreaterThan(0)
  })
})

describe('write-object: cases the properties may not meet', () => {
  it('sorts entries given in reverse into git order, a directory as if its name ended in /', async () => {
    const dir = makeRepo()
    const blob = gitCli(dir, 'hash-object', '-w', '--stdin')
    const names = ['a', 'a-b', 'a.md', 'b', 'c', 'd', 'e', 'f', 'g', 'h']
    const entries = names.map((path) => ({ mode: path === 'a' ? '040000' : '100644', path, oid: EMPTY_TREE }))
    entries[3]!.oid = blob
    const reversed = [...entries].reverse()
    const id = await writeTree(locateRepository(dir), reversed)
    // git's order puts the directory `a` (as `a/`) after `a-b` and `a.md`.
    expect(gitCli(dir, 'ls-tree', '--name-only', id).split('\n')).toEqual(['a-b', 'a.md', 'a', ...names.slice(3)])
  })

  it('takes the modes isomorphic-git took and refuses any other, in its words', async () => {
    const entry = (mode: string) => [{ mode, path: 'x', oid: EMPTY_TREE }]
    for (const [given, written] of [
      ['40000', '40000'],
      ['040000', '40000'],
      ['100644', '100644'],
      ['100664', '100644'],
      ['100755', '100755'],
      ['120000', '120000'],
      ['160000', '160000'],
    ])
      expect(Buffer.from(treeContent(entry(given!))).toString('latin1'), given).toMatch(new RegExp(`^${written} x\\0`))
    for (const mode of ['0100644', '0100755', '0120000', '0160000', '555', '']) {
      expect(() => treeContent(entry(mode)), mode).toThrow(`Could not understand file mode: ${mode}`)
      const tree = entry(mode).map((e) => ({ ...e, type: 'blob' as const }))
      await expect(git.writeTree({ fs: nodeFs, dir: tempDir(), tree }), mode).rejects.toThrow(
        `Could not understand file mode: ${mode}`,
      )
    }
  })

  it('a message loses every leading blank line and carriage return, as isomorphic-git stored it', async () => {
    const commit: CommitObject = {
      message: '\n\n\nsubject\r\n\r\nbody\r\n\n\n',
      tree: EMPTY_TREE,
      parent: [],
      author: { name: 'K', email: 'k@example.com', timestamp: 0, timezoneOffset: 0 },
    }
    expect(commitContent(commit).split('\n\n').slice(1).join('\n\n')).toBe('subject\n\nbody\n')
    const dir = makeRepo()
    const ours = await writeCommit(locateRepository(dir), commit)
    expect(ours).toBe(
      await git.writeCommit({
        fs: nodeFs,
        dir,
        commit: { ...commit, tree: EMPTY_TREE, parent: [], committer: commit.author },
      }),
    )
  })
})
