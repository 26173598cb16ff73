import { monotonicFactory } from 'ulid'
import { compareWpIds } from '../../core/dependency-graph.ts'
import type { Lane } from '../../core/lanes.ts'
import type { Policy } from '../../core/policy.ts'
import type { ReducedLog, WpState } from '../../core/reduce-status-events.ts'
import { displayLane, materializeStatusJson, reduceStatusEvents } from '../../core/reduce-status-events.ts'
import type { Evidence, ReviewResult } from '../../core/review.ts'
import type { EventLane, NewTransition } from '../../core/status-events.ts'
import {
  formatAnnotation,
  formatTransition,
  parseEventLog,
  parseEventTime,
  pythonIsoUtc,
} from '../../core/status-events.ts'
import { tasksMdWorkPackages } from '../../core/tasks-md-work-packages.ts'
import type { WorkPackage } from '../../core/work-package.ts'
import type { MissionEvents } from '../../store/state-files/read-event-log.ts'
import type { MissionView } from '../../store/state-files/read-mission.ts'
import type { EngineContext } from '../framework/context.ts'
import { retiredKeyWarnings } from '../mission/retired-keys.ts'

/**
 * Living beside upstream spec-kitty (docs/design.md#living-beside-upstreams-event-log): where a mission keeps
 * `status.events.jsonl`, its reduced lanes are what we read, every lane change we commit also appends the event line(s)
 * upstream would have written and rewrites `status.json` as upstream materialises it, in the same commit, and a WP
 * whose file says otherwise is reported as drift.
 */

/** One lane change to record in the log. */
export interface TransitionDraft {
  kind: 'transition'
  wpId: string
  from: EventLane
  to: EventLane
  actor: string
  force: boolean
  reason: string | null
  reviewRef: string | null
  reviewResult?: ReviewResult | undefined
  evidence?: Evidence | undefined
  policy: Policy | null
  /** Recorded instead of the policy where upstream records something else (merge's phase and target). */
  policyMetadata?: Record<string, unknown>
  executionMode?: 'worktree' | 'direct_repo'
  /** Set only by migrate, which replays recorded history at its own times. */
  at?: string
}

/** A runtime note (upstream's `kind: "annotation"`, e.g. append-history's note); never moves a lane. */
export interface AnnotationDraft {
  kind: 'annotation'
  wpId: string
  actor: string
  delta: Record<string, unknown>
}

export type EventDraft = TransitionDraft | AnnotationDraft

/** Upstream's `DoneEvidence.to_dict()`: the review triple, and repos / verification only when non-empty. */
function evidenceRecord(e: Evidence | undefined): Record<string, unknown> | null {
  if (!e?.review) return null
  const { reviewer, verdict, reference } = e.review as Record<string, unknown>
  const out: Record<string, unknown> = { review: { reviewer, verdict, reference } }
  const repos = (e as Record<string, unknown>)['repos']
  if (Array.isArray(repos) && repos.length > 0) {
    out['repos'] = repos.map((r: Record<string, unknown>) => {
      const repo: Record<string, unknown> = { repo: r['repo'], branch: r['branch'], commit: r['commit'] }
      if (Array.isArray(r['files_touched']) && r['files_touched'].length > 0) repo['files_touched'] = r['files_touched']
      return repo
    })
  }
  const verification = (e as Record<string, unknown>)['verification']
  if (Array.isArray(verification) && verification.length > 0) {
    out['verification'] = verification.map((v: Record<string, unknown>) => ({
      command: v['command'],
      result: v['result'],
      summary: v['summary'],
    }))
  }
  return out
}

function reviewRecord(r: ReviewResult | undefined): NewTransition['review_result'] {
  if (!r) return null
  return {
    reviewer: r.reviewer,
    verdict: r.verdict,
    reference: r.reference,
    ...(r.feedback_path ? { feedback_path: r.feedback_path } : {}),
  }
}

/**
 * Stamps for new events: upstream's batch rule (start time + 1 µs per event), never at or before the
 * latest `at` already in the log (compared as strings, as the reducer sorts), so a skewed clock can
 * never file a new event under an older one and leave the lane unchanged.
 */
function stamps(events: MissionEvents, now: Date, count: number): string[] {
  let latest = ''
  for (const e of [...events.stream.transitions, ...events.stream.annotations]) if (e.at > latest) latest = e.at
  let start = BigInt(now.getTime()) * 1000n
  const latestMicros = parseEventTime(latest)
  if (latestMicros !== null && pythonIsoUtc(start) <= latest) start = latestMicros + 1_000_000n
  return Array.from({ length: count }, (_, i) => pythonIsoUtc(start + BigInt(i)))
}

export interface MetaNumbers {
  missionNumber: number | string | null
  missionType: string
}

