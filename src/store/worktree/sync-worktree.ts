import { createHash } from 'node:crypto'
import fsSync from 'node:fs'
import fs from 'node:fs/promises'
import { hostname } from 'node:os'
import { dirname, join } from 'node:path'
import { KittyError } from '../../core/errors.ts'
import type { Repository } from '../repository.ts'
import { readRef } from '../repository.ts'
import { hasGitBinary, runGit } from './git-worktree.ts'
import { isomorphicGit } from '../isomorphic-git.ts'
import { lockIndex, rewriteIndex } from './index-lock.ts'
import { objectReader } from '../objects/object-reader.ts'
import type { EolConversion } from './eol.ts'
import { eolConversion, lazyEolConversion } from './eol.ts'
import type { IndexEntry } from './read-index.ts'
import { readIndexEntries } from './read-index.ts'
import { Snapshot } from '../objects/snapshot.ts'
import { sweepStaleTemps, tempPathFor } from '../safe-fs/temp-files.ts'
import { lstatOrNull, makeRealDirs, symlinkAlong, symlinkInWorktreeError } from './workdir-path.ts'

/**
 * Keeping the checked-out branch's files in step with the commits we write: refuse when a file we are
 * about to change has uncommitted edits, and afterwards write the new content and its index entry.
 * A journal written before the ref moves lets the next command finish a sync that a crash cut short.
 */

function blobOidOf(content: Uint8Array): string {
  const hash = createHash('sha1')
  hash.update(`blob ${content.byteLength}\0`)
  hash.update(content)
  return hash.digest('hex')
}

/**
 * The blob git would store for the working-tree entry at `path`: a link's target, a file's content
 * after the checkout's line-ending conversion (`reference` is the blob the index holds there, which
 * that conversion consults). Null when there is no file or link there.
 */
async function workdirOid(
  repo: Repository,
  path: string,
  eol: () => Promise<EolConversion>,
  reference: string | null,
): Promise<string | null> {
  const full = join(repo.workdir!, path)
  const stat = await lstatOrNull(full)
  if (stat?.isSymbolicLink()) return blobOidOf(await fs.readlink(full, { encoding: 'buffer' }))
  if (!stat?.isFile()) return null
  const content = await fs.readFile(full)
  const indexBlob = async () => (reference ? (await objectReader(repo).read(reference)).content : null)
  return blobOidOf(await (await eol()).toGit(path, content, indexBlob))
}

/**
 * git's own shortcut: a file whose stat data is what the index recorded when it was written is the
 * index's blob, unread. An entry modified at or after the index was written is "racily clean" (it may
 * have changed within the same tick) and must be read.
 */
function statMatchesIndex(entry: IndexEntry, stat: fsSync.BigIntStats, indexMtimeNs: bigint | null): boolean {
  const mtime = BigInt(entry.mtimeSec) * 1_000_000_000n + BigInt(entry.mtimeNsec)
  if (indexMtimeNs === null || indexMtimeNs <= mtime) return false
  const u32 = (n: bigint) => Number(BigInt.asUintN(32, n))
  const sec = (ns: bigint) => u32(ns / 1_000_000_000n)
  const nsec = (ns: bigint) => Number(ns % 1_000_000_000n)
  return (
    entry.mtimeSec === sec(stat.mtimeNs) &&
    entry.mtimeNsec === nsec(stat.mtimeNs) &&
    entry.ctimeSec === sec(stat.ctimeNs) &&
    entry.ctimeNsec === nsec(stat.ctimeNs) &&
    entry.size === u32(stat.size) &&
    entry.ino === u32(stat.ino) &&
    entry.uid === u32(stat.uid) &&
    entry.gid === u32(stat.gid) &&
    (entry.mode & 0o170000) === (Number(stat.mode) & 0o170000)
  )
}

/**
 * Paths whose working-tree file or index entry differs from the snapshot's blob, as `git status` sees
 * it: the index entry must hold the committed blob, and the file must match it by stat data or, when
 * that differs, by content after the line-ending conversion git would apply (core.autocrlf, eol and
 * text attributes): a CRLF checkout of an LF blob is clean. A link where a file was committed (or
 * the other way round) is a change.
 */
export async function findDirtyPaths(repo: Repository, snapshot: Snapshot, paths: string[]): Promise<string[]> {
  const workdir = repo.workdir
  if (!workdir || paths.length === 0) return []
  const index = readIndexEntries(repo.gitdir, paths)
  const eol = lazyEolConversion(repo.gitdir, workdir, paths)
  const dirty: string[] = []
  for (const path of paths) {
    const entry = await snapshot.entry(path)
    const committed = entry && entry.type === 'blob' ? entry : null
    const staged = index.entries.get(path) ?? null
    if ((staged?.oid ?? null) !== (committed?.oid ?? null)) {
      dirty.push(path)
      continue
    }
    const stat = await lstatOrNull(join(workdir, path))
    if (!committed || !stat) {
      if (committed || stat) dirty.push(path)
      continue
    }
    const isLink = committed.mode === '120000'
    if (isLink !== stat.isSymbolicLink() || (!isLink && !stat.isFile())) dirty.push(path)
    else if (staged && statMatchesIndex(staged, stat, index.indexMtimeNs)) continue
    else if ((await workdirOid(repo, path, eol, committed.oid)) !== committed.oid) dirty.push(path)
  }
  return dirty
}

