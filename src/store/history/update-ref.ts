import fs from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { acquireLock } from '../safe-fs/file-lock.ts'
import type { Repository } from '../repository.ts'
import { readRef } from '../repository.ts'
import { tempPathFor } from '../safe-fs/temp-files.ts'

export interface RefUpdate {
  ref: string
  /** What the ref must still point at; null means it must not exist yet. */
  expected: string | null
  next: string
  /** Reflog identity and message, as git writes them. */
  who: string
  message: string
}

const ZERO = '0'.repeat(40)

/**
 * Compare-and-swap a branch: under `<ref>.lock`, move the ref only if it still points at `expected`.
 * Returns false when it moved (the caller re-reads, re-validates and retries). The new value is
 * written to a temporary file and renamed into place, so a reader never sees a torn ref.
 */
export async function compareAndSwapRef(repo: Repository, update: RefUpdate): Promise<boolean> {
  const refPath = join(repo.gitdir, update.ref)
  const lock = await acquireLock(refPath, { what: update.ref })
  try {
    const current = await readRef(repo, update.ref)
    if (current !== update.expected) return false
    const tmp = tempPathFor(join(repo.gitdir, 'kitty-ref'), '.tmp')
    await fs.writeFile(tmp, `${update.next}\n`)
    await fs.mkdir(dirname(refPath), { recursive: true })
    if (!(await lock.stillHeld())) {
      await fs.rm(tmp, { force: true })
      return false
    }
    await fs.rename(tmp, refPath)
    await appendReflog(repo, update)
    return true
  } finally {
    await lock.release()
  }
}

async function appendReflog(repo: Repository, update: RefUpdate): Promise<void> {
  const logPath = join(repo.gitdir, 'logs', update.ref)
  const exists = await fs.stat(logPath).then(
    () => true,
    () => false,
  )
  // Git keeps reflogs for branches of non-bare repositories; we follow whatever it set up.
  if (!exists && repo.workdir === null) return
  const seconds = Math.floor(Date.now() / 1000)
  const line = `${update.expected ?? ZERO} ${update.next} ${update.who} ${seconds} +0000\t${update.message.split('\n')[0]}\n`
  await fs.mkdir(dirname(logPath), { recursive: true })
  await fs.appendFile(logPath, line)
}
