import fs from 'node:fs'
import { join } from 'node:path'
import { constants, inflateSync } from 'node:zlib'
import git from 'isomorphic-git'
import type { Repository } from './repository.ts'

/**
 * Reads git objects the way a command that needs a few dozen of them should: a loose object is one
 * small file; a packed one is a binary search in the pack's .idx and one positional read of the .pack.
 *
 * Why not isomorphic-git's reader: on a cold process it reads the whole packfile into memory, checks
 * its SHA-1 and parses the entire index into a Map before returning the first object — 86 MB and
 * ~400 ms on a 20,000-commit repository, whatever the command asks for. Writes still go through
 * isomorphic-git; anything this reader cannot find (alternates, odd layouts) falls back to it.
 */
export type ObjectType = 'commit' | 'tree' | 'blob' | 'tag'

export interface RawObject {
  type: ObjectType
  content: Buffer
}

const TYPES: Record<number, ObjectType> = { 1: 'commit', 2: 'tree', 3: 'blob', 4: 'tag' }
const OFS_DELTA = 6
const REF_DELTA = 7
const SYNC_FLUSH = { finishFlush: constants.Z_SYNC_FLUSH }

interface Pack {
  idx: Buffer
  count: number
  packPath: string
  fd: number | null
  size: number
}

function inflateAtMost(data: Buffer): Buffer {
  // Sync flush: a chunk that stops mid-stream yields what it holds instead of throwing.
  return inflateSync(data, SYNC_FLUSH)
}

/** Apply a git delta (copy/insert instructions) to its base. */
export function applyDelta(base: Buffer, delta: Buffer): Buffer {
  let i = 0
  const varint = (): number => {
    let value = 0
    let shift = 0
    let byte: number
    do {
      byte = delta[i++]!
      value += (byte & 0x7f) * 2 ** shift
      shift += 7
    } while (byte & 0x80)
    return value
  }
  const sourceSize = varint()
  if (sourceSize !== base.length) throw new Error('delta base size mismatch')
  const out = Buffer.allocUnsafe(varint())
  let o = 0
  while (i < delta.length) {
    const op = delta[i++]!
    if (op & 0x80) {
      let offset = 0
      let size = 0
      for (let b = 0; b < 4; b++) if (op & (1 << b)) offset += delta[i++]! * 2 ** (8 * b)
      for (let b = 0; b < 3; b++) if (op & (0x10 << b)) size += delta[i++]! * 2 ** (8 * b)
      if (size === 0) size = 0x10000
      base.copy(out, o, offset, offset + size)
      o += size
    } else if (op > 0) {
      delta.copy(out, o, i, i + op)
      i += op
      o += op
    } else throw new Error('invalid delta opcode 0')
  }
  if (o !== out.length) throw new Error('delta result size mismatch')
  return out
}

export class ObjectReader {
  readonly #repo: Repository
  #packs: Pack[] | null = null
  readonly #byOffset = new Map<string, RawObject>()

  constructor(repo: Repository) {
    this.#repo = repo
  }

  async read(oid: string): Promise<RawObject> {
    return this.#loose(oid) ?? this.#packed(oid) ?? this.#packedAfterRescan(oid) ?? (await this.#fallback(oid))
  }

