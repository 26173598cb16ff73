import { UsageError } from '../../core/errors.ts'
import type { HistoryCommit } from '../../store/history/read-history.ts'
import { readHistory } from '../../store/history/read-history.ts'
import type { MissionView } from '../../store/state-files/read-mission.ts'
import type { CommandSpec } from '../framework/command-spec.ts'
import { commandMeta } from '../framework/command-meta.ts'
import { loadMission } from '../mission/load-mission.ts'
import type { LogEvent } from '../mission/log-history.ts'
import { eventMicros, mergeLogHistory } from '../mission/log-history.ts'
import type { Snapshot } from '../../store/objects/snapshot.ts'
import type { Request } from '../framework/request.ts'
import { optionalString, optionalWpId } from '../framework/request.ts'
import { readTip } from '../mission/state-branch.ts'
import { identityOf } from '../mission/workspace.ts'

function count(req: Request, name: string, fallback: number, max: number): number {
  const raw = optionalString(req, name)
  if (raw === undefined) return fallback
  if (!/^\d+$/.test(raw) || Number(raw) > max)
    throw new UsageError(`Option '--${name}' must be a whole number up to ${max}.`)
  return Number(raw)
}

export const history: CommandSpec = {
  ...commandMeta('orchestrator-api', 'history'),
  async run(ctx, req) {
    const limit = count(req, 'limit', 50, 1000)
    const offset = count(req, 'offset', 0, 1_000_000)
    const snapshot = await readTip(ctx)
    const handle = optionalString(req, 'mission')
    const mission = handle === undefined ? null : await loadMission(snapshot, handle)
    // `--wp WP1` names the mission's WP001 when that is the one WP numbered 1 (ids stay as written).
    const asked = optionalWpId(req)
    const wp = asked !== undefined && mission ? mission.resolveWpId(asked) : asked
    const actor = optionalString(req, 'actor')
    const filter = { slug: mission?.identity.mission_slug, wp, actor }
    const base = { ...(mission ? identityOf(mission) : {}), branch: ctx.branch.branch, limit, offset }
    if (mission?.events) return { ...base, ...(await logMissionPage(snapshot, mission, filter, offset, limit)) }
    const { matches, exhausted } = await readHistory(
      ctx.repo,
      snapshot.commit,
      (c) => commitMatches(c, filter),
      offset + limit + 1,
    )
    const page = matches.slice(offset, offset + limit)
    return {
      ...base,
      has_more: matches.length > offset + limit || (!exhausted && matches.length >= offset + limit + 1),
      entries: page.map((c) => commitEntry(c)),
    }
  },
}

interface Filter {
  slug: string | undefined
  wp: string | undefined
  actor: string | undefined
}

function commitMatches({ trailers: t }: HistoryCommit, f: Filter): boolean {
  return (
    (f.slug === undefined || t['Kitty-Mission'] === f.slug) &&
    (f.wp === undefined || t['Kitty-WP'] === f.wp) &&
    (f.actor === undefined || t['Kitty-Actor'] === f.actor)
  )
}

function commitEntry({ commit, timestamp, subject, trailers: t }: HistoryCommit, eventIds?: string[]) {
  return {
    commit,
    timestamp: new Date(timestamp * 1000).toISOString().replace('.000Z', 'Z'),
    subject,
    command: t['Kitty-Command'] ?? null,
    mission_slug: t['Kitty-Mission'] ?? null,
    mission_id: t['Kitty-Mission-Id'] ?? null,
    wp_id: t['Kitty-WP'] ?? null,
    from_lane: t['Kitty-From'] ?? null,
    to_lane: t['Kitty-To'] ?? null,
    actor: t['Kitty-Actor'] ?? null,
    correlation_id: t['Kitty-Correlation-Id'] ?? null,
    force: t['Kitty-Force'] === 'true',
    review_ref: t['Kitty-Review-Ref'] ?? null,
    delivery: t['Kitty-Delivery'] ?? null,
    ...(eventIds ? { source: 'kitty-commit', event_ids: eventIds } : {}),
  }
}

function eventSubject(e: LogEvent): string {
  if (e.kind === 'transition') return `${e.wp_id}: ${e.from_lane} -> ${e.to_lane} (event log)`
  return `${e.wp_id}: annotation ${Object.keys(e.delta).sort().join(', ')} (event log)`
}

/** A line of upstream's log no kitty commit wrote: shaped as a commit entry, with no commit. */
function eventEntry(e: LogEvent, mission: MissionView) {
  const transition = e.kind === 'transition' ? e : null
  return {
    commit: null,
    timestamp: e.at,
    subject: eventSubject(e),
    command: null,
    mission_slug: mission.identity.mission_slug,
    mission_id: mission.identity.mission_id,
    wp_id: e.wp_id,
    from_lane: transition?.from_lane ?? null,
    to_lane: transition?.to_lane ?? null,
    actor: e.actor,
    correlation_id: null,
    force: transition?.force ?? false,
    review_ref: transition?.review_ref ?? null,
    delivery: null,
    source: 'event-log',
    event_id: e.event_id,
    event_kind: e.kind,
    ...(transition ? {} : { delta: (e as Extract<LogEvent, { kind: 'annotation' }>).delta }),
  }
}

/**
 * A log mission's history (issue 21, D4): kitty's commits and the log lines no kitty commit wrote, newest
 * first by when each step happened. Every kitty commit of the mission is read, whatever the filter, since
 * a line is upstream's only if none of them wrote it.
 */
async function logMissionPage(snapshot: Snapshot, mission: MissionView, f: Filter, offset: number, limit: number) {
  const merged = await mergeLogHistory(snapshot, mission)
  type Row = { at: bigint; order: number; entry: Record<string, unknown> }
  const rows: Row[] = []
  merged.commits.forEach((c, i) => {
    if (commitMatches(c, f))
      rows.push({ at: merged.micros.get(c.commit)!, order: i, entry: commitEntry(c, merged.written.get(c.commit)) })
  })
  // The log is oldest first; a negative order keeps later lines first among equal times.
  merged.events.forEach((e, i) => {
    if ((f.wp === undefined || e.wp_id === f.wp) && (f.actor === undefined || e.actor === f.actor))
      rows.push({ at: eventMicros(e), order: -i, entry: eventEntry(e, mission) })
  })
  rows.sort((a, b) => (a.at !== b.at ? (a.at > b.at ? -1 : 1) : a.order - b.order))
  return {
    has_more: rows.length > offset + limit,
    entries: rows.slice(offset, offset + limit).map((r) => r.entry),
  }
}
