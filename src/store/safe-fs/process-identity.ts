import { readFileSync } from 'node:fs'

/**
 * Who a process is, beyond its pid: the kernel's boot id plus the process's start time (clock ticks
 * since boot, /proc/<pid>/stat field 22). A pid is reused after a crash (PID 1 in every fresh container,
 * small fixed pids under npm), so "pid alive" alone mistakes the restarted process for the dead one;
 * the start time of the pid's current process tells them apart. Off Linux both parts are empty and
 * liveness falls back to the pid alone.
 */

export interface ProcessIdentity {
  bootId: string
  pid: number
  startTime: string
}

function readOr(path: string, fallback: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return fallback
  }
}

const BOOT_ID = readOr('/proc/sys/kernel/random/boot_id', '').trim()

/** Field 22 of /proc/<pid>/stat; the command name (field 2) may hold spaces and parentheses, so split after its last ')'. */
export function processStartTime(pid: number): string | null {
  const stat = readOr(`/proc/${pid}/stat`, '')
  const close = stat.lastIndexOf(')')
  if (close < 0) return null
  return stat.slice(close + 2).split(' ')[19] ?? null
}

function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

export function currentIdentity(): ProcessIdentity {
  return { bootId: BOOT_ID, pid: process.pid, startTime: processStartTime(process.pid) ?? '' }
}

/** `boot/pid/start`: one token, no spaces, safe in a lock file line or a database column. */
export function formatIdentity(id: ProcessIdentity): string {
  return `${id.bootId || '-'}/${id.pid}/${id.startTime || '-'}`
}

export function parseIdentity(text: string): ProcessIdentity | null {
  const m = /^([^/\s]+)\/(\d+)\/([^/\s]+)$/.exec(text)
  if (!m) return null
  return { bootId: m[1] === '-' ? '' : m[1]!, pid: Number(m[2]), startTime: m[3] === '-' ? '' : m[3]! }
}

/** True only while the very process `id` names runs: same boot, pid present, same start time when both are known. */
export function identityAlive(id: ProcessIdentity): boolean {
  if (id.bootId && BOOT_ID && id.bootId !== BOOT_ID) return false
  if (!pidExists(id.pid)) return false
  if (!id.startTime) return true
  const now = processStartTime(id.pid)
  return now === null || now === id.startTime
}
