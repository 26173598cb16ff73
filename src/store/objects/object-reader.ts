import fs from 'node:fs'
import { basename, join } from 'node:path'
import { constants, inflateSync } from 'node:zlib'
import { KittyError } from '../../core/errors.ts'
import type { Repository } from '../repository.ts'

/**
 * Reads git objects the way a command that needs a few dozen of them should: a loose object is one
 * small file; a packed one is a binary search in the pack's .idx and one positional read of the .pack.
 *
 * Why not isomorphic-git's reader: on a cold process it reads the whole packfile into memory, checks
 * its SHA-1 and parses the entire index into a Map before returning the first object — 86 MB and
 * ~400 ms on a 20,000-commit repository, whatever the command asks for. Writes still go through
 * isomorphic-git.
 *
 * Every read is bounded: an object's size is known before it is inflated (the loose header, the pack
 * entry header, a delta's result-size header), so a blob of gigabytes of zeros that compresses to a
 * few megabytes is refused with INPUT_TOO_LARGE without ever being inflated.
 */
export type ObjectType = 'commit' | 'tree' | 'blob' | 'tag'

export interface RawObject {
  type: ObjectType
  content: Buffer
}

const TYPES: Record<number, ObjectType> = { 1: 'commit', 2: 'tree', 3: 'blob', 4: 'tag' }
const OFS_DELTA = 6
const REF_DELTA = 7
const EMPTY_TREE_OID = '4b825dc642cb6eb9a060e54bf8d69288fbee4904'

/**
 * The largest object any read inflates: commits, trees, and blobs read for merges, worktree syncs and
 * pushes. State files get much smaller limits (store/state-files/limits.ts); this one only keeps a hostile object
 * from taking the process's memory.
 */
export const MAX_OBJECT_BYTES = 256 * 1024 * 1024

/** A missing object, shaped as isomorphic-git's NotFoundError, which callers test for (a shallow boundary). */
export class ObjectNotFoundError extends Error {
  readonly code = 'NotFoundError'

  constructor(oid: string) {
    super(`Could not find ${oid}.`)
    this.name = 'NotFoundError'
  }
}

/** An object whose header declares more bytes than the reader was allowed to inflate. */
export class ObjectTooLargeError extends KittyError {
  readonly size: number
  readonly limit: number

  constructor(what: string, size: number, limit: number) {
    super('INPUT_TOO_LARGE', `Git object ${what} is ${size} bytes, over the ${limit}-byte limit`, {
      object: what,
      size_bytes: size,
      limit_bytes: limit,
    })
    this.name = 'ObjectTooLargeError'
    this.size = size
    this.limit = limit
  }
}

interface Pack {
  idx: Buffer
  version: 1 | 2
  count: number
  packPath: string
  fd: number | null
  size: number
}

/**
 * Inflate what `data` holds of a zlib stream, producing at most `maxOutput` bytes. Sync flush: a chunk
 * that stops mid-stream yields what it holds instead of throwing; the output bound turns a stream that
 * is longer than its header said into an error instead of an allocation.
 */
function inflateAtMost(data: Buffer, maxOutput: number): Buffer {
  try {
    return inflateSync(data, { finishFlush: constants.Z_SYNC_FLUSH, maxOutputLength: Math.max(1, maxOutput) })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new Error(
        `corrupt object: its zlib stream inflates to more than the ${maxOutput} bytes its header declares`,
      )
    }
    throw err
  }
}

/** zlib's compressBound: the most a stream of `n` bytes can take compressed. */
function compressBound(n: number): number {
  return n + (n >> 12) + (n >> 14) + (n >> 25) + 13
}

interface LooseHeader {
  type: ObjectType
  size: number
  /** Bytes of `<type> <size>\0`. */
  length: number
}

/** Longer than any `<type> <size>\0` header. */
const HEADER_MAX = 64