  /** A fetch within this command may have added a pack since the list was read: look once more. */
  #packedAfterRescan(oid: string): RawObject | null {
    const dir = join(this.#repo.gitdir, 'objects', 'pack')
    const known = new Set((this.#packs ?? []).map((p) => p.packPath))
    const names = fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => n.endsWith('.pack')) : []
    if (names.every((n) => known.has(join(dir, n)))) return null
    this.close()
    return this.#packed(oid)
  }

  /** Release file descriptors (a command opens each pack at most once). */
  close(): void {
    for (const pack of this.#packs ?? []) if (pack.fd !== null) fs.closeSync(pack.fd)
    this.#packs = null
  }

  #loose(oid: string): RawObject | null {
    let data: Buffer
    try {
      data = inflateSync(fs.readFileSync(join(this.#repo.gitdir, 'objects', oid.slice(0, 2), oid.slice(2))))
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
      throw err
    }
    const nul = data.indexOf(0)
    const type = data.subarray(0, data.indexOf(0x20)).toString() as ObjectType
    return { type, content: data.subarray(nul + 1) }
  }

  #loadPacks(): Pack[] {
    if (this.#packs) return this.#packs
    const dir = join(this.#repo.gitdir, 'objects', 'pack')
    const names = fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => n.endsWith('.idx')) : []
    this.#packs = []
    for (const name of names) {
      const idx = fs.readFileSync(join(dir, name))
      // Only version-2 indexes (every git since 1.5.2 writes them); others go to the fallback.
      if (idx.readUInt32BE(0) !== 0xff744f63 || idx.readUInt32BE(4) !== 2) continue
      const packPath = join(dir, name.replace(/\.idx$/, '.pack'))
      const size = fs.statSync(packPath, { throwIfNoEntry: false })?.size
      if (size === undefined) continue
      this.#packs.push({ idx, count: idx.readUInt32BE(8 + 255 * 4), packPath, fd: null, size })
    }
    return this.#packs
  }

  /** Offset of `oid` in this pack, by binary search over the sorted SHA table. */
  #find(pack: Pack, oid: string): number | null {
    const want = Buffer.from(oid, 'hex')
    const first = want[0]!
    let lo = first === 0 ? 0 : pack.idx.readUInt32BE(8 + (first - 1) * 4)
    let hi = pack.idx.readUInt32BE(8 + first * 4)
    const shaBase = 8 + 256 * 4
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      const cmp = want.compare(pack.idx, shaBase + mid * 20, shaBase + mid * 20 + 20)
      if (cmp === 0) {
        const offsetBase = shaBase + pack.count * 24
        const small = pack.idx.readUInt32BE(offsetBase + mid * 4)
        if (!(small & 0x80000000)) return small
        const large = offsetBase + pack.count * 4 + (small & 0x7fffffff) * 8
        return Number(pack.idx.readBigUInt64BE(large))
      }
      if (cmp > 0) lo = mid + 1
      else hi = mid
    }
    return null
  }

  #packed(oid: string): RawObject | null {
    for (const pack of this.#loadPacks()) {
      const offset = this.#find(pack, oid)
      if (offset !== null) return this.#readAt(pack, offset)
    }
    return null
  }

  #bytes(pack: Pack, offset: number, length: number): Buffer {
    pack.fd ??= fs.openSync(pack.packPath, 'r')
    const len = Math.max(0, Math.min(length, pack.size - offset))
    const buf = Buffer.allocUnsafe(len)
    const got = fs.readSync(pack.fd, buf, 0, len, offset)
    return buf.subarray(0, got)
  }

  /** Inflate the zlib stream at `start` whose output is `size` bytes, reading only what it needs. */
  #inflate(pack: Pack, start: number, size: number): Buffer {
    for (let want = size + (size >> 6) + 64; ; want *= 2) {
      const out = inflateAtMost(this.#bytes(pack, start, want))
      if (out.length >= size || start + want >= pack.size) {
        if (out.length !== size) throw new Error(`packed object at ${start} inflates to ${out.length} bytes, expected ${size}`)
        return out
      }
    }
  }

