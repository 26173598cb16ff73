import fs from 'node:fs'
import { join } from 'node:path'

/**
 * Index entries of a few paths, read straight from `.git/index` without building the whole index in
 * memory: isomorphic-git parses every entry into objects, which on a 25,000-file checkout costs more
 * than the rest of a command. Understands index versions 2, 3 and 4 (prefix-compressed paths).
 */

/** An index entry's blob and the stat data git compares to decide, without reading a file, that it is unchanged. */
export interface IndexEntry {
  oid: string
  ctimeSec: number
  ctimeNsec: number
  mtimeSec: number
  mtimeNsec: number
  ino: number
  mode: number
  uid: number
  gid: number
  /** The file's size, truncated to 32 bits as the index stores it. */
  size: number
}

export interface IndexRead {
  /** path → stage-0 entry; null for an unmerged path (merge stages 1–3). */
  entries: Map<string, IndexEntry | null>
  /** When the index was written (ns): an entry modified at or after it is "racily clean" and must be re-read. */
  indexMtimeNs: bigint | null
}

function entryAt(buf: Buffer, start: number): IndexEntry {
  const u32 = (at: number) => buf.readUInt32BE(start + at)
  return {
    ctimeSec: u32(0),
    ctimeNsec: u32(4),
    mtimeSec: u32(8),
    mtimeNsec: u32(12),
    ino: u32(20),
    mode: u32(24),
    uid: u32(28),
    gid: u32(32),
    size: u32(36),
    oid: buf.toString('hex', start + 40, start + 60),
  }
}

export function readIndexEntries(gitdir: string, paths: Iterable<string>): IndexRead {
  const wanted = new Set(paths)
  const found = new Map<string, IndexEntry | null>()
  // Most entries are skipped by their name length alone (v2/v3 store it in the flags).
  const lengths = new Set([...wanted].map((p) => Math.min(Buffer.byteLength(p), 0xfff)))
  let buf: Buffer
  let indexMtimeNs: bigint
  try {
    const fd = fs.openSync(join(gitdir, 'index'), 'r')
    try {
      indexMtimeNs = fs.fstatSync(fd, { bigint: true }).mtimeNs
      buf = fs.readFileSync(fd)
    } finally {
      fs.closeSync(fd)
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { entries: found, indexMtimeNs: null }
    throw err
  }
  if (buf.length < 12 || buf.toString('latin1', 0, 4) !== 'DIRC') throw new Error('not a git index')
  const version = buf.readUInt32BE(4)
  if (version < 2 || version > 4) throw new Error(`unsupported index version ${version}`)
  const count = buf.readUInt32BE(8)
  let offset = 12
  let previous = ''
  for (let n = 0; n < count && found.size < wanted.size; n++) {
    const start = offset
    const flags = buf.readUInt16BE(start + 60)
    const stage = (flags >> 12) & 3
    offset = start + 62 + (version >= 3 && flags & 0x4000 ? 2 : 0)
    let path: string
    if (version === 4) {
      let strip = 0
      let byte: number
      do {
        byte = buf[offset++]!
        strip = (strip << 7) | (byte & 0x7f)
        if (byte & 0x80) strip++
      } while (byte & 0x80)
      const end = buf.indexOf(0, offset)
      path = previous.slice(0, previous.length - strip) + buf.toString('utf8', offset, end)
      offset = end + 1
    } else {
      const nameLength = flags & 0xfff
      const end = nameLength < 0xfff ? offset + nameLength : buf.indexOf(0, offset)
      // v2/v3 entries are NUL-padded to a multiple of eight bytes.
      const next = start + ((end - start + 8) & ~7)
      if (!lengths.has(Math.min(end - offset, 0xfff))) {
        offset = next
        continue
      }
      path = buf.toString('utf8', offset, end)
      offset = next
    }
    previous = path
    if (wanted.has(path)) found.set(path, stage === 0 && found.get(path) !== null ? entryAt(buf, start) : null)
  }
  return { entries: found, indexMtimeNs }
}
