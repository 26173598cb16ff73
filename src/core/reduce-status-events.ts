import type { Lane } from './lanes.ts'
import { LANES } from './lanes.ts'
import { pythonJsonIndented } from './python-json.ts'
import type { AnnotationEvent, EventStream, TransitionEvent } from './status-events.ts'

/**
 * Upstream's reducer (docs/upstream-contract.md#event-log-and-reducer; `status/reducer.py` at HEAD), so that both tools
 * agree on the current lane of every WP: drop repeated event ids (first wins), sort by (`at`, `event_id`), apply
 * transitions with the rollback tie-break, then fold annotations, which never change a lane.
 */

/** One WP's reduced state: exactly the keys upstream's status.json holds for it. */
export type WpState = Record<string, unknown> & {
  lane: string
  actor: string
  last_transition_at: string | null
  last_event_id: string | null
  force_count: number
}

export interface ReducedLog {
  mission_slug: string
  materialized_at: string
  event_count: number
  last_event_id: string | null
  work_packages: Record<string, WpState>
  summary: Record<Lane, number>
  /** Event ids seen more than once (the later copies were ignored). */
  duplicates: string[]
}

/** Slots carried across transitions and written by annotations (reducer.py `_RUNTIME_SLOTS`). */
const RUNTIME_SLOTS = [
  'shell_pid',
  'shell_pid_created_at',
  'subtasks',
  'notes',
  'tracker_refs',
  'agent',
  'assignee',
  'review',
  'role',
  'agent_profile',
  'agent_profile_version',
  'model',
  'provider',
]
const REPLACE_SLOTS = [
  'shell_pid',
  'shell_pid_created_at',
  'agent',
  'assignee',
  'role',
  'agent_profile',
  'agent_profile_version',
  'model',
  'provider',
]
const CLAIM_RELEASE_SLOTS = ['agent', 'shell_pid', 'shell_pid_created_at']

function isRollback(e: TransitionEvent): boolean {
  if (e.to_lane !== 'in_progress') return false
  return e.from_lane === 'in_review' || (e.from_lane === 'for_review' && e.review_ref !== null)
}

function stateFrom(e: TransitionEvent, previous: WpState | undefined): WpState {
  const state: WpState = {
    lane: e.to_lane,
    actor: e.actor,
    last_transition_at: e.at,
    last_event_id: e.event_id,
    force_count: (previous?.force_count ?? 0) + (e.force ? 1 : 0),
  }
  for (const slot of RUNTIME_SLOTS) if (previous && slot in previous) state[slot] = previous[slot]
  if (e.from_lane === 'planned' && e.to_lane === 'claimed') {
    const meta = e.policy_metadata ?? {}
    if (meta['shell_pid'] !== undefined && meta['shell_pid'] !== null) state['shell_pid'] = meta['shell_pid']
    if (meta['shell_pid_created_at'] !== undefined && meta['shell_pid_created_at'] !== null)
      state['shell_pid_created_at'] = meta['shell_pid_created_at']
    if (meta['agent']) state['agent'] = meta['agent']
  }
  if (e.review_result !== null || e.from_lane === 'in_review') state['review_result'] = e.review_result
  else if (previous && 'review_result' in previous) state['review_result'] = previous['review_result']
  return state
}

/** Same `at` as the current setter: a rollback beats a forward move, a forward move never beats a rollback. */
function applies(current: WpState | undefined, e: TransitionEvent, byId: Map<string, TransitionEvent>): boolean {
  if (!current || current.last_transition_at !== e.at) return true
  const setter = current.last_event_id === null ? undefined : byId.get(current.last_event_id)
  if (isRollback(e) && setter && !isRollback(setter)) return true
  if (setter && isRollback(setter) && !isRollback(e)) return false
  return true
}

