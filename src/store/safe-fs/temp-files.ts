import { createHash, randomUUID } from 'node:crypto'
import fs from 'node:fs/promises'
import { hostname } from 'node:os'
import { join } from 'node:path'

/**
 * Every temporary file kitty writes carries its owner in its name (`.kitty-<host>-<pid>-<uuid>`), so a
 * file that a killed process left behind is provably stale: same host, pid gone. The next command
 * sweeps those from the folders it works in; nothing else is ever removed.
 */

// On first use, not at load: reads import this module (through the store's atomic file system) and
// never write a temporary file, and hashing would load node:crypto for them.
let cachedHostTag: string | undefined
function hostTag(): string {
  return (cachedHostTag ??= createHash('sha1').update(hostname()).digest('hex').slice(0, 8))
}
const OWNED = /\.?kitty-([0-9a-f]{8})-(\d+)-[0-9a-f-]{36}/

export function ownerTag(): string {
  return `kitty-${hostTag()}-${process.pid}-${randomUUID()}`
}

/** `<path>.kitty-…<suffix>`: beside its target, so a rename into place stays on one file system. */
export function tempPathFor(path: string, suffix: '.lock' | '.tmp'): string {
  return `${path}.${ownerTag()}${suffix}`
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** True when `name` is a kitty temporary whose process, on this host, is gone. */
export function isStaleTemp(name: string): boolean {
  const m = OWNED.exec(name)
  if (!m) return false
  return m[1] === hostTag() && Number(m[2]) !== process.pid && !processAlive(Number(m[2]))
}

/** Remove the stale temporaries directly inside `dirs` (not recursive); returns the paths that went. */
export async function sweepStaleTemps(dirs: Iterable<string>): Promise<string[]> {
  const removed: string[] = []
  for (const dir of new Set(dirs)) {
    const names = await fs.readdir(dir).catch(() => [] as string[])
    for (const name of names) {
      if (!isStaleTemp(name)) continue
      await fs.rm(join(dir, name), { force: true, recursive: true }).catch(() => undefined)
      removed.push(join(dir, name))
    }
  }
  return removed
}
