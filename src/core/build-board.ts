import { compareWpIds, findCycle } from './dependency-graph.ts'
import type { Lane } from './lanes.ts'
import { DEPENDENCY_SATISFIED_LANES, LANES } from './lanes.ts'

/**
 * The mission board's one view model: every picture of a mission (Markdown + Mermaid on GitHub, the
 * static HTML page, the live board) is drawn from a `Board`, so they cannot disagree about a mission.
 * Pure: the caller reads the snapshot and the history; this only arranges them.
 */

/** One WP as read from the snapshot; `error` set (and `lane` null) when its file could not be read. */
export interface BoardWpInput {
  wp_id: string
  title: string | null
  lane: Lane | null
  dependencies: readonly string[]
  actor: string | null
  /** When the WP entered its current lane (ISO-8601), when known. */
  lane_since: string | null
  error?: string | null | undefined
}

/** One state change from `git log` (a kitty commit), newest first in the input. */
export interface BoardEvent {
  commit: string
  timestamp: string
  wp_id: string | null
  from_lane: string | null
  to_lane: string | null
  actor: string | null
  command: string | null
  subject: string
}

export interface BoardMission {
  mission_id: string | null
  mission_slug: string
  mission_number: number | null
  mission_type: string | null
  friendly_name?: string | null | undefined
}

export interface BoardInput {
  mission: BoardMission
  /** The state commit the board shows (null for an empty branch). */
  commit: string | null
  work_packages: readonly BoardWpInput[]
  history: readonly BoardEvent[]
  now: Date
  /** How many recent changes to keep (default 20). */
  historyLimit?: number
}

export interface BoardCard {
  wp_id: string
  title: string | null
  lane: Lane | null
  actor: string | null
  dependencies: string[]
  /** Dependencies not yet approved or done (or unknown to the mission): what keeps this WP waiting. */
  blocked_by: string[]
  lane_since: string | null
  /** Whole seconds in the current lane, null when the entry time is unknown. */
  seconds_in_lane: number | null
  /** Topological depth in the dependency graph (0 = depends on nothing in the mission). */
  layer: number
  error: string | null
}

/** A column: a lane, or `unreadable` for WPs whose file could not be read. */
export type ColumnKey = Lane | 'unreadable'

export interface BoardColumn {
  key: ColumnKey
  label: string
  count: number
  cards: BoardCard[]
}

export interface BoardEdge {
  from: string
  to: string
  /** True when the dependency `from` is approved or done. */
  satisfied: boolean
}

export interface BoardGraph {
  /** WP ids per topological depth: every WP sits in a later layer than each of its dependencies. */
  layers: string[][]
  edges: BoardEdge[]
  /** A dependency cycle as a closed path, when there is one (its back edge is ignored for layering). */
  cycle: string[] | null
  unknown_dependencies: Array<{ wp_id: string; dependency: string }>
}

export interface Board {
  mission: BoardMission
  commit: string | null
  generated_at: string
  columns: BoardColumn[]
  counts: Record<Lane, number>
  total: number
  /** Done over all WPs but canceled ones, 0..1. */
  progress: number
  graph: BoardGraph
  history: BoardEvent[]
}

export const LANE_LABELS: Readonly<Record<ColumnKey, string>> = {
  planned: 'Planned',
  claimed: 'Claimed',
  in_progress: 'In progress',
  for_review: 'For review',
  in_review: 'In review',
  approved: 'Approved',
  done: 'Done',
  blocked: 'Blocked',
  canceled: 'Canceled',
  unreadable: 'Unreadable',
}

export const DEFAULT_HISTORY_LIMIT = 20

function secondsSince(iso: string | null, now: Date): number | null {
  if (iso === null) return null
  const t = Date.parse(iso)
  if (Number.isNaN(t)) return null
  return Math.max(0, Math.floor((now.getTime() - t) / 1000))
}

/**
 * Depth of each WP: 1 + the deepest dependency. Unknown dependencies are ignored; on a cycle the edge
 * that closes it is ignored, so every WP still gets a layer and the picture still draws.
 */
