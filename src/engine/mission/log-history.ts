import type { AnnotationEvent, TransitionEvent } from '../../core/status-events.ts'
import { parseEventTime } from '../../core/status-events.ts'
import type { HistoryCommit } from '../../store/history/read-history.ts'
import { readHistory } from '../../store/history/read-history.ts'
import { Snapshot } from '../../store/objects/snapshot.ts'
import type { MissionView } from '../../store/state-files/read-mission.ts'
import { MAX_EVENT_LOG_BYTES } from '../../store/state-files/limits.ts'

/**
 * Issue 21 (D4): a mission with upstream's event log has two records of its steps, kitty's commits
 * and the log's lines. Upstream writes only lines, kitty writes both, so the history of a log mission is
 * kitty's commits plus every line no kitty commit wrote. A line belongs to the kitty commit that added it
 * to the log (read against its first parent): matching by content would guess, two steps can look alike.
 */

export type LogEvent = TransitionEvent | AnnotationEvent

export interface MergedHistory {
  commits: HistoryCommit[]
  /** Event ids each kitty commit added to the log. */
  written: Map<string, string[]>
  /** When each kitty commit's step happened: its latest line's `at` (microseconds), else its commit time. */
  micros: Map<string, bigint>
  /** Log lines no kitty commit wrote (upstream's, or a hand edit), first of a repeated id only. */
  events: LogEvent[]
}

/** Event ids of a log text, read leniently: the tip's log was parsed strictly already, older ones only attribute. */
function eventIds(text: string): Set<string> {
  const ids = new Set<string>()
  for (const raw of text.split(/\r\n|\n|\r/)) {
    if (raw.trim() === '') continue
    try {
      const id = (JSON.parse(raw) as Record<string, unknown>)['event_id']
      if (typeof id === 'string') ids.add(id)
    } catch {
      // an older bad line named no id we could attribute
    }
  }
  return ids
}

class LogAtCommit {
  readonly #byBlob = new Map<string, Promise<Set<string>>>()
  readonly #snapshot: (commit: string) => Promise<Snapshot>

  constructor(snapshot: (commit: string) => Promise<Snapshot>) {
    this.#snapshot = snapshot
  }

  async ids(commit: string | null | undefined, path: string): Promise<{ blob: string | null; ids: Set<string> }> {
    if (!commit) return { blob: null, ids: new Set() }
    const snapshot = await this.#snapshot(commit)
    const blob = await snapshot.blobOid(path)
    if (!blob) return { blob: null, ids: new Set() }
    let pending = this.#byBlob.get(blob)
    if (!pending) {
      pending = snapshot.readText(path, MAX_EVENT_LOG_BYTES).then((t) => eventIds(t ?? ''))
      this.#byBlob.set(blob, pending)
    }
    return { blob, ids: await pending }
  }
}

/** `--adopt` commits lines upstream wrote: kitty's commit, not kitty's step. */
const wroteItsOwnLines = (c: HistoryCommit) => c.trailers['Kitty-Adopted'] === undefined

async function linesWrittenBy(log: LogAtCommit, commit: HistoryCommit, path: string): Promise<string[]> {
  if (!wroteItsOwnLines(commit)) return []
  const after = await log.ids(commit.commit, path)
  if (after.blob === null) return []
  const before = await log.ids(commit.parent, path)
  if (before.blob === after.blob) return []
  return [...after.ids].filter((id) => !before.ids.has(id))
}

/** Every kitty commit of `mission` along the state branch, and the log lines none of them wrote. */
export async function mergeLogHistory(snapshot: Snapshot, mission: MissionView): Promise<MergedHistory> {
  const slug = mission.identity.mission_slug
  const { matches } = await readHistory(
    snapshot.repo,
    snapshot.commit,
    (c) => c.trailers['Kitty-Mission'] === slug,
    Number.POSITIVE_INFINITY,
  )
  const written = new Map<string, string[]>()
  const micros = new Map(matches.map((c) => [c.commit, BigInt(c.timestamp) * 1_000_000n]))
  const events: LogEvent[] = []
  if (!mission.events) return { commits: matches, written, micros, events }
  const log = new LogAtCommit((commit) => Snapshot.at(snapshot.repo, commit))
  const byKitty = new Set<string>()
  for (const c of matches) {
    const ids = await linesWrittenBy(log, c, mission.events.path)
    written.set(c.commit, ids)
    for (const id of ids) byKitty.add(id)
  }
  const first = new Map<string, LogEvent>()
  const all: LogEvent[] = [...mission.events.stream.transitions, ...mission.events.stream.annotations]
  for (const e of all.sort((a, b) => a.line - b.line)) if (!first.has(e.event_id)) first.set(e.event_id, e)
  for (const e of first.values()) if (!byKitty.has(e.event_id)) events.push(e)
  // A commit's time has whole seconds; its own lines say to the microsecond when the step happened.
  for (const [commit, ids] of written) {
    const times = ids
      .map((id) => first.get(id))
      .filter((e) => e !== undefined)
      .map(eventMicros)
    if (times.length > 0)
      micros.set(
        commit,
        times.reduce((a, b) => (a > b ? a : b)),
      )
  }
  return { commits: matches, written, micros, events }
}

/** A line's `at` in microseconds since the epoch (an unreadable `at` sorts oldest). */
export function eventMicros(e: LogEvent): bigint {
  return parseEventTime(e.at) ?? 0n
}
