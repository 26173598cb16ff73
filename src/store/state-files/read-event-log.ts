import { isUtf8 } from 'node:buffer'
import { EventLogInvalidError } from '../../core/errors.ts'
import type { ReducedLog } from '../../core/reduce-status-events.ts'
import { reduceStatusEvents } from '../../core/reduce-status-events.ts'
import type { EventStream } from '../../core/status-events.ts'
import { EVENT_LOG_FILE, parseEventLog, STATUS_JSON_FILE } from '../../core/status-events.ts'
import { MAX_EVENT_LOG_BYTES, MAX_STATUS_JSON_BYTES } from './limits.ts'
import type { Snapshot, TreeEntry } from '../objects/snapshot.ts'

/** A mission's upstream event log as of one snapshot, parsed and reduced once. */
export interface MissionEvents {
  path: string
  text: string
  statusPath: string
  /** The committed status.json, or null when there is none (or it is not a regular file). */
  statusText: string | null
  stream: EventStream
  reduced: ReducedLog
}

function decode(bytes: Uint8Array, path: string): string {
  if (!isUtf8(bytes)) throw new EventLogInvalidError(path, 1, 'the file is not valid UTF-8 text')
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')
}

/**
 * The event log of the mission at `missionPath`, or null when it has none: such a mission is
 * frontmatter-only, exactly as before. A log that is a link, not UTF-8, or has a bad line is refused
 * (EVENT_LOG_INVALID) rather than read in part.
 */
export async function readMissionEvents(
  snapshot: Snapshot,
  missionPath: string,
  entries: TreeEntry[],
): Promise<MissionEvents | null> {
  const log = entries.find((e) => e.path === EVENT_LOG_FILE)
  if (!log) return null
  const path = `${missionPath}/${EVENT_LOG_FILE}`
  if (log.type !== 'blob' || log.mode === '120000')
    throw new EventLogInvalidError(path, 1, 'it is not a regular file (a link or a directory)')
  const bytes = await snapshot.readBytes(path, MAX_EVENT_LOG_BYTES)
  const text = bytes === null ? '' : decode(bytes, path)
  const stream = parseEventLog(text, path)
  const statusPath = `${missionPath}/${STATUS_JSON_FILE}`
  const status = entries.find((e) => e.path === STATUS_JSON_FILE && e.type === 'blob' && e.mode !== '120000')
  const statusBytes = status ? await snapshot.readBytes(statusPath, MAX_STATUS_JSON_BYTES).catch(() => null) : null
  const statusText = statusBytes && isUtf8(statusBytes) ? Buffer.from(statusBytes).toString('utf8') : null
  return { path, text, statusPath, statusText, stream, reduced: reduceStatusEvents(stream) }
}