function foldAnnotation(state: WpState, a: AnnotationEvent): void {
  const d = a.delta
  if (d['release_runtime_claim'] === true) for (const slot of CLAIM_RELEASE_SLOTS) state[slot] = null
  for (const slot of REPLACE_SLOTS)
    if (d[slot] !== undefined && d[slot] !== null && d[slot] !== '') state[slot] = d[slot]
  if (d['subtasks'] && typeof d['subtasks'] === 'object') {
    state['subtasks'] = { ...((state['subtasks'] as object | undefined) ?? {}), ...(d['subtasks'] as object) }
  }
  if (typeof d['note'] === 'string') state['notes'] = [...((state['notes'] as string[] | undefined) ?? []), d['note']]
  if (Array.isArray(d['tracker_refs_replace'])) state['tracker_refs'] = [...new Set(d['tracker_refs_replace'])]
  else if (Array.isArray(d['tracker_refs']))
    state['tracker_refs'] = [...new Set([...((state['tracker_refs'] as unknown[]) ?? []), ...d['tracker_refs']])]
  if (d['review'] && typeof d['review'] === 'object') {
    const review = d['review'] as Record<string, unknown>
    state['review'] = Object.values(review).every((v) => v === null || v === '' || v === undefined) ? null : review
  }
}

function byAtThenId(a: { at: string; event_id: string }, b: { at: string; event_id: string }): number {
  if (a.at !== b.at) return a.at < b.at ? -1 : 1
  return a.event_id < b.event_id ? -1 : a.event_id > b.event_id ? 1 : 0
}

/** A slug that is safe as one path segment, else '' (upstream's `safe_mission_slug(slug, "")`). */
function safeSlug(slug: string): string {
  const s = slug.trim()
  if (!s || s.startsWith('.') || s.includes('..') || /[/\\]/.test(s) || /[^\x21-\x7e]/.test(s)) return ''
  return slug
}

export function reduceStatusEvents(stream: EventStream): ReducedLog {
  const seen = new Set<string>()
  const duplicates: string[] = []
  const unique: TransitionEvent[] = []
  for (const e of stream.transitions) {
    if (seen.has(e.event_id)) duplicates.push(e.event_id)
    else {
      seen.add(e.event_id)
      unique.push(e)
    }
  }
  const sorted = [...unique].sort(byAtThenId)
  const byId = new Map(sorted.map((e) => [e.event_id, e]))
  const wps: Record<string, WpState> = {}
  for (const e of sorted) if (applies(wps[e.wp_id], e, byId)) wps[e.wp_id] = stateFrom(e, wps[e.wp_id])
  for (const a of [...stream.annotations].sort(byAtThenId)) {
    wps[a.wp_id] ??= {
      lane: 'uninitialized',
      actor: a.actor,
      last_transition_at: null,
      last_event_id: null,
      force_count: 0,
    }
    foldAnnotation(wps[a.wp_id]!, a)
  }
  const summary = Object.fromEntries(LANES.map((l) => [l, 0])) as Record<Lane, number>
  for (const s of Object.values(wps)) if (s.lane in summary) summary[s.lane as Lane]++
  const last = sorted.at(-1)
  return {
    mission_slug: sorted[0] ? safeSlug(sorted[0].mission_slug) : '',
    materialized_at: last?.at ?? '',
    event_count: sorted.length,
    last_event_id: last?.event_id ?? null,
    work_packages: wps,
    summary,
    duplicates,
  }
}

/** The lane read APIs show: a WP with no lane event yet (genesis, annotation-only, absent) is planned. */
export function displayLane(state: WpState | undefined): Lane {
  const lane = state?.lane
  return lane === undefined || lane === 'genesis' || lane === 'uninitialized' ? 'planned' : (lane as Lane)
}

export interface SnapshotIdentity {
  /** meta.json's `mission_number` (int or digit string), or null. */
  missionNumber: number | string | null
  /** meta.json's `mission_type`, or ''. */
  missionType: string
}

/** `mission_number` as upstream's `mission_identity_fields` prints it: meta first, else the slug's prefix. */
function numberText(slug: string, n: number | string | null): string {
  const own = typeof n === 'number' ? String(n) : (n ?? '').trim()
  if (own) return own
  const prefix = /^(\d+)-/.exec(slug.trim())?.[1]
  return prefix === undefined ? '' : String(Number(prefix))
}

/** status.json exactly as upstream HEAD materialises it (sorted keys, indent 2, trailing newline). */
export function materializeStatusJson(reduced: ReducedLog, identity: SnapshotIdentity): string {
  const slug = reduced.mission_slug.trim()
  const doc = {
    mission_slug: slug,
    mission_number: numberText(slug, identity.missionNumber),
    mission_type: identity.missionType.trim(),
    materialized_at: reduced.materialized_at,
    event_count: reduced.event_count,
    last_event_id: reduced.last_event_id,
    work_packages: reduced.work_packages,
    summary: reduced.summary,
  }
  return `${pythonJsonIndented(doc)}\n`
}
