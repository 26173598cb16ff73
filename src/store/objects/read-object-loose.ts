/**
 * A loose object is one zlib file, `objects/<2>/<38>`, holding `<type> <size>\0<content>`. Its size is
 * read from that header before the content is inflated, so a few compressed megabytes that would
 * inflate to gigabytes are refused without being inflated.
 */
import fs from 'node:fs'
import { join } from 'node:path'
import { constants, inflateSync } from 'node:zlib'
import { compressBound, inflateAtMost } from './inflate-bounded.ts'
import type { ObjectType, RawObject } from './raw-object.ts'
import { ObjectTooLargeError } from './raw-object.ts'

interface LooseHeader {
  type: ObjectType
  size: number
  /** Bytes of `<type> <size>\0`. */
  length: number
}

/** Longer than any `<type> <size>\0` header. */
const HEADER_MAX = 64

/**
 * Loose files up to this size are read and inflated in one go (bounded by the limit): almost every
 * state object is one, and a second inflate just for the header would double the cost of a read.
 */
const SMALL_LOOSE_FILE = 16 * 1024

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
 * The loose object `oid` of the repository at `gitdir`, or null when no loose file holds it; refused
 * with ObjectTooLargeError when it holds more than `maxBytes`.
 */
export function readObjectLoose(gitdir: string, oid: string, maxBytes: number): RawObject | null {
  let fd: number
  try {
    fd = fs.openSync(join(gitdir, 'objects', oid.slice(0, 2), oid.slice(2)), 'r')
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
