import fs from 'node:fs'
import { join } from 'node:path'
import { branchNameProblem } from '../../core/branch-name.ts'
import { KittyError } from '../../core/errors.ts'
import type { Repository } from '../repository.ts'

/**
 * Refs read as git's files backend stores them: a loose file under the gitdir, else a line of
 * `packed-refs`; a file holding `ref: <name>`, or a symlink to `refs/…`, is a symbolic ref and is
 * followed. Every command resolves HEAD and its state branch; doing it here rather than through
 * isomorphic-git's resolveRef spares a read the loading of isomorphic-git (~160 KiB to compile).
 *
 * Names are exact: isomorphic-git also tried `refs/tags/<ref>`, `refs/heads/<ref>` and more for a full
 * name, so a missing `refs/heads/x` could resolve to `refs/heads/refs/heads/x`, and a compare-and-swap
 * (update-ref.ts) would compare against a ref other than the file it replaces.
 */

/** git's SYMREF_MAXDEPTH: it reads at most this many refs for one name, the last one an object id. */
const MAX_SYMREF_DEPTH = 5
/** An object id, as git parses a loose ref: 40 hex digits, then the end or whitespace. */
const LOOSE_OID = /^([0-9a-f]{40})(?:\s|$)/
const SYMREF = /^ref:\s*(\S+)\s*$/

/** A ref name kitty was asked to read that git could not hold: a caller's bug, refused before any path is built. */
export class InvalidRefNameError extends KittyError {
  constructor(ref: string, problem: string) {
    super('USAGE_ERROR', `'${ref}' is not a valid ref name: it ${problem}`, { ref })
    this.name = 'InvalidRefNameError'
  }
}

/** A ref whose file holds neither an object id nor a symbolic ref, or a loop of symbolic refs. */
export class BrokenRefError extends KittyError {
  constructor(repo: Repository, ref: string, reason: string) {
    super(
      'INTERNAL_ERROR',
      `The ref ${ref} in ${repo.gitdir} cannot be read: ${reason}. Inspect it with git show-ref and git fsck.`,
      { ref },
    )
    this.name = 'BrokenRefError'
  }
}

/** Why `ref` cannot be a ref name (`HEAD` or `refs/…` by git's rules), or null. */
export function refNameProblem(ref: string): string | null {
  if (ref === 'HEAD') return null
  if (!ref.startsWith('refs/')) return "is neither HEAD nor under 'refs/'"
  return branchNameProblem(ref.slice('refs/'.length))
}

type Loose = { oid: string } | { target: string } | null

/**
 * The loose ref file, without following a symlink to a file elsewhere (O_NOFOLLOW; fstat, so a FIFO
 * or a device planted there is never read). Absent, or a directory (`refs/heads/a` when only `a/b`
 * exists): null.
 */
function readLoose(repo: Repository, ref: string): Loose {
  const path = join(repo.gitdir, ref)
  let fd: number
  try {
    fd = fs.openSync(path, fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0) | (fs.constants.O_NONBLOCK ?? 0))
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return null
    if (code === 'ELOOP') return symlinkTarget(repo, ref, path)
    throw err
  }
  try {
    const stat = fs.fstatSync(fd)
    if (stat.isDirectory()) return null
    if (!stat.isFile()) throw new BrokenRefError(repo, ref, 'it is not a regular file')
    return parseLoose(repo, ref, fs.readFileSync(fd, 'utf8'))
  } finally {
    fs.closeSync(fd)
  }
}

/** A symlinked loose ref is a symbolic ref when it names one (git's old symlink refs); else refused. */
function symlinkTarget(repo: Repository, ref: string, path: string): Loose {
  const target = fs.readlinkSync(path)
  if (target.startsWith('refs/') && refNameProblem(target) === null) return { target }
  throw new BrokenRefError(repo, ref, `it is a symbolic link to ${target}, not a ref`)
}

function parseLoose(repo: Repository, ref: string, text: string): Loose {
  // An empty file falls through to packed-refs, as isomorphic-git read it.
  if (text.trim() === '') return null
  const oid = LOOSE_OID.exec(text)?.[1]
  if (oid) return { oid }
  // No leading whitespace before `ref:`: git calls such a file broken.
  const target = SYMREF.exec(text)?.[1]
  if (target !== undefined && refNameProblem(target) === null) return { target }
  throw new BrokenRefError(repo, ref, 'it holds neither an object id nor a symbolic ref')
}

/** `packed-refs` as ref name → object id (comments and `^` peeled-tag lines skipped). */
export function readPackedRefs(repo: Repository): Map<string, string> {
  const refs = new Map<string, string>()
  let text: string
  try {
    text = fs.readFileSync(join(repo.gitdir, 'packed-refs'), 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return refs
    throw err
  }
  for (const line of text.split('\n')) {
    const m = /^([0-9a-f]{40}) (\S+)\s*$/.exec(line)
    if (m) refs.set(m[2]!, m[1]!)
  }
  return refs
}

/** What `ref` holds: loose first, then packed-refs (where git writes refs it packs). */
function lookUp(repo: Repository, ref: string, packed: { refs?: Map<string, string> }): Loose {
  const loose = readLoose(repo, ref)
  if (loose) return loose
  packed.refs ??= readPackedRefs(repo)
  const oid = packed.refs.get(ref)
  return oid ? { oid } : null
}

function assertRefName(ref: string): void {
  const problem = refNameProblem(ref)
  if (problem !== null) throw new InvalidRefNameError(ref, problem)
}

/** The commit a ref points at, symbolic refs followed; null when it does not exist (an unborn branch). */
export async function readRef(repo: Repository, ref: string): Promise<string | null> {
  assertRefName(ref)
  const packed: { refs?: Map<string, string> } = {}
  const seen: string[] = []
  for (let name = ref; ; ) {
    const chain = () => [...seen, name].join(' → ')
    if (seen.includes(name)) throw new BrokenRefError(repo, ref, `its symbolic refs go round (${chain()})`)
    if (seen.length >= MAX_SYMREF_DEPTH)
      throw new BrokenRefError(repo, ref, `its symbolic refs go deeper than git follows them (${chain()})`)
    seen.push(name)
    const found = lookUp(repo, name, packed)
    if (found === null) return null
    if ('oid' in found) return found.oid
    name = found.target
  }
}

/**
 * The ref a symbolic ref names, without following it further (`refs/heads/main` for HEAD on main); null
 * when `ref` holds an object id (a detached HEAD) or does not exist.
 */
export async function readSymbolicRef(repo: Repository, ref: string): Promise<string | null> {
  assertRefName(ref)
  const found = readLoose(repo, ref)
  return found !== null && 'target' in found ? found.target : null
}

/** Short names of every branch, loose and packed, sorted. */
export async function listBranches(repo: Repository): Promise<string[]> {
  const names = new Set<string>()
  const walk = (dir: string, prefix: string): void => {
    let entries: fs.Dirent[]
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true })
    } catch {
      return
    }
    for (const e of entries) {
      if (e.isDirectory()) walk(join(dir, e.name), `${prefix}${e.name}/`)
      else if (refNameProblem(`refs/heads/${prefix}${e.name}`) === null) names.add(`${prefix}${e.name}`)
    }
  }
  walk(join(repo.gitdir, 'refs', 'heads'), '')
  for (const ref of readPackedRefs(repo).keys()) if (ref.startsWith('refs/heads/')) names.add(ref.slice(11))
  return [...names].sort()
}