/** meta.json's raw `mission_number` and `mission_type`, as upstream's materialiser reads them. */
export function snapshotIdentity(mission: Pick<MissionView, 'metaText'>): MetaNumbers {
  try {
    const meta = JSON.parse(mission.metaText ?? '{}') as Record<string, unknown>
    const n = meta['mission_number']
    return {
      missionNumber: typeof n === 'number' || typeof n === 'string' ? n : null,
      missionType: typeof meta['mission_type'] === 'string' ? meta['mission_type'] : '',
    }
  } catch {
    return { missionNumber: null, missionType: '' }
  }
}

export interface LogWrite {
  changes: Map<string, Uint8Array>
  reduced: ReducedLog
  lines: string[]
}

const encoder = new TextEncoder()

/** The new log text and status.json for `drafts` appended to `base` (the mission's log, or a new one). */
export function appendEvents(
  ctx: Pick<EngineContext, 'now'>,
  mission: MissionView,
  base: MissionEvents,
  drafts: EventDraft[],
): LogWrite {
  const next = monotonicFactory()
  const when = stamps(base, ctx.now(), drafts.length)
  const ms = ctx.now().getTime()
  const lines = drafts.map((d, i) => {
    const at = d.kind === 'transition' && d.at ? d.at : when[i]!
    if (d.kind === 'annotation')
      return formatAnnotation({ event_id: next(ms), wp_id: d.wpId, at, actor: d.actor, delta: d.delta })
    return formatTransition({
      event_id: next(ms),
      mission_slug: mission.dir,
      mission_id: mission.identity.mission_id,
      wp_id: d.wpId,
      from_lane: d.from,
      to_lane: d.to,
      at,
      actor: d.actor,
      force: d.force,
      execution_mode: d.executionMode ?? 'worktree',
      reason: d.reason,
      review_ref: d.reviewRef,
      evidence: evidenceRecord(d.evidence),
      review_result: reviewRecord(d.reviewResult),
      policy_metadata: d.policyMetadata ?? (d.policy ? { ...d.policy } : null),
    })
  })
  const prefix = base.text === '' || base.text.endsWith('\n') ? base.text : `${base.text}\n`
  const text = `${prefix}${lines.join('\n')}\n`
  const reduced = reduceStatusEvents(parseEventLog(text, base.path))
  const status = materializeStatusJson(reduced, snapshotIdentity(mission))
  return {
    changes: new Map([
      [base.path, encoder.encode(text)],
      [base.statusPath, encoder.encode(status)],
    ]),
    reduced,
    lines,
  }
}

/** The log's files for a commit that changes lanes, or nothing for a frontmatter-only mission. */
export function eventLogChanges(
  ctx: Pick<EngineContext, 'now'>,
  mission: MissionView,
  drafts: EventDraft[],
): Map<string, Uint8Array> {
  if (!mission.events || drafts.length === 0) return new Map()
  return appendEvents(ctx, mission, mission.events, drafts).changes
}

/** A WP known only to the event log: its title and subtasks as tasks.md describes them. */
function eventOnlyWp(
  mission: MissionView,
  id: string,
  state: WpState | undefined,
  planned: ReturnType<typeof tasksMdWorkPackages>,
): WorkPackage {
  const lane = displayLane(state)
  const plan = planned.get(id)
  const holds = lane === 'claimed' || lane === 'in_progress' || lane === 'in_review'
  return {
    id,
    path: `${mission.path}/tasks/${plan?.promptFile ?? `${id}.md`}`,
    title: plan?.title ?? null,
    lane,
    frontmatterLane: lane,
    // Upstream reads a WP's dependencies from its file only, so a file-less WP has none (`[]`);
    // tasks.md's are what `kitty migrate --to frontmatter` writes into the file it makes.
    dependencies: [],
    subtasks: plan?.subtasks ?? [],
    assignee: holds ? (state?.actor ?? null) : null,
    lastActor: state?.actor || null,
    reviewStatus: null,
    historyLength: 0,
    laneSince: state?.last_transition_at ?? null,
    branch: null,
  }
}

/** A lane event has set the WP's lane (not only the log's annotations, nor nothing at all). */
function hasLaneEvent(state: WpState | undefined): boolean {
  return state !== undefined && state.lane !== 'genesis' && state.lane !== 'uninitialized'
}

/**
 * WPs with a task file that the mission's event log has no lane event for: upstream's "not
 * finalized" (its start-implementation refuses them until finalize-tasks seeds genesis → planned).
 * Empty for a mission without a log, which has no such step.
 */
export function unfinalizedIds(mission: MissionView): string[] {
  const events = mission.events
  if (!events) return []
  return mission.wpIds().filter((id) => !hasLaneEvent(events.reduced.work_packages[id]))
}

/** Upstream's finalize-tasks seed for a WP (status/bootstrap.py): genesis → planned, unforced. */
export function finalizeSeed(wpId: string, at?: string): TransitionDraft {
  return {
    kind: 'transition',
    wpId,
    from: 'genesis',
    to: 'planned',
    actor: 'finalize-tasks',
    force: false,
    reason: 'canonical bootstrap',
    reviewRef: null,
    policy: null,
    ...(at ? { at } : {}),
  }
}