  #readAt(pack: Pack, offset: number): RawObject {
    const key = `${pack.packPath}:${offset}`
    const cached = this.#byOffset.get(key)
    if (cached) return cached
    const head = this.#bytes(pack, offset, 32)
    let i = 0
    let byte = head[i++]!
    const kind = (byte >> 4) & 7
    let size = byte & 15
    for (let shift = 4; byte & 0x80; shift += 7) {
      byte = head[i++]!
      size += (byte & 0x7f) * 2 ** shift
    }
    let result: RawObject
    if (kind === OFS_DELTA) {
      byte = head[i++]!
      let back = byte & 0x7f
      while (byte & 0x80) {
        byte = head[i++]!
        back = (back + 1) * 128 + (byte & 0x7f)
      }
      const base = this.#readAt(pack, offset - back)
      result = { type: base.type, content: applyDelta(base.content, this.#inflate(pack, offset + i, size)) }
    } else if (kind === REF_DELTA) {
      const baseOid = head.subarray(i, i + 20).toString('hex')
      const base = this.#loose(baseOid) ?? this.#packed(baseOid)
      if (!base) throw new Error(`delta base ${baseOid} not found`)
      result = { type: base.type, content: applyDelta(base.content, this.#inflate(pack, offset + i + 20, size)) }
    } else {
      const type = TYPES[kind]
      if (!type) throw new Error(`unknown pack object type ${kind} at ${offset}`)
      result = { type, content: this.#inflate(pack, offset + i, size) }
    }
    this.#byOffset.set(key, result)
    return result
  }

  async #fallback(oid: string): Promise<RawObject> {
    const { type, object } = await git.readObject({ fs: this.#repo.fs, gitdir: this.#repo.gitdir, oid, cache: this.#repo.cache, format: 'content' })
    return { type: type as ObjectType, content: Buffer.from(object as Uint8Array) }
  }
}

/** Whether the repository holds `oid` as a commit (false when it has no such object). */
export async function hasCommit(repo: Repository, oid: string): Promise<boolean> {
  return objectReader(repo)
    .read(oid)
    .then(
      (o) => o.type === 'commit',
      () => false,
    )
}

const readers = new WeakMap<object, ObjectReader>()

/** The reader of one repository for one command (keyed by its isomorphic-git cache object). */
export function objectReader(repo: Repository): ObjectReader {
  let reader = readers.get(repo.cache)
  if (!reader) {
    reader = new ObjectReader(repo)
    readers.set(repo.cache, reader)
  }
  return reader
}

export interface TreeItem {
  mode: string
  path: string
  oid: string
  type: 'blob' | 'tree' | 'commit'
}

/** Tree object → entries, modes normalised to six digits as isomorphic-git reports them. */
export function parseTree(content: Buffer): TreeItem[] {
  const entries: TreeItem[] = []
  let i = 0
  while (i < content.length) {
    const space = content.indexOf(0x20, i)
    const nul = content.indexOf(0, space)
    const mode = content.subarray(i, space).toString().padStart(6, '0')
    const path = content.subarray(space + 1, nul).toString('utf8')
    const oid = content.subarray(nul + 1, nul + 21).toString('hex')
    const type = mode === '040000' ? 'tree' : mode === '160000' ? 'commit' : 'blob'
    entries.push({ mode, path, oid, type })
    i = nul + 21
  }
  return entries
}

interface Person {
  name: string
  email: string
  timestamp: number
  timezoneOffset: number
}

/** A commit as isomorphic-git's `readCommit` reports it (same fields, same quirks). */
export interface CommitObject {
  tree: string
  parent: string[]
  author: Person
  committer: Person
  message: string
  gpgsig?: string
  [header: string]: unknown
}

function parsePerson(value: string): Person {
  const m = /^(.*) <(.*)> (.*) (.*)$/.exec(value)
  if (!m) return { name: value, email: '', timestamp: 0, timezoneOffset: 0 }
  const tz = /([+-])(\d\d)(\d\d)/.exec(m[4]!)
  const minutes = tz ? (tz[1] === '+' ? 1 : -1) * (Number(tz[2]) * 60 + Number(tz[3])) : 0
  // isomorphic-git reports offsets as Date#getTimezoneOffset does: UTC+1 is -60.
  return { name: m[1]!, email: m[2]!, timestamp: Number(m[3]), timezoneOffset: minutes === 0 ? 0 : -minutes }
}

/**
 * Parse a commit the way git (and isomorphic-git) read it: `tree` first, then the run of `parent`
 * lines right after it; for any other header the first occurrence wins; continuation lines (a leading
 * space, as in `gpgsig`) join the header above.
 */
export function parseCommitObject(content: Buffer): CommitObject {
  const text = content.toString('utf8')
  const cut = text.indexOf('\n\n')
  const headers: string[] = []
  for (const line of (cut === -1 ? text : text.slice(0, cut)).split('\n')) {
    if (line.startsWith(' ') && headers.length > 0) headers[headers.length - 1] += `\n${line.slice(1)}`
    else headers.push(line)
  }
  const key = (h: string) => h.slice(0, h.indexOf(' '))
  const value = (h: string) => h.slice(h.indexOf(' ') + 1)
  if (headers.length === 0 || key(headers[0]!) !== 'tree') throw new Error('commit does not start with a tree header')
  const out: Record<string, unknown> = { tree: value(headers[0]!), parent: [] as string[] }
  let i = 1
  for (; i < headers.length && key(headers[i]!) === 'parent'; i++) (out['parent'] as string[]).push(value(headers[i]!))
  const seen = new Set(['tree', 'parent'])
  for (; i < headers.length; i++) {
    const k = key(headers[i]!)
    if (seen.has(k)) continue
    seen.add(k)
    out[k] = k === 'author' || k === 'committer' ? parsePerson(value(headers[i]!)) : value(headers[i]!)
  }
  out['message'] = cut === -1 ? '' : text.slice(cut + 2)
  return out as CommitObject
}

export interface CommitInfo {
  tree: string
  parents: string[]
  committerTimestamp: number
  message: string
}

export function parseCommit(content: Buffer): CommitInfo {
  const commit = parseCommitObject(content)
  return { tree: commit.tree, parents: commit.parent, committerTimestamp: commit.committer?.timestamp ?? 0, message: commit.message }
}
