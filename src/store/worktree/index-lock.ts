import fs from 'node:fs/promises'
import { join } from 'node:path'
import { isKittyError, KittyError } from '../../core/errors.ts'
import { acquireLock } from '../safe-fs/file-lock.ts'
import type { FileLock } from '../safe-fs/file-lock.ts'
import type { Repository } from '../repository.ts'
import { tempPathFor } from '../safe-fs/temp-files.ts'

/**
 * git's own lock on the index. `git commit` takes `.git/index.lock`, builds its tree from the index it
 * read and only then moves the branch; a kitty commit on the checked-out branch that updated the index
 * without that lock could land between the two, and git's commit would then write back the index it
 * read, reverting kitty's files in the user's next commit. So kitty holds the same lock from its dirty
 * check until the index records the new files, and writes the new index the way git does: into a
 * file beside it, renamed into place while the lock is held.
 */

/** git holds the lock for milliseconds; an editor-driven `git commit` can hold it for minutes. */
export const INDEX_LOCK_WAIT_MS = 3_000

export async function lockIndex(repo: Repository, waitMs = INDEX_LOCK_WAIT_MS): Promise<FileLock> {
  try {
    return await acquireLock(join(repo.gitdir, 'index'), { timeoutMs: waitMs, what: 'the git index' })
  } catch (err) {
    if (!isKittyError(err) || err.code !== 'STATE_CONFLICT') throw err
    throw new KittyError(
      'STATE_CONFLICT',
      `Another git command holds ${join(repo.gitdir, 'index.lock')} (waited ${waitMs} ms); nothing was committed. ` +
        'Retry when it has finished; if no git process is running, a crashed one left the lock: delete that file and retry.',
      { ...err.data, reason: 'index_locked' },
    )
  }
}

/**
 * Replace the index with one built by `build(path)` from a copy of it. Call only while holding
 * lockIndex: the copy is then the index as it is, and nobody can write it before the rename.
 */
export async function rewriteIndex(repo: Repository, build: (path: string) => Promise<void>): Promise<void> {
  const index = join(repo.gitdir, 'index')
  const next = tempPathFor(index, '.tmp')
  try {
    await fs.copyFile(index, next).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err
    })
    await build(next)
    await fs.rename(next, index)
  } finally {
    await fs.rm(next, { force: true })
    await fs.rm(`${next}.lock`, { force: true })
  }
}
