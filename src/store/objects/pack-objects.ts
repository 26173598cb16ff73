import { createHash } from 'node:crypto'
import { deflateSync } from 'node:zlib'
import type { ObjectReader } from './object-reader.ts'
import { hasCommit, objectReader } from './object-reader.ts'
import { parseCommit, parseTree } from './parse-objects.ts'
import type { ObjectType } from './raw-object.ts'
import type { Repository } from '../repository.ts'
import { commitsOnlyIn } from './walk-commits.ts'

/**
 * What a push must send, found by difference rather than by walking whole trees: the commits between
 * `tip` and what the remote already has, and in each of them only the trees and blobs that differ from
 * the commit's parents. The cost follows the size of the change, not of the repository.
 */

const TYPE_CODE: Record<ObjectType, number> = { commit: 1, tree: 2, blob: 3, tag: 4 }

/** A walk this long means the remote shares little with us: leave it to the general algorithm. */
const MAX_NEW_COMMITS = 2_000

export interface NewObjects {
  commits: string[]
  /** Every object to send: the new commits and the trees and blobs they introduce. */
  oids: string[]
}

/**
 * Objects reachable from `tip` but not from the commits in `known` (which the remote has, with their
 * history). Null when that cannot be told cheaply: a missing object (a shallow cache) or more than
 * MAX_NEW_COMMITS new commits; the caller then falls back to isomorphic-git's own push.
 */
export async function objectsToSend(
  repo: Repository,
  tip: string,
  known: Iterable<string>,
): Promise<NewObjects | null> {
  const reader = objectReader(repo)
  try {
    // Advertised tips the cache never fetched cannot bound the walk; the ones it has do.
    const have: string[] = []
    for (const oid of new Set(known)) if (await hasCommit(repo, oid)) have.push(oid)
    // The date-ordered walk stops at the fork point: the cost follows the new commits, not history.
    const commits = await commitsOnlyIn(repo, tip, have)
    if (commits.length > MAX_NEW_COMMITS) return null
    const out = new Set<string>()
    for (const { oid, commit } of commits) {
      out.add(oid)
      const parentTrees = await Promise.all(commit.parent.map(async (p) => (await readCommit(reader, p)).tree))
      await addTreeDifference(reader, commit.tree, parentTrees, out)
    }
    return { commits: commits.map((c) => c.oid), oids: [...out] }
  } catch {
    return null
  }
}

async function readCommit(reader: ObjectReader, oid: string) {
  const raw = await reader.read(oid)
  if (raw.type !== 'commit') throw new Error(`${oid} is a ${raw.type}, not a commit`)
  return parseCommit(raw.content)
}

/** Add `tree` and everything under it that none of `parents` (trees at the same path) holds. */
async function addTreeDifference(
  reader: ObjectReader,
  tree: string,
  parents: string[],
  out: Set<string>,
): Promise<void> {
  if (parents.includes(tree) || out.has(tree)) return
  out.add(tree)
  const parentEntries = await Promise.all(parents.map(async (p) => parseTree((await reader.read(p)).content)))
  for (const entry of parseTree((await reader.read(tree)).content)) {
    // A submodule's commit lives in another repository: never sent.
    if (entry.type === 'commit') continue
    const same = parentEntries
      .map((entries) => entries.find((e) => e.path === entry.path))
      .filter((e) => e !== undefined)
    if (same.some((e) => e.oid === entry.oid)) continue
    if (entry.type === 'blob') out.add(entry.oid)
    else
      await addTreeDifference(
        reader,
        entry.oid,
        same.filter((e) => e.type === 'tree').map((e) => e.oid),
        out,
      )
  }
}

/** A version-2 packfile of whole (undeltified) objects: what every git server accepts. */
export async function packObjects(reader: ObjectReader, oids: string[]): Promise<Buffer> {
  const header = Buffer.alloc(12)
  header.write('PACK', 0, 'latin1')
  header.writeUInt32BE(2, 4)
  header.writeUInt32BE(oids.length, 8)
  const parts: Buffer[] = [header]
  for (const oid of oids) {
    const { type, content } = await reader.read(oid)
    parts.push(objectHeader(TYPE_CODE[type], content.length), deflateSync(content))
  }
  const body = Buffer.concat(parts)
  return Buffer.concat([body, createHash('sha1').update(body).digest()])
}

function objectHeader(type: number, size: number): Buffer {
  const bytes: number[] = []
  let byte = (type << 4) | (size & 0x0f)
  let rest = Math.floor(size / 16)
  while (rest > 0) {
    bytes.push(byte | 0x80)
    byte = rest & 0x7f
    rest = Math.floor(rest / 128)
  }
  bytes.push(byte)
  return Buffer.from(bytes)
}
