import { createHash } from 'node:crypto'
import fs from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { deflateSync } from 'node:zlib'
import type { TreeEntry } from 'isomorphic-git'
import type { Repository } from '../repository.ts'
import { writeFileAtomic } from '../safe-fs/atomic-fs.ts'

/**
 * Loose objects written byte for byte as isomorphic-git's writeBlob, writeTree and writeCommit wrote
 * them, so every id stays what it was (test/store/objects/write-object.test.ts holds the two equal),
 * without loading isomorphic-git: a local commit is a few blobs, the trees above them and one commit,
 * and isomorphic-git is ~160 KiB to compile on every mutation. Written through the repository's atomic
 * file system (a temporary file renamed into place), and skipped when a loose copy is already there.
 */

export type ObjectKind = 'blob' | 'tree' | 'commit'

/** The object's id, the SHA-1 of `<kind> <size>\0<content>`, and that text deflated. */
function encode(kind: ObjectKind, content: Uint8Array): { oid: string; deflated: Uint8Array } {
  const wrapped = Buffer.concat([Buffer.from(`${kind} ${content.byteLength}\0`), content])
  return { oid: createHash('sha1').update(wrapped).digest('hex'), deflated: deflateSync(wrapped) }
}

async function exists(path: string): Promise<boolean> {
  try {
    await fs.stat(path)
    return true
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') return false
    throw err
  }
}

export async function writeObject(repo: Repository, kind: ObjectKind, content: Uint8Array): Promise<string> {
  const { oid, deflated } = encode(kind, content)
  const path = join(repo.gitdir, 'objects', oid.slice(0, 2), oid.slice(2))
  if (await exists(path)) return oid
  await fs.mkdir(dirname(path), { recursive: true })
  await writeFileAtomic(path, deflated)
  return oid
}

export function writeBlob(repo: Repository, content: Uint8Array): Promise<string> {
  return writeObject(repo, 'blob', content)
}

/** isomorphic-git's modes: any spelling of a directory, file, executable, link or submodule, as six digits. */
function normalMode(mode: string): string {
  if (/^0?4/.test(mode)) return '040000'
  if (/^1006/.test(mode)) return '100644'
  if (/^1007/.test(mode)) return '100755'
  if (/^120/.test(mode)) return '120000'
  if (/^160/.test(mode)) return '160000'
  throw new Error(`Could not understand file mode: ${mode}`)
}

/** Directories sort as if their name ended in '/' (git's order; compared as JavaScript strings, as isomorphic-git does). */
function sortKey(entry: { mode: string; path: string }): string {
  return entry.mode === '040000' ? `${entry.path}/` : entry.path
}

/** A tree object's bytes: `<mode> <name>\0<20-byte id>` per entry, in git's order, modes without a leading 0. */
export function treeContent(entries: readonly Pick<TreeEntry, 'mode' | 'path' | 'oid'>[]): Uint8Array {
  const normal = entries.map((e) => ({ ...e, mode: normalMode(e.mode) }))
  normal.sort((a, b) => {
    const ka = sortKey(a)
    const kb = sortKey(b)
    return ka < kb ? -1 : ka > kb ? 1 : 0
  })
  return Buffer.concat(
    normal.flatMap((e) => [Buffer.from(`${e.mode.replace(/^0/, '')} ${e.path}\0`, 'utf8'), Buffer.from(e.oid, 'hex')]),
  )
}

export function writeTree(
  repo: Repository,
  entries: readonly Pick<TreeEntry, 'mode' | 'path' | 'oid'>[],
): Promise<string> {
  return writeObject(repo, 'tree', treeContent(entries))
}

export interface Person {
  name: string
  email: string
  /** Seconds since the epoch. */
  timestamp: number
  /** Minutes, as Date#getTimezoneOffset counts them: UTC+1 is -60. */
  timezoneOffset: number
}

export interface CommitObject {
  message: string
  /** Null or absent: the empty tree. */
  tree?: string | null
  parent: readonly string[]
  author: Person
  committer?: Person | undefined
}

/** `+0100` for an offset of -60, `+0000` for 0 and `-0000` for -0 (isomorphic-git's formatTimezoneOffset). */
function timezone(offset: number): string {
  const east = offset === 0 ? offset : -offset
  const sign = Math.sign(east) || (Object.is(east, -0) ? -1 : 1)
  const minutes = Math.abs(offset)
  const hours = Math.floor(minutes / 60)
  const rest = minutes - hours * 60
  return `${sign === -1 ? '-' : '+'}${String(hours).padStart(2, '0')}${String(rest).padStart(2, '0')}`
}

function person(p: Person): string {
  return `${p.name} <${p.email}> ${p.timestamp} ${timezone(p.timezoneOffset)}`
}

/** The message as isomorphic-git stored it: no carriage returns, no leading blank lines, exactly one final newline. */
function normalMessage(message: string): string {
  return `${message.replace(/\r/g, '').replace(/^\n+/, '').replace(/\n+$/, '')}\n`
}

/** A commit object's text (no signature: kitty never signs). */
export function commitContent(commit: CommitObject): string {
  const lines = [`tree ${commit.tree || '4b825dc642cb6eb9a060e54bf8d69288fbee4904'}`]
  for (const parent of commit.parent) lines.push(`parent ${parent}`)
  lines.push(`author ${person(commit.author)}`, `committer ${person(commit.committer ?? commit.author)}`)
  return `${lines.join('\n')}\n\n${normalMessage(commit.message)}`
}

export function writeCommit(repo: Repository, commit: CommitObject): Promise<string> {
  return writeObject(repo, 'commit', Buffer.from(commitContent(commit), 'utf8'))
}