/**
 * Of `paths`, those whose working-tree file already holds exactly the blob `next` commits there: an
 * uncommitted edit the commit adopts (upstream spec-kitty's unstaged event log) loses nothing.
 */
export async function pathsAdoptedBy(repo: Repository, next: Snapshot, paths: string[]): Promise<Set<string>> {
  const adopted = new Set<string>()
  if (!repo.workdir || paths.length === 0) return adopted
  const eol = lazyEolConversion(repo.gitdir, repo.workdir, paths)
  for (const path of paths) {
    const entry = await next.entry(path)
    if (!entry || entry.type !== 'blob' || entry.mode === '120000') continue
    if ((await workdirOid(repo, path, eol, entry.oid)) === entry.oid) adopted.add(path)
  }
  return adopted
}

export function worktreeDirtyError(paths: string[]): KittyError {
  return new KittyError(
    'WORKTREE_DIRTY',
    `Uncommitted changes in ${paths.join(', ')}. Commit or stash them, then retry; nothing was changed.`,
    { paths },
  )
}

/** Remove directories a deletion left empty, as git does (never the working tree's root). */
async function pruneEmptyParents(workdir: string, path: string): Promise<void> {
  for (let dir = dirname(path); dir !== '.' && dir !== ''; dir = dirname(dir)) {
    try {
      await fs.rmdir(join(workdir, dir))
    } catch {
      return
    }
  }
}

/** Write one committed file into the working tree (atomically for regular files), with its mode. */
async function writeWorkdirEntry(workdir: string, path: string, mode: string, content: Buffer): Promise<void> {
  const target = join(workdir, path)
  // The dirty check refused links already; this holds even if one appeared since.
  await makeRealDirs(workdir, dirname(path))
  if (mode === '120000') {
    await fs.rm(target, { force: true, recursive: true })
    await fs.symlink(content.toString('utf8'), target)
    return
  }
  const tmp = tempPathFor(target, '.tmp')
  await fs.writeFile(tmp, content, { mode: mode === '100755' ? 0o755 : 0o644 })
  // rename() replaces a file or link in one step, so the path always holds the old or the new content,
  // even if this process dies here; only a directory in the way has to go first.
  if ((await lstatOrNull(target))?.isDirectory()) await fs.rm(target, { force: true, recursive: true })
  await fs.rename(tmp, target)
}

/**
 * Bring the given paths of the working tree and index to the content they have in `snapshot`: the
 * files written from the commit's blobs (modes and symlinks included), then their index entries
 * refreshed in one write. Objects are read through the object reader, so a sync costs what its files
 * cost, whatever the size of the repository. The caller has made sure those paths hold no one's edits.
 */
export async function syncPaths(repo: Repository, snapshot: Snapshot, paths: string[]): Promise<void> {
  const workdir = repo.workdir
  if (!workdir || paths.length === 0) return
  const present: { path: string; mode: string; oid: string }[] = []
  const absent: string[] = []
  for (const path of paths) {
    const entry = await snapshot.entry(path)
    if (entry && entry.type === 'blob') present.push({ path, mode: entry.mode, oid: entry.oid })
    else absent.push(path)
  }
  // Deletions first: a file may give way to a directory of the same name.
  for (const path of absent) {
    const link = await symlinkAlong(workdir, path)
    if (link !== null) throw await symlinkInWorktreeError(workdir, [link], [path])
    await fs.rm(join(workdir, path), { force: true })
  }
  for (const path of absent) await pruneEmptyParents(workdir, path)
  const eol =
    present.length > 0
      ? await eolConversion(
          repo.gitdir,
          workdir,
          present.map((p) => p.path),
        )
      : null
  for (const { path, mode, oid } of present) {
    const blob = (await objectReader(repo).read(oid)).content
    // What git's checkout would write (CRLF under core.autocrlf=true), so `git status` stays clean.
    await writeWorkdirEntry(workdir, path, mode, Buffer.from(mode === '120000' ? blob : eol!.toWorktree(path, blob)))
  }
  await refreshIndex(repo, workdir, [...present.map((p) => p.path), ...absent])
}

/**
 * Record the synced files in the index; the caller holds git's index lock (lockIndex). git's own
 * `update-index`, pointed at a copy of the index, rewrites a large index in milliseconds and keeps
 * every extension valid; without git, isomorphic-git does it (slower on big checkouts, same result).
 */
