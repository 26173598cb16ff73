import { setTimeout as sleep } from 'node:timers/promises'
import { randomUUID } from 'node:crypto'
import fs from 'node:fs/promises'
import { hostname } from 'node:os'
import { dirname } from 'node:path'
import { KittyError } from '../../core/errors.ts'
import { currentIdentity, formatIdentity, identityAlive, parseIdentity } from './process-identity.ts'
import { processAlive, tempPathFor } from './temp-files.ts'

/**
 * Git-compatible lock files (`<file>.lock`, created with O_EXCL), usable across processes. Git CLI
 * processes honour them too. A lock left behind by a killed kitty process is recognised by its dead
 * pid and taken over, so a SIGKILL never wedges the repository. The second line names the holder's
 * boot id and process start time too: a process restarted with the dead holder's pid (PID 1 in a
 * container restarted on the same cache) sees a different start time and takes the lock over at once.
 */
export interface FileLock {
  readonly path: string
  /** True while the lock file on disk is still the one we created. */
  stillHeld(): Promise<boolean>
  release(): Promise<void>
}

const HOST = hostname()
/** A live pid can be reused after a crash; past this age even a "live" kitty lock is stale. */
const MAX_KITTY_LOCK_AGE_MS = 5 * 60_000

async function readOrNull(path: string): Promise<string | null> {
  try {
    return await fs.readFile(path, 'utf8')
  } catch {
    return null
  }
}

async function isStale(path: string, content: string): Promise<boolean> {
  const m = /^kitty-lock pid=(\d+) host=(\S+) token=\S+$/m.exec(content)
  if (!m) return false
  const stat = await fs.stat(path).catch(() => null)
  if (stat && Date.now() - stat.mtimeMs > MAX_KITTY_LOCK_AGE_MS) return true
  if (m[2] !== HOST) return false
  const holder = parseIdentity(/^kitty-process (\S+)$/m.exec(content)?.[1] ?? '')
  // A lock from before the identity line: the pid alone (and the age bound above) decide.
  if (holder?.pid === Number(m[1])) return !identityAlive(holder)
  return !processAlive(Number(m[1]))
}

/** Move a dead holder's lock aside, making sure we moved the one we judged dead. */
async function breakStaleLock(path: string, observed: string): Promise<void> {
  const tomb = tempPathFor(path.slice(0, -'.lock'.length), '.lock')
  try {
    await fs.rename(path, tomb)
  } catch {
    return
  }
  const moved = await readOrNull(tomb)
  if (moved !== observed) {
    // Someone replaced the dead lock between our read and our rename: put theirs back.
    await fs.link(tomb, path).catch(() => undefined)
  }
  await fs.rm(tomb, { force: true })
}

/**
 * Create `path` holding `content`, or report that it exists. Written beside it and hard-linked into
 * place, so a process killed mid-creation never leaves an empty lock nobody can identify. The
 * temporary name ends in `.lock`, which git ignores when it lists refs.
 */
async function createWithContent(path: string, content: string): Promise<boolean> {
  const tmp = tempPathFor(path.slice(0, -'.lock'.length), '.lock')
  await fs.writeFile(tmp, content)
  try {
    await fs.link(tmp, path)
    return true
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw err
  } finally {
    await fs.rm(tmp, { force: true })
  }
}

export interface LockOptions {
  timeoutMs?: number
  /** What to call the locked thing in the error message. */
  what?: string
}

export async function acquireLock(target: string, options: LockOptions = {}): Promise<FileLock> {
  const path = `${target}.lock`
  const content =
    `kitty-lock pid=${process.pid} host=${HOST} token=${randomUUID()}\n` +
    `kitty-process ${formatIdentity(currentIdentity())}\n`
  const deadline = Date.now() + (options.timeoutMs ?? 10_000)
  await fs.mkdir(dirname(path), { recursive: true })
  for (let attempt = 0; ; attempt++) {
    if (await createWithContent(path, content)) {
      return {
        path,
        stillHeld: async () => (await readOrNull(path)) === content,
        release: async () => {
          if ((await readOrNull(path)) === content) await fs.rm(path, { force: true })
        },
      }
    }
    const holder = await readOrNull(path)
    if (holder !== null && (await isStale(path, holder))) {
      await breakStaleLock(path, holder)
      continue
    }
    if (Date.now() > deadline) {
      const byKitty = holder?.startsWith('kitty-lock') ?? false
      throw new KittyError(
        'STATE_CONFLICT',
        `${options.what ?? target} is locked by ${byKitty ? 'another kitty command' : 'another process'} (${path}). ` +
          (byKitty ? 'Retry shortly.' : 'If no git process is running, delete the lock file and retry.'),
        { lock: path },
      )
    }
    await sleep(Math.min(2 + 2 ** Math.min(attempt, 6), 50) * (0.5 + Math.random()))
  }
}