/** Parse the header at the start of inflated loose-object bytes; null when they do not hold all of it yet. */
function parseLooseHeader(head: Buffer): LooseHeader | null {
  const nul = head.subarray(0, HEADER_MAX).indexOf(0)
  if (nul === -1) {
    if (head.length >= HEADER_MAX) throw new Error('corrupt loose object header')
    return null
  }
  const m = /^(commit|tree|blob|tag) (\d+)$/.exec(head.subarray(0, nul).toString('latin1'))
  if (!m) throw new Error('corrupt loose object header')
  return { type: m[1] as ObjectType, size: Number(m[2]), length: nul + 1 }
}

/** The header of a loose object, read by inflating only a prefix of the file. */
function readLooseHeader(fd: number, fileSize: number): LooseHeader {
  // A few hundred compressed bytes always hold the header, and inflating a prefix of n bytes yields
  // at most ~1032·n bytes whatever the stream holds.
  for (let want = 256; ; want *= 8) {
    const prefix = Buffer.allocUnsafe(Math.min(want, fileSize))
    const got = fs.readSync(fd, prefix, 0, prefix.length, 0)
    const header = parseLooseHeader(inflateSync(prefix.subarray(0, got), { finishFlush: constants.Z_SYNC_FLUSH }))
    if (header) return header
    if (got >= fileSize) throw new Error('corrupt loose object header')
  }
}

/**
 * A small loose file, inflated whole but never past `maxBytes` of content; null when it holds more, so
 * the caller reads the header to say how much.
 */
function inflateSmallLoose(fd: number, fileSize: number, maxBytes: number): Buffer | null {
  const file = Buffer.allocUnsafe(fileSize)
  const got = fs.readSync(fd, file, 0, fileSize, 0)
  try {
    return inflateSync(file.subarray(0, got), { maxOutputLength: maxBytes + HEADER_MAX })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') return null
    throw err
  }
}

/** A loose file of any size: its header first, and nothing inflated if that declares too much. */
function inflateLoose(fd: number, fileSize: number, oid: string, maxBytes: number): Buffer {
  const header = readLooseHeader(fd, fileSize)
  if (header.size > maxBytes) throw new ObjectTooLargeError(oid, header.size, maxBytes)
  const total = header.length + header.size
  if (fileSize > compressBound(total) + HEADER_MAX)
    throw new Error(`corrupt loose object ${oid}: ${fileSize} bytes compressed for ${total} inflated`)
  const file = Buffer.allocUnsafe(fileSize)
  const got = fs.readSync(fd, file, 0, fileSize, 0)
  return inflateAtMost(file.subarray(0, got), total)
}

/**
 * Loose files up to this size are read and inflated in one go (bounded by the limit): almost every
 * state object is one, and a second inflate just for the header would double the cost of a read.
 */
const SMALL_LOOSE_FILE = 16 * 1024

/** A git delta's two header varints (base size, result size) and where its instructions start. */
function deltaHeader(delta: Buffer): { baseSize: number; resultSize: number; start: number } {
  let i = 0
  const varint = (): number => {
    let value = 0
    let shift = 0
    let byte: number
    do {
      if (i >= delta.length) throw new Error('truncated delta header')
      byte = delta[i++]!
      value += (byte & 0x7f) * 2 ** shift
      shift += 7
    } while (byte & 0x80)
    return value
  }
  const baseSize = varint()
  const resultSize = varint()
  return { baseSize, resultSize, start: i }
}

/** A git delta's two header varints: the base size it expects and the size of what it produces. */
export function deltaSizes(delta: Buffer): { baseSize: number; resultSize: number } {
  const { baseSize, resultSize } = deltaHeader(delta)
  return { baseSize, resultSize }
}