/** Log-only WPs that only annotations name: upstream's reducer leaves them uninitialized and lists none. */
function annotationOnlyIds(mission: MissionView): string[] {
  const wps = mission.events?.reduced.work_packages ?? {}
  return mission.eventOnlyIds().filter((id) => wps[id]?.lane === 'uninitialized')
}

/** Every WP a read lists: the task files (lanes from the log where there is one), then the log-only WPs. */
export async function listedWorkPackages(mission: MissionView): Promise<WorkPackage[]> {
  const files = (await mission.all()).map(({ wp }) => wp)
  const hidden = new Set(annotationOnlyIds(mission))
  const extra = mission.eventOnlyIds().filter((id) => !hidden.has(id))
  if (extra.length === 0 || !mission.events) return files
  const planned = tasksMdWorkPackages(await mission.tasksMd())
  const wps = [
    ...files,
    ...extra.map((id) => eventOnlyWp(mission, id, mission.events!.reduced.work_packages[id], planned)),
  ]
  return wps.sort((a, b) => compareWpIds(a.id, b.id))
}

export interface DriftEntry {
  wp_id: string
  frontmatter_lane: Lane
  event_log_lane: Lane
}

export function driftOf(wps: WorkPackage[]): DriftEntry[] {
  return wps
    .filter((wp) => wp.frontmatterLane !== wp.lane)
    .map((wp) => ({ wp_id: wp.id, frontmatter_lane: wp.frontmatterLane, event_log_lane: wp.lane }))
}

/** status.json lanes that its own log does not give (written by hand, or by a tool that skipped it). */
export function staleStatusJson(events: MissionEvents): string | null {
  if (events.statusText === null) return null
  let doc: Record<string, unknown>
  try {
    doc = JSON.parse(events.statusText) as Record<string, unknown>
  } catch {
    return `${events.statusPath} is not valid JSON`
  }
  const recorded = (doc['work_packages'] ?? {}) as Record<string, { lane?: unknown }>
  const reduced = events.reduced.work_packages
  const ids = [...new Set([...Object.keys(recorded), ...Object.keys(reduced)])].sort()
  const off = ids
    .filter((id) => recorded[id]?.lane !== reduced[id]?.lane)
    .map((id) => `${id} ${String(recorded[id]?.lane ?? 'absent')} there, ${reduced[id]?.lane ?? 'absent'} in the log`)
  if (doc['event_count'] !== events.reduced.event_count)
    off.unshift(`event_count ${String(doc['event_count'])} there, ${events.reduced.event_count} in the log`)
  return off.length === 0 ? null : `${events.statusPath} does not match its event log (${off.join('; ')})`
}

/**
 * Drift of a log mission is expected, not a fault (issue 21, D3): upstream never rewrites a WP file's
 * `lane:`, so after each of its steps the file lags the log, which decides. A read says so as a note;
 * kitty's next write to that WP (or kitty reconcile) refreshes the file.
 */
export function driftNotes(mission: MissionView, wps: WorkPackage[]): string[] {
  if (!mission.events) return []
  return driftOf(wps).map(
    (d) =>
      `${d.wp_id}: the file's lane: says '${d.frontmatter_lane}', the event log '${d.event_log_lane}' (as upstream reads it, the log decides); ` +
      `kitty's next write to ${d.wp_id} refreshes the file, or kitty reconcile --mission ${mission.dir} now.`,
  )
}

/**
 * What a read reports about the log beside the lanes (drift is a note, see driftNotes) (both lanes named), repeated event
 * ids, events for WPs nothing else knows, a status.json that its log does not give. Each says how to
 * settle it; none stops the read.
 */
export async function eventLogWarnings(mission: MissionView, wps: WorkPackage[]): Promise<string[]> {
  const events = mission.events
  const retired = retiredKeyWarnings(mission, wps)
  if (!events) return retired
  const fix = `kitty reconcile --mission ${mission.dir}`
  const out: string[] = []
  if (events.reduced.duplicates.length > 0) {
    out.push(
      `${events.path} repeats event id(s) ${[...new Set(events.reduced.duplicates)].join(', ')}; the first of each counts, as upstream reads it.`,
    )
  }
  const planned = tasksMdWorkPackages(await mission.tasksMd().catch(() => null))
  const hidden = annotationOnlyIds(mission)
  const unknown = mission.eventOnlyIds().filter((id) => !planned.has(id) && !hidden.includes(id))
  if (unknown.length > 0) {
    out.push(
      `${events.path} has events for ${unknown.join(', ')}, which have neither a task file nor a tasks.md section; they are listed with the log's lanes.`,
    )
  }
  if (hidden.length > 0) {
    out.push(
      `${events.path} has only annotations for ${hidden.join(', ')} (no lane event, no task file); not listed, as upstream reads it.`,
    )
  }
  const stale = staleStatusJson(events)
  if (stale) out.push(`${stale}; the next kitty mutation rewrites it, or run ${fix}.`)
  return [...out, ...retired]
}