async function refreshIndex(repo: Repository, workdir: string, paths: string[]): Promise<void> {
  if (await hasGitBinary()) {
    await rewriteIndex(repo, async (indexFile) => {
      await runGit(workdir, ['update-index', '--add', '--remove', '-z', '--stdin'], 30_000, `${paths.join('\0')}\0`, {
        GIT_INDEX_FILE: indexFile,
      })
    })
    return
  }
  const git = await isomorphicGit()
  const common = { fs: repo.fs, dir: workdir, gitdir: repo.gitdir, cache: repo.cache }
  const present = paths.filter((p) => fsSync.existsSync(join(workdir, p)))
  if (present.length > 0) await git.add({ ...common, filepath: present, force: true })
  for (const path of paths) if (!present.includes(path)) await git.remove({ ...common, filepath: path })
}

export interface SyncJournal {
  ref: string
  from: string | null
  to: string
  paths: string[]
  pid: number
  host: string
}

function journalDir(repo: Repository): string {
  return join(repo.gitdir, 'kitty', 'pending-sync')
}

export async function writeJournal(repo: Repository, entry: Omit<SyncJournal, 'pid' | 'host'>): Promise<string> {
  const dir = journalDir(repo)
  await fs.mkdir(dir, { recursive: true })
  const path = join(dir, `${entry.to}.json`)
  const tmp = tempPathFor(path, '.tmp')
  await fs.writeFile(tmp, JSON.stringify({ ...entry, pid: process.pid, host: hostname() }))
  await fs.rename(tmp, path)
  return path
}

export async function removeJournal(path: string): Promise<void> {
  await fs.rm(path, { force: true })
}

/**
 * Finish syncs that a killed process left half done, and sweep the temporary files it left. Must run
 * while holding the worktree lock, so every journal found belongs to a process that is gone. A path is
 * only rewritten when it still holds the pre-commit content; anything else is someone's edit and is
 * left alone. A sync that fails again is kept for the next command and reported, never fatal: the
 * command at hand refuses only if it touches those very files (they then look edited).
 */
export async function recoverJournals(repo: Repository): Promise<string[]> {
  const dir = journalDir(repo)
  const names = await fs.readdir(dir).catch(() => [] as string[])
  const warnings: string[] = []
  for (const name of names) {
    const path = join(dir, name)
    if (!name.endsWith('.json')) {
      await fs.rm(path, { force: true })
      continue
    }
    let journal: SyncJournal
    try {
      journal = JSON.parse(await fs.readFile(path, 'utf8')) as SyncJournal
    } catch {
      await fs.rm(path, { force: true })
      continue
    }
    try {
      await finishJournal(repo, journal)
      await fs.rm(path, { force: true })
    } catch (err) {
      warnings.push(unsyncedWarning(journal.paths, err, 'An earlier command'))
    }
  }
  return warnings
}

async function finishJournal(repo: Repository, journal: SyncJournal): Promise<void> {
  const swept = repo.workdir ? await sweepStaleTemps(journal.paths.map((p) => dirname(join(repo.workdir!, p)))) : []
  // A journaled path with a swept temporary of its own (`<path>.kitty-…`) was being written when the process died.
  const midWrite = new Set(journal.paths.filter((p) => swept.some((t) => t.startsWith(`${join(repo.workdir!, p)}.`))))
  const tip = await readRef(repo, journal.ref)
  if (tip === null || tip === journal.from) return
  const before = await Snapshot.at(repo, journal.from)
  const now = await Snapshot.at(repo, tip)
  const stale: string[] = []
  const eol = lazyEolConversion(repo.gitdir, repo.workdir!, journal.paths)
  for (const p of journal.paths) {
    const old = await before.blobOid(p)
    const onDisk = repo.workdir ? await workdirOid(repo, p, eol, old) : null
    // Missing beside the dead process's own temporary: it died between making way and renaming in.
    if (onDisk === old || onDisk === (await now.blobOid(p)) || (onDisk === null && midWrite.has(p))) stale.push(p)
  }
  const index = await lockIndex(repo)
  try {
    await syncPaths(repo, now, stale)
  } finally {
    await index.release()
  }
}

/** The warning for files a landed commit changed but the working tree does not show yet. */
export function unsyncedWarning(paths: readonly string[], err: unknown, who = 'The commit'): string {
  // git's own words are its last stderr line; a warning is one line.
  const stderr = String((err as { stderr?: string }).stderr ?? '')
    .trim()
    .split('\n')
    .at(-1)
  const reason = (stderr || (err instanceof Error ? err.message : String(err))).replace(/\s+/g, ' ').trim()
  return (
    `${who} landed, but the working tree and index were not updated (${reason}). ` +
    `The next kitty command retries; or run: git checkout HEAD -- ${paths.map((p) => `'${p}'`).join(' ')}`
  )
}
