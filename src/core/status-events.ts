import { EventLogInvalidError } from './errors.ts'
import type { Lane } from './lanes.ts'
import { isLane } from './lanes.ts'
import { pythonJsonLine } from './python-json.ts'

/**
 * Upstream spec-kitty's event log, `kitty-specs/<m>/status.events.jsonl`
 * (docs/upstream-contract.md#event-log-and-reducer): one JSON object per line, keys sorted. Lane transitions,
 * `kind: "annotation"` runtime notes, and other records (mission lifecycle `event_type` rows, retrospectives) that
 * share the file and are skipped.
 */

export const EVENT_LOG_FILE = 'status.events.jsonl'
export const STATUS_JSON_FILE = 'status.json'

/** The lanes an event may name: the nine public ones plus upstream's two internal ones. */
export type EventLane = Lane | 'genesis' | 'uninitialized'

export function isEventLane(value: unknown): value is EventLane {
  return typeof value === 'string' && (isLane(value) || value === 'genesis' || value === 'uninitialized')
}

export interface ReviewOutcome {
  reviewer: string
  verdict: string
  reference: string
  feedback_path?: string
}

export interface TransitionEvent {
  kind: 'transition'
  line: number
  event_id: string
  wp_id: string
  from_lane: EventLane
  to_lane: EventLane
  at: string
  /** The plain-string identity (a structured actor projects to its tool, then role). */
  actor: string
  force: boolean
  mission_slug: string
  reason: string | null
  review_ref: string | null
  review_result: ReviewOutcome | null
  policy_metadata: Record<string, unknown> | null
}

export interface AnnotationEvent {
  kind: 'annotation'
  line: number
  event_id: string
  wp_id: string
  at: string
  actor: string
  delta: Record<string, unknown>
}

export interface EventStream {
  transitions: TransitionEvent[]
  annotations: AnnotationEvent[]
}

const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/
/** Stricter than upstream (which takes any string): a WP id ends up in file names and messages. */
const EVENT_WP_ID = /^WP\d{1,6}$/
const RETROSPECTIVE_TYPES = new Set(['RetrospectiveCaptured', 'RetrospectiveCaptureFailed', 'RetrospectiveSkipped'])

type Obj = Record<string, unknown>

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** Rows that share the file but are not lane events (upstream's `is_non_lane_event`). */
function isNonLaneRow(obj: Obj): boolean {
  const name = obj['event_name']
  if (typeof name === 'string' && name.startsWith('retrospective.')) return true
  if (typeof obj['type'] === 'string' && RETROSPECTIVE_TYPES.has(obj['type'])) return true
  return 'event_type' in obj
}

class Bad extends Error {}

function str(obj: Obj, key: string): string {
  const v = obj[key]
  if (typeof v !== 'string' || v.trim() === '') throw new Bad(`"${key}" must be a non-empty string`)
  return v
}

function optionalStr(obj: Obj, key: string): string | null {
  const v = obj[key]
  if (v === undefined || v === null) return null
  if (typeof v !== 'string') throw new Bad(`"${key}" must be a string or null`)
  return v
}

const ACTOR_KEYS = ['model', 'profile', 'role', 'tool']

/** A plain actor, or upstream's structured `{role, profile, tool, model}` binding (projected to its tool). */
function actorOf(obj: Obj): string {
  const v = obj['actor']
  if (typeof v === 'string') return v
  if (
    isObj(v) &&
    Object.keys(v).sort().join() === ACTOR_KEYS.join() &&
    Object.values(v).every((x) => x === null || typeof x === 'string')
  ) {
    return String(v['tool'] || v['role'] || '')
  }
  throw new Bad('"actor" must be a string or a {role, profile, tool, model} object')
}

function lane(obj: Obj, key: string): EventLane {
  const v = obj[key]
  if (!isEventLane(v)) throw new Bad(`"${key}" ${JSON.stringify(v)} is not a lane`)
  return v
}

function wpId(obj: Obj): string {
  const v = str(obj, 'wp_id')
  if (!EVENT_WP_ID.test(v)) throw new Bad(`"wp_id" ${JSON.stringify(v)} is not a work package id (WP01…)`)
  return v
}

function reviewOutcome(v: unknown, key: string): ReviewOutcome | null {
  if (v === undefined || v === null) return null
  if (!isObj(v)) throw new Bad(`"${key}" must be an object or null`)
  const out: ReviewOutcome = {
    reviewer: str(v, 'reviewer'),
    verdict: str(v, 'verdict'),
    reference: str(v, 'reference'),
  }
  const feedback = optionalStr(v, 'feedback_path')
  if (feedback !== null) out.feedback_path = feedback
  return out
}

function transitionOf(obj: Obj, line: number): TransitionEvent {
  if (typeof obj['force'] !== 'boolean') throw new Bad('"force" must be true or false')
  const evidence = obj['evidence']
  if (
    evidence !== undefined &&
    evidence !== null &&
    !(isObj(evidence) && reviewOutcome(evidence['review'], 'evidence.review'))
  ) {
    throw new Bad('"evidence" must be null or carry review {reviewer, verdict, reference}')
  }
  const policy = obj['policy_metadata']
  if (policy !== undefined && policy !== null && !isObj(policy))
    throw new Bad('"policy_metadata" must be an object or null')
  return {
    kind: 'transition',
    line,
    event_id: str(obj, 'event_id'),
    wp_id: wpId(obj),
    from_lane: lane(obj, 'from_lane'),
    to_lane: lane(obj, 'to_lane'),
    at: str(obj, 'at'),
    actor: actorOf(obj),
    force: obj['force'],
    mission_slug: optionalStr(obj, 'mission_slug') || optionalStr(obj, 'feature_slug') || '',
    reason: optionalStr(obj, 'reason'),
    review_ref: optionalStr(obj, 'review_ref'),
    review_result: reviewOutcome(obj['review_result'], 'review_result'),
    policy_metadata: isObj(policy) ? policy : null,
  }
}

function annotationOf(obj: Obj, line: number): AnnotationEvent {
  const id = str(obj, 'event_id')
  if (!ULID.test(id)) throw new Bad(`annotation "event_id" ${JSON.stringify(id)} is not a ULID`)
  const delta = obj['delta']
  if (!isObj(delta)) throw new Bad('annotation "delta" must be an object')
  return { kind: 'annotation', line, event_id: id, wp_id: wpId(obj), at: str(obj, 'at'), actor: actorOf(obj), delta }
}

/**
 * Parse the log as upstream's reader does: blank lines skipped, every other line a JSON object, an
 * unknown `kind` refused. Any bad line refuses the whole log (EVENT_LOG_INVALID naming the line):
 * a state computed from part of a log would be a guess.
 */
export function parseEventLog(text: string, path: string): EventStream {
  const stream: EventStream = { transitions: [], annotations: [] }
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/)
  lines.forEach((raw, i) => {
    const line = i + 1
    if (raw.trim() === '') return
    let obj: unknown
    try {
      obj = JSON.parse(raw)
    } catch (err) {
      throw new EventLogInvalidError(path, line, `Invalid JSON (${(err as Error).message})`)
    }
    if (!isObj(obj)) throw new EventLogInvalidError(path, line, 'Invalid event structure: expected JSON object')
    try {
      const kind = obj['kind']
      if (kind !== undefined && kind !== null) {
        if (kind !== 'annotation') throw new Bad(`Unknown event kind ${JSON.stringify(kind)}`)
        stream.annotations.push(annotationOf(obj, line))
      } else if (!isNonLaneRow(obj)) {
        stream.transitions.push(transitionOf(obj, line))
      }
    } catch (err) {
      if (err instanceof Bad) throw new EventLogInvalidError(path, line, `Invalid event structure: ${err.message}`)
      throw err
    }
  })
  return stream
}

