import { execFileSync } from 'node:child_process'
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { ObjectReader } from '../../../src/store/objects/object-reader.ts'
import { locateRepository } from '../../../src/store/repository.ts'
import { deltaBomb, zeroBlob } from '../../helpers/bombs.ts'
import { cleanupTempDirs, git, makeRepo } from '../../helpers/git-repo.ts'

afterAll(cleanupTempDirs)

/** A repository whose history makes real delta chains: one file edited many times, plus binaries. */
function historyRepo(): string {
  const repo = makeRepo()
  let text = Array.from({ length: 400 }, (_, i) => `line ${i}`).join('\n')
  for (let i = 0; i < 60; i++) {
    text = text.replace(`line ${i * 5}`, `line ${i * 5} edited in commit ${i}`)
    writeFileSync(join(repo, 'big.txt'), text)
    writeFileSync(
      join(repo, `bin-${i % 3}.dat`),
      Buffer.from(Array.from({ length: 3000 }, (_, j) => (j * 7 + i) % 256)),
    )
    git(repo, 'add', '-A')
    git(repo, 'commit', '-qm', `edit ${i}`)
  }
  return repo
}

/** Every object git knows, with its type and raw content, straight from `git cat-file --batch`. */
function allObjects(repo: string): Map<string, { type: string; content: Buffer }> {
  const list = git(repo, 'cat-file', '--batch-all-objects', '--batch-check').split('\n')
  const out = new Map<string, { type: string; content: Buffer }>()
  const input = list.map((l) => l.split(' ')[0]).join('\n') + '\n'
  const raw = execFileSync('git', ['cat-file', '--batch'], { cwd: repo, input, maxBuffer: 1 << 28 })
  let i = 0
  while (i < raw.length) {
    const nl = raw.indexOf(0x0a, i)
    const [oid, type, size] = raw.subarray(i, nl).toString().split(' ')
    const start = nl + 1
    out.set(oid!, { type: type!, content: raw.subarray(start, start + Number(size)) })
    i = start + Number(size) + 1
  }
  return out
}

describe('object reader', () => {
  it.each([
    ['loose objects', []],
    ['one pack with offset deltas', ['repack', '-a', '-d', '-f', '--depth=50', '--window=50']],
    ['one pack with ref deltas', ['-c', 'repack.useDeltaBaseOffset=false', 'repack', '-a', '-d', '-f']],
  ])('reads every object byte-identical to git cat-file (%s)', async (_name, repack) => {
    const repo = historyRepo()
    if (repack.length > 0) git(repo, ...repack)
    const reader = new ObjectReader(locateRepository(repo))
    const objects = allObjects(repo)
    expect(objects.size).toBeGreaterThan(150)
    for (const [oid, expected] of objects) {
      const got = await reader.read(oid)
      expect(got.type, oid).toBe(expected.type)
      expect(got.content.equals(expected.content), `${oid} (${expected.type})`).toBe(true)
    }
    reader.close()
  })
})

describe('object reader: where it looks', () => {
  // git's own order (packs, then loose files, then a rescan of the packs): a walk of a packed history
  // does not try, and fail, to open a loose file per commit (BENCHMARKS.md, "history on long histories").
  it('looks in the packs before the loose files, as git does: a packed object shadows a bad loose copy', async () => {
    const repo = makeRepo()
    git(repo, 'repack', '-a', '-d', '-q')
    const head = git(repo, 'rev-parse', 'HEAD').trim()
    const expected = allObjects(repo).get(head)!
    mkdirSync(join(repo, '.git', 'objects', head.slice(0, 2)), { recursive: true })
    writeFileSync(join(repo, '.git', 'objects', head.slice(0, 2), head.slice(2)), 'not a zlib stream')
    expect(git(repo, 'cat-file', 'commit', head)).toBe(expected.content.toString().trimEnd())
    const reader = new ObjectReader(locateRepository(repo))
    const got = await reader.read(head)
    expect(got.type).toBe('commit')
    expect(got.content.equals(expected.content)).toBe(true)
    reader.close()
  })
})

describe('object reader: bounded reads', () => {
  const MiB = 1024 * 1024

  it('refuses an object over the limit from its header (loose, packed, delta), and reads it under a larger one', async () => {
    const repo = makeRepo()
    const zeros = zeroBlob(repo, 4 * MiB)
    const delta = deltaBomb(repo, 4 * MiB)
    const reader = new ObjectReader(locateRepository(repo))
    await expect(reader.read(zeros, MiB)).rejects.toMatchObject({
      code: 'INPUT_TOO_LARGE',
      data: { size_bytes: 4 * MiB, limit_bytes: MiB },
    })
    await expect(reader.read(delta, MiB)).rejects.toMatchObject({
      code: 'INPUT_TOO_LARGE',
      data: { size_bytes: 4 * MiB },
    })
    expect((await reader.read(zeros, 4 * MiB)).content.length).toBe(4 * MiB)
    // Once inflated (cached), a smaller limit still refuses it.
    expect((await reader.read(delta)).content.length).toBe(4 * MiB)
    await expect(reader.read(delta, MiB)).rejects.toMatchObject({ code: 'INPUT_TOO_LARGE' })
    reader.close()
    git(repo, 'repack', '-a', '-d', '-q')
    const packed = new ObjectReader(locateRepository(repo))
    await expect(packed.read(zeros, MiB)).rejects.toMatchObject({ code: 'INPUT_TOO_LARGE' })
    expect((await packed.read(zeros, 4 * MiB)).content.equals(Buffer.alloc(4 * MiB))).toBe(true)
    packed.close()
  })

  it('reads packs with a version-1 index, the empty tree, and answers NotFoundError for a missing object', async () => {
    const repo = makeRepo()
    git(repo, 'repack', '-a', '-d', '-q')
    const pack = readdirSync(join(repo, '.git', 'objects', 'pack')).find((n) => n.endsWith('.pack'))!
    const packPath = join(repo, '.git', 'objects', 'pack', pack)
    rmSync(packPath.replace(/\.pack$/, '.idx'))
    git(repo, 'index-pack', '--index-version=1', packPath)
    const reader = new ObjectReader(locateRepository(repo))
    for (const [oid, expected] of allObjects(repo)) {
      const got = await reader.read(oid)
      expect(got.type).toBe(expected.type)
      expect(got.content.equals(expected.content), oid).toBe(true)
    }
    expect(await reader.read('4b825dc642cb6eb9a060e54bf8d69288fbee4904')).toEqual({
      type: 'tree',
      content: Buffer.alloc(0),
    })
    await expect(reader.read('0123456789012345678901234567890123456789')).rejects.toMatchObject({
      code: 'NotFoundError',
    })
    reader.close()
  })
})
