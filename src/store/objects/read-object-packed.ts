/**
 * Packed objects: a binary search in each pack's .idx, then one positional read of the .pack for the
 * entry (and its delta bases). Nothing is read whole: a command that needs a few dozen objects out of a
 * pack of thousands reads a few dozen entries.
 */
import fs from 'node:fs'
import { basename, join } from 'node:path'
import { applyDelta, deltaSizes } from './apply-delta.ts'
import { inflateAtMost } from './inflate-bounded.ts'
import type { ObjectType, RawObject } from './raw-object.ts'
import { MAX_OBJECT_BYTES, ObjectTooLargeError } from './raw-object.ts'

const TYPES: Record<number, ObjectType> = { 1: 'commit', 2: 'tree', 3: 'blob', 4: 'tag' }
const OFS_DELTA = 6
const REF_DELTA = 7

interface Pack {
  idx: Buffer
  version: 1 | 2
  count: number
  packPath: string
  fd: number | null
  size: number
}

/** The packs listed in `dir` (objects/pack), each with its index read and its .pack not yet opened. */
function loadPacks(dir: string): Pack[] {
  const names = fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => n.endsWith('.idx')) : []
  const packs: Pack[] = []
  for (const name of names) {
    const idx = fs.readFileSync(join(dir, name))
    const packPath = join(dir, name.replace(/\.idx$/, '.pack'))
    const size = fs.statSync(packPath, { throwIfNoEntry: false })?.size
    if (size === undefined) continue
    // Version 2 (every git since 1.5.2) starts with a magic number; version 1 is the bare fan-out table.
    const v2 = idx.readUInt32BE(0) === 0xff744f63
    if (v2 && idx.readUInt32BE(4) !== 2) continue
    const fanout = v2 ? 8 : 0
    packs.push({ idx, version: v2 ? 2 : 1, count: idx.readUInt32BE(fanout + 255 * 4), packPath, fd: null, size })
  }
  return packs
}

/** Offset of `oid` in this pack, by binary search over the sorted SHA table. */
function findInPack(pack: Pack, oid: string): number | null {
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

function packBytes(pack: Pack, offset: number, length: number): Buffer {
  pack.fd ??= fs.openSync(pack.packPath, 'r')
  const len = Math.max(0, Math.min(length, pack.size - offset))
  const buf = Buffer.allocUnsafe(len)
  const got = fs.readSync(pack.fd, buf, 0, len, offset)
  return buf.subarray(0, got)
}

/** Inflate the zlib stream at `start` whose output is `size` bytes, reading only what it needs. */
function inflateFromPack(pack: Pack, start: number, size: number): Buffer {
  for (let want = size + (size >> 6) + 64; ; want *= 2) {
    const out = inflateAtMost(packBytes(pack, start, want), size)
    if (out.length >= size || start + want >= pack.size) {
      if (out.length !== size)
        throw new Error(`packed object at ${start} inflates to ${out.length} bytes, expected ${size}`)
      return out
    }
  }
}

/**
 * The packed objects of one repository. A REF_DELTA names its base by oid, which need not be in the
 * same pack: `readExternal` (the loose objects) is asked first, as isomorphic-git's getExternalRefDelta is.
 */
export class PackedObjects {
  readonly #dir: string
  readonly #readExternal: (oid: string) => RawObject | null
  #packs: Pack[] | null = null
  readonly #byOffset = new Map<string, RawObject>()

  constructor(gitdir: string, readExternal: (oid: string) => RawObject | null) {
    this.#dir = join(gitdir, 'objects', 'pack')
    this.#readExternal = readExternal
  }

  /** The object `oid` from the first pack that holds it, or null; refused over `maxBytes`. */
  read(oid: string, maxBytes: number): RawObject | null {
    this.#packs ??= loadPacks(this.#dir)
    for (const pack of this.#packs) {
      const offset = findInPack(pack, oid)
      if (offset !== null) return this.#readAt(pack, offset, maxBytes, oid)
    }
    return null
  }

  /** A fetch within this command may have added a pack since the list was read: look once more. */
  readAfterRescan(oid: string, maxBytes: number): RawObject | null {
    const known = new Set((this.#packs ?? []).map((p) => p.packPath))
    const names = fs.existsSync(this.#dir) ? fs.readdirSync(this.#dir).filter((n) => n.endsWith('.pack')) : []
    if (names.every((n) => known.has(join(this.#dir, n)))) return null
    this.close()
    return this.read(oid, maxBytes)
  }

  /** Release file descriptors (a command opens each pack at most once). */
  close(): void {
    for (const pack of this.#packs ?? []) if (pack.fd !== null) fs.closeSync(pack.fd)
    this.#packs = null
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
    const head = packBytes(pack, offset, 32)
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
          const found = this.#readExternal(baseOid) ?? this.read(baseOid, MAX_OBJECT_BYTES)
          if (!found) throw new Error(`delta base ${baseOid} not found`)
          return found
        }
      }
      const delta = inflateFromPack(pack, offset + i, size)
      const { resultSize } = deltaSizes(delta)
      if (resultSize > maxBytes) throw new ObjectTooLargeError(what, resultSize, maxBytes)
      const from = base()
      result = { type: from.type, content: applyDelta(from.content, delta) }
    } else {
      const type = TYPES[kind]
      if (!type) throw new Error(`unknown pack object type ${kind} at ${offset}`)
      if (size > maxBytes) throw new ObjectTooLargeError(what, size, maxBytes)
      result = { type, content: inflateFromPack(pack, offset + i, size) }
    }
    this.#byOffset.set(key, result)
    return result
  }
}
