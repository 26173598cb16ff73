import { branchNameProblem } from './branch-name.ts'
import { normalizeWpId, parseDependencies } from './dependency-graph.ts'
import { WpFileInvalidError } from './errors.ts'
import type { Lane } from './lanes.ts'
import { normalizeLane } from './lanes.ts'

/** What the engine knows about one WP, interpreted from its frontmatter (docs/design.md#mission-and-wp-files). */
export interface WorkPackage {
  id: string
  /** Repository-relative path of the WP file. */
  path: string
  title: string | null
  lane: Lane
  /**
   * The lane the WP file records. Equal to `lane` unless the mission keeps upstream's event log,
   * whose reduced lane then wins (docs/upstream-contract.md#event-log-and-reducer) and a difference is drift.
   */
  frontmatterLane: Lane
  dependencies: string[]
  subtasks: string[]
  /** The actor currently holding the WP (claim), or null. */
  assignee: string | null
  lastActor: string | null
  reviewStatus: string | null
  historyLength: number
  /** When the frontmatter history says the WP entered its current lane (the board's "time in lane"). */
  laneSince: string | null
  /** A WP's own branch name (`branch:` key), used by merge-mission. */
  branch: string | null
  /**
   * A `review_ref:` key an older kitty wrote, which upstream's strict frontmatter model rejects: read
   * so reads can say so and `kitty reconcile` can move it out; never written again.
   */
  retiredReviewRef?: string
  /**
   * The file has no `subtasks:` key at all. Upstream's subtasks gate cannot tell that from a lost
   * roster and fails closed (core/subtask_rows.py `authored_subtask_roster`); `[]` is "nothing to block on".
   */
  rosterMissing?: true
}

/**
 * `WP07-adapter-implementations.md` → `WP07`, `wp7.md` → `WP07` (normalised); README.md and friends →
 * null (docs/upstream-contract.md#mission-state).
 */
export function wpIdFromFileName(name: string): string | null {
  const m = /^(wp\d+)(?:[-_.].*)?\.md$/i.exec(name)
  return m ? normalizeWpId(m[1]!) : null
}

function text(value: unknown): string | null {
  if (typeof value === 'string') return value.trim() === '' ? null : value.trim()
  if (typeof value === 'number') return String(value)
  return null
}

function stringList(value: unknown): string[] {
  if (Array.isArray(value))
    return value.filter((v): v is string | number => typeof v === 'string' || typeof v === 'number').map(String)
  if (typeof value === 'string' && value.trim() !== '') {
    return value
      .replace(/^\[|\]$/g, '')
      .split(',')
      .map((s) => s.trim().replace(/^["']|["']$/g, ''))
      .filter(Boolean)
  }
  return []
}

function lastHistoryActor(history: unknown): string | null {
  if (!Array.isArray(history)) return null
  for (let i = history.length - 1; i >= 0; i--) {
    const entry = history[i] as Record<string, unknown> | null
    const actor = entry && typeof entry === 'object' ? (text(entry['actor']) ?? text(entry['agent'])) : null
    if (actor) return actor
  }
  return null
}

/**
 * The timestamp of the first entry of the history's trailing run in `lane`: a WP that went
 * in_progress → in_progress (a note) has been in progress since the first of the two.
 */
function laneEnteredAt(history: unknown, lane: Lane): string | null {
  if (!Array.isArray(history)) return null
  let since: string | null = null
  for (let i = history.length - 1; i >= 0; i--) {
    const entry = history[i] as Record<string, unknown> | null
    if (!entry || typeof entry !== 'object') break
    const entryLane = typeof entry['lane'] === 'string' ? normalizeLane(entry['lane']) : null
    if (entryLane !== lane) break
    since = text(entry['timestamp']) ?? since
  }
  return since
}

/**
 * Interpret parsed frontmatter. `folderLane` is the lane directory of the 0.x layout
 * (`tasks/doing/WP01.md`), used only when the frontmatter has no lane.
 */
export function interpretWorkPackage(
  id: string,
  path: string,
  data: Record<string, unknown>,
  folderLane: Lane | null,
): WorkPackage {
  const rawLane = data['lane']
  let lane: Lane
  if (rawLane === undefined || rawLane === null || rawLane === '') lane = folderLane ?? 'planned'
  else {
    const normalized = typeof rawLane === 'string' ? normalizeLane(rawLane) : null
    if (!normalized) throw new WpFileInvalidError(path, `unknown lane ${JSON.stringify(rawLane)}`)
    lane = normalized
  }
  const deps = parseDependencies(data['dependencies'], id)
  if (!deps.ok) throw new WpFileInvalidError(path, deps.reason)
  const assignee = text(data['assignee'])
  const branch = text(data['branch'])
  const branchProblem = branch === null ? null : branchNameProblem(branch)
  if (branchProblem) {
    throw new WpFileInvalidError(
      path,
      `its branch: key ${JSON.stringify(branch)} ${branchProblem}; set branch: to a plain branch name or remove the key (the default is <mission_slug>-${id})`,
    )
  }
  return {
    id,
    path,
    title: text(data['title']) ?? text(data['work_package_title']),
    lane,
    frontmatterLane: lane,
    dependencies: deps.dependencies,
    subtasks: stringList(data['subtasks']),
    assignee,
    lastActor: lastHistoryActor(data['history']) ?? assignee,
    reviewStatus: text(data['review_status']),
    historyLength: Array.isArray(data['history']) ? data['history'].length : 0,
    laneSince: laneEnteredAt(data['history'], lane),
    branch,
    ...retiredReviewRef(data),
    ...(Object.hasOwn(data, 'subtasks') ? {} : { rosterMissing: true as const }),
  }
}

function retiredReviewRef(data: Record<string, unknown>): { retiredReviewRef?: string } {
  if (!Object.hasOwn(data, 'review_ref')) return {}
  return { retiredReviewRef: text(data['review_ref']) ?? '' }
}

/** Generic holders that any actor may take over (docs/upstream-contract.md#start-implementation). */
const PLACEHOLDER_HOLDERS = new Set(['implement-command', 'unknown'])

export function holderCompatible(holder: string | null, requester: string): boolean {
  return holder === null || holder === requester || PLACEHOLDER_HOLDERS.has(holder)
}