/**
 * What a new transition records; the writer adds nothing else (docs/upstream-contract.md#event-log-and-reducer, HEAD
 * keys).
 */
export interface NewTransition {
  event_id: string
  mission_slug: string
  mission_id: string | null
  wp_id: string
  from_lane: EventLane
  to_lane: EventLane
  at: string
  actor: string
  force: boolean
  execution_mode: 'worktree' | 'direct_repo'
  reason: string | null
  review_ref: string | null
  evidence: Record<string, unknown> | null
  review_result: ReviewOutcome | null
  policy_metadata: Record<string, unknown> | null
}

/** One line exactly as upstream HEAD writes a transition (`mission_id` only when the mission has one). */
export function formatTransition(e: NewTransition): string {
  const { mission_id, ...rest } = e
  return pythonJsonLine(mission_id === null ? rest : { ...rest, mission_id })
}

export interface NewAnnotation {
  event_id: string
  wp_id: string
  at: string
  actor: string
  delta: Record<string, unknown>
}

export function formatAnnotation(a: NewAnnotation): string {
  return pythonJsonLine({ ...a, kind: 'annotation' })
}

/**
 * Python's `datetime.isoformat()` of an aware UTC time, as upstream stamps `at`: microseconds, and
 * no fraction at all when they are zero.
 */
export function pythonIsoUtc(epochMicros: bigint): string {
  // Floor to the second: BigInt division truncates toward zero, which read -1 µs as 1970-01-01T00:00:00.999999.
  const micros = ((epochMicros % 1_000_000n) + 1_000_000n) % 1_000_000n
  const base = new Date(Number((epochMicros - micros) / 1000n)).toISOString().slice(0, 19)
  return micros === 0n ? `${base}+00:00` : `${base}.${String(micros).padStart(6, '0')}+00:00`
}

/** An `at` read back as epoch microseconds (any ISO form upstream has written), or null. */
export function parseEventTime(at: string): bigint | null {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})?$/.exec(at)
  if (!m) return null
  const ms = Date.parse(`${m[1]}${m[3] ?? 'Z'}`)
  if (Number.isNaN(ms)) return null
  return BigInt(ms) * 1000n + BigInt((m[2] ?? '').padEnd(6, '0').slice(0, 6) || '0')
}