export function layerWps(graph: ReadonlyMap<string, readonly string[]>): Map<string, number> {
  const depth = new Map<string, number>()
  const visiting = new Set<string>()
  const visit = (id: string): number => {
    const known = depth.get(id)
    if (known !== undefined) return known
    visiting.add(id)
    let d = 0
    for (const dep of graph.get(id) ?? []) {
      if (!graph.has(dep) || visiting.has(dep)) continue
      d = Math.max(d, visit(dep) + 1)
    }
    visiting.delete(id)
    depth.set(id, d)
    return d
  }
  for (const id of [...graph.keys()].sort(compareWpIds)) visit(id)
  return depth
}

function buildGraph(wps: readonly BoardWpInput[]): { graph: BoardGraph; depth: Map<string, number> } {
  const deps = new Map<string, readonly string[]>(wps.map((w) => [w.wp_id, w.dependencies]))
  const lanes = new Map(wps.map((w) => [w.wp_id, w.lane]))
  const depth = layerWps(deps)
  const layers: string[][] = []
  for (const [id, d] of depth) (layers[d] ??= []).push(id)
  for (const layer of layers) layer?.sort(compareWpIds)
  const edges: BoardEdge[] = []
  const unknown: Array<{ wp_id: string; dependency: string }> = []
  for (const w of [...wps].sort((a, b) => compareWpIds(a.wp_id, b.wp_id))) {
    for (const dep of w.dependencies) {
      if (!deps.has(dep)) unknown.push({ wp_id: w.wp_id, dependency: dep })
      else {
        const lane = lanes.get(dep)
        edges.push({ from: dep, to: w.wp_id, satisfied: lane != null && DEPENDENCY_SATISFIED_LANES.has(lane) })
      }
    }
  }
  return {
    graph: {
      layers: layers.filter((l) => l !== undefined),
      edges,
      cycle: findCycle(deps),
      unknown_dependencies: unknown,
    },
    depth,
  }
}

function blockedBy(wp: BoardWpInput, lanes: ReadonlyMap<string, Lane | null>): string[] {
  if (wp.lane === 'done' || wp.lane === 'approved' || wp.lane === 'canceled') return []
  return wp.dependencies.filter((dep) => {
    const lane = lanes.get(dep)
    return lane == null || !DEPENDENCY_SATISFIED_LANES.has(lane)
  })
}

export function buildBoard(input: BoardInput): Board {
  const wps = [...input.work_packages].sort((a, b) => compareWpIds(a.wp_id, b.wp_id))
  const lanes = new Map(wps.map((w) => [w.wp_id, w.lane]))
  const { graph, depth } = buildGraph(wps)
  const cards: BoardCard[] = wps.map((w) => ({
    wp_id: w.wp_id,
    title: w.title,
    lane: w.lane,
    actor: w.actor,
    dependencies: [...w.dependencies],
    blocked_by: blockedBy(w, lanes),
    lane_since: w.lane_since,
    seconds_in_lane: secondsSince(w.lane_since, input.now),
    layer: depth.get(w.wp_id) ?? 0,
    error: w.error ?? null,
  }))
  const columns: BoardColumn[] = LANES.map((lane) => {
    const inLane = cards.filter((c) => c.lane === lane)
    return { key: lane, label: LANE_LABELS[lane], count: inLane.length, cards: inLane }
  })
  const unreadable = cards.filter((c) => c.lane === null)
  if (unreadable.length > 0)
    columns.push({ key: 'unreadable', label: LANE_LABELS.unreadable, count: unreadable.length, cards: unreadable })
  const counts = Object.fromEntries(LANES.map((lane) => [lane, columns.find((c) => c.key === lane)!.count])) as Record<
    Lane,
    number
  >
  const countable = cards.length - counts.canceled
  return {
    mission: input.mission,
    commit: input.commit,
    generated_at: input.now.toISOString(),
    columns,
    counts,
    total: cards.length,
    progress: countable === 0 ? 0 : counts.done / countable,
    graph,
    history: input.history.slice(0, input.historyLimit ?? DEFAULT_HISTORY_LIMIT),
  }
}

/** "3d 4h", "12m": how long a card has sat in its lane, for people. */
export function formatDuration(seconds: number | null): string {
  if (seconds === null) return '—'
  const d = Math.floor(seconds / 86_400)
  const h = Math.floor((seconds % 86_400) / 3_600)
  const m = Math.floor((seconds % 3_600) / 60)
  if (d > 0) return h > 0 ? `${d}d ${h}h` : `${d}d`
  if (h > 0) return m > 0 ? `${h}h ${m}m` : `${h}h`
  if (m > 0) return `${m}m`
  return `${seconds}s`
}