/** Apply a git delta (copy/insert instructions) to its base. */
export function applyDelta(base: Buffer, delta: Buffer): Buffer {
  const header = deltaHeader(delta)
  if (header.baseSize !== base.length) throw new Error('delta base size mismatch')
  const out = Buffer.allocUnsafe(header.resultSize)
  let i = header.start
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

  /**
   * The object `oid`, refused with INPUT_TOO_LARGE (ObjectTooLargeError) when it holds more than
   * `maxBytes`: the size is read from the object's header, before anything is inflated.
   */
  async read(oid: string, maxBytes = MAX_OBJECT_BYTES): Promise<RawObject> {
    const found =
      this.#loose(oid, maxBytes) ??
      this.#packed(oid, maxBytes) ??
      this.#packedAfterRescan(oid, maxBytes) ??
      this.#builtIn(oid)
    // A cached read (a delta base) may have been inflated under a larger limit.
    if (found.content.length > maxBytes) throw new ObjectTooLargeError(oid, found.content.length, maxBytes)
    return found
  }

  /** A fetch within this command may have added a pack since the list was read: look once more. */
  #packedAfterRescan(oid: string, maxBytes: number): RawObject | null {
    const dir = join(this.#repo.gitdir, 'objects', 'pack')
    const known = new Set((this.#packs ?? []).map((p) => p.packPath))
    const names = fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => n.endsWith('.pack')) : []
    if (names.every((n) => known.has(join(dir, n)))) return null
    this.close()
    return this.#packed(oid, maxBytes)
  }

  /** Release file descriptors (a command opens each pack at most once). */
  close(): void {
    for (const pack of this.#packs ?? []) if (pack.fd !== null) fs.closeSync(pack.fd)
    this.#packs = null
  }

  #loose(oid: string, maxBytes: number): RawObject | null {
    let fd: number
    try {
      fd = fs.openSync(join(this.#repo.gitdir, 'objects', oid.slice(0, 2), oid.slice(2)), 'r')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
      throw err
    }
    try {
      const fileSize = fs.fstatSync(fd).size
      const data =
        (fileSize <= SMALL_LOOSE_FILE ? inflateSmallLoose(fd, fileSize, maxBytes) : null) ??
        inflateLoose(fd, fileSize, oid, maxBytes)
      const header = parseLooseHeader(data)
      if (!header) throw new Error(`corrupt loose object ${oid}: no header`)
      if (header.size > maxBytes) throw new ObjectTooLargeError(oid, header.size, maxBytes)
      if (data.length !== header.length + header.size) {
        throw new Error(
          `corrupt loose object ${oid}: ${data.length - header.length} bytes inflated, header says ${header.size}`,
        )
      }
      return { type: header.type, content: data.subarray(header.length) }
    } finally {
      fs.closeSync(fd)
    }
  }

  #loadPacks(): Pack[] {
    if (this.#packs) return this.#packs
    const dir = join(this.#repo.gitdir, 'objects', 'pack')
    const names = fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => n.endsWith('.idx')) : []
    this.#packs = []
    for (const name of names) {
      const idx = fs.readFileSync(join(dir, name))
      const packPath = join(dir, name.replace(/\.idx$/, '.pack'))
      const size = fs.statSync(packPath, { throwIfNoEntry: false })?.size
      if (size === undefined) continue
      // Version 2 (every git since 1.5.2) starts with a magic number; version 1 is the bare fan-out table.
      const v2 = idx.readUInt32BE(0) === 0xff744f63
      if (v2 && idx.readUInt32BE(4) !== 2) continue
      const fanout = v2 ? 8 : 0
      this.#packs.push({
        idx,
        version: v2 ? 2 : 1,
        count: idx.readUInt32BE(fanout + 255 * 4),
        packPath,
        fd: null,
        size,
      })
    }
    return this.#packs
  }

  /** Offset of `oid` in this pack, by binary search over the sorted SHA table. */
  #find(pack: Pack, oid: string): number | null {
    const want = Buffer.from(oid, 'hex')
    const first = want[0]!
    const fanout = pack.version === 2 ? 8 : 0
    let lo = first === 0 ? 0 : pack.idx.readUInt32BE(fanout + (first - 1) * 4)
    let hi = pack.idx.readUInt32BE(fanout + first * 4)
    // v1 entries are <4-byte offset><sha>; v2 keeps the SHAs in one table and the offsets in another.
    const shaBase = pack.version === 2 ? 8 + 256 * 4 : 256 * 4 + 4
    const stride = pack.version === 2 ? 20 : 24
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      const at = shaBase + mid * stride
      const cmp = want.compare(pack.idx, at, at + 20)
      if (cmp === 0) {
        if (pack.version === 1) return pack.idx.readUInt32BE(at - 4)
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

  #packed(oid: string, maxBytes: number): RawObject | null {
    for (const pack of this.#loadPacks()) {
      const offset = this.#find(pack, oid)
      if (offset !== null) return this.#readAt(pack, offset, maxBytes, oid)
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
      const out = inflateAtMost(this.#bytes(pack, start, want), size)
      if (out.length >= size || start + want >= pack.size) {
        if (out.length !== size)
          throw new Error(`packed object at ${start} inflates to ${out.length} bytes, expected ${size}`)
        return out
      }
    }
  }

  /**
   * The object at `offset`, whose result may hold at most `maxBytes`. A delta's base is read under the
   * general bound: it may legitimately be larger than what it is the base of.
   */
  #readAt(pack: Pack, offset: number, maxBytes: number, oid: string | null): RawObject {
    const key = `${pack.packPath}:${offset}`
    const cached = this.#byOffset.get(key)
    if (cached) return cached
    const what = oid ?? `at ${basename(pack.packPath)}:${offset}`
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
    if (kind === OFS_DELTA || kind === REF_DELTA) {
      // For a delta the entry's size is the delta's; what it produces is in the delta's own header.
      if (size > MAX_OBJECT_BYTES) throw new ObjectTooLargeError(what, size, MAX_OBJECT_BYTES)
      let base: () => RawObject
      if (kind === OFS_DELTA) {
        byte = head[i++]!
        let back = byte & 0x7f
        while (byte & 0x80) {
          byte = head[i++]!
          back = (back + 1) * 128 + (byte & 0x7f)
        }
        base = () => this.#readAt(pack, offset - back, MAX_OBJECT_BYTES, null)
      } else {
        const baseOid = head.subarray(i, i + 20).toString('hex')
        i += 20
        base = () => {
          const found = this.#loose(baseOid, MAX_OBJECT_BYTES) ?? this.#packed(baseOid, MAX_OBJECT_BYTES)
          if (!found) throw new Error(`delta base ${baseOid} not found`)
          return found
        }
      }
      const delta = this.#inflate(pack, offset + i, size)
      const { resultSize } = deltaSizes(delta)
      if (resultSize > maxBytes) throw new ObjectTooLargeError(what, resultSize, maxBytes)
      const from = base()
      result = { type: from.type, content: applyDelta(from.content, delta) }
    } else {
      const type = TYPES[kind]
      if (!type) throw new Error(`unknown pack object type ${kind} at ${offset}`)
      if (size > maxBytes) throw new ObjectTooLargeError(what, size, maxBytes)
      result = { type, content: this.#inflate(pack, offset + i, size) }
    }
    this.#byOffset.set(key, result)
    return result
  }

  /**
   * Objects no file holds. The empty tree is one git answers for without storing it; anything else is
   * missing. (isomorphic-git's reader is no fallback: it inflates whole objects, unbounded, and knows
   * no layout this one does not.)
   */
  #builtIn(oid: string): RawObject {
    if (oid === EMPTY_TREE_OID) return { type: 'tree', content: Buffer.alloc(0) }
    throw new ObjectNotFoundError(oid)
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
  return {
    tree: commit.tree,
    parents: commit.parent,
    committerTimestamp: commit.committer?.timestamp ?? 0,
    message: commit.message,
  }
}
