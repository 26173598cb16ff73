import type { Board, BoardCard, BoardInput, BoardWpInput } from '../core/build-board.ts'
import { buildBoard, formatDuration, LANE_LABELS } from '../core/build-board.ts'
import { compareWpIds } from '../core/dependency-graph.ts'
import type { Lane } from '../core/lanes.ts'
import { normalizeLane } from '../core/lanes.ts'
import { escapeMarkdown, escapeTableCell } from './escape-markdown.ts'

/**
 * The board as GitHub Markdown: lane counts, a WP table and the dependency graph as a Mermaid
 * flowchart (GitHub renders Mermaid in comments, check runs and job summaries). A large mission
 * degrades step by step to fit the field it goes into: done WPs fold into one row and one node,
 * then the graph goes, before the caller's cut ever has to.
 */

/** GitHub's Mermaid refuses a diagram over 50,000 characters; stay well inside it. */
const MAX_MERMAID_CHARS = 40_000
/** Past this many nodes a flowchart is a hairball: done WPs fold into one node. */
const MAX_GRAPH_NODES = 40

/** Lane styles for Mermaid: every lane also says its name in the node, so colour is never the only signal. */
const MERMAID_STYLE: Record<Lane | 'unreadable', string> = {
  planned: 'fill:#eef1f5,stroke:#57606a,color:#1f2328',
  claimed: 'fill:#fff8c5,stroke:#9a6700,color:#1f2328',
  in_progress: 'fill:#ddf4ff,stroke:#0969da,color:#1f2328',
  for_review: 'fill:#fbefff,stroke:#8250df,color:#1f2328',
  in_review: 'fill:#f3e8ff,stroke:#6639ba,color:#1f2328',
  approved: 'fill:#dafbe1,stroke:#1a7f37,color:#1f2328',
  done: 'fill:#1a7f37,stroke:#116329,color:#ffffff',
  blocked: 'fill:#ffebe9,stroke:#cf222e,color:#1f2328',
  canceled: 'fill:#f6f8fa,stroke:#8c959f,color:#57606a,stroke-dasharray:4 3',
  unreadable: 'fill:#ffebe9,stroke:#cf222e,color:#82071e,stroke-dasharray:2 2',
}

/** A lane's mark in text, beside its name (✓ done, ⛔ blocked …). */
export const LANE_MARK: Record<Lane | 'unreadable', string> = {
  planned: '○',
  claimed: '◔',
  in_progress: '◑',
  for_review: '◕',
  in_review: '◕',
  approved: '✔',
  done: '✓',
  blocked: '⊘',
  canceled: '✗',
  unreadable: '⚠',
}

/**
 * A table cell: titles, actors and dependencies come from WP files, so a `</details>`, an `@team` or an
 * image in one must stay text (escape-markdown.ts).
 */
const cell = (v: unknown): string => escapeTableCell(v)

/** Text inside a Mermaid `["…"]` label: `#`, quotes and angle brackets as Mermaid entities, no newlines. */
function mermaidText(s: string, max = 40): string {
  const short = s.length > max ? `${s.slice(0, max - 1)}…` : s
  return (
    short
      .replace(/[\r\n]+/g, ' ')
      // Mermaid decodes `#lt;`-style entity codes in labels: a title's own `#` must not start one.
      .replace(/#/g, '#35;')
      .replace(/"/g, '#quot;')
      .replace(/</g, '#lt;')
      .replace(/>/g, '#gt;')
      .replace(/[[\]{}()|`]/g, ' ')
  )
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null)

/**
 * A board from a mission-state payload: what the GitHub surfaces hold is the envelope, and its
 * `work_packages` carry every field the Markdown board shows.
 */
export function boardFromMissionState(data: Record<string, unknown>, now: Date = new Date()): Board | null {
  const list = data['work_packages']
  if (!Array.isArray(list)) return null
  const wps: BoardWpInput[] = []
  for (const raw of list as Record<string, unknown>[]) {
    const id = str(raw?.['wp_id'])
    if (!id) continue
    wps.push({
      wp_id: id,
      title: str(raw['title']),
      lane: typeof raw['lane'] === 'string' ? normalizeLane(raw['lane']) : null,
      dependencies: Array.isArray(raw['dependencies'])
        ? (raw['dependencies'] as unknown[]).filter((d): d is string => typeof d === 'string')
        : [],
      actor: str(raw['last_actor']) ?? str(raw['assignee']),
      lane_since: str(raw['lane_since']),
    })
  }
  const input: BoardInput = {
    mission: {
      mission_id: str(data['mission_id']),
      mission_slug: str(data['mission_slug']) ?? 'mission',
      mission_number: typeof data['mission_number'] === 'number' ? data['mission_number'] : null,
      mission_type: str(data['mission_type']),
    },
    commit: null,
    work_packages: wps,
    history: [],
    now,
  }
  return buildBoard(input)
}

function progressLine(board: Board): string {
  const pct = Math.round(board.progress * 100)
  const filled = Math.round(board.progress * 20)
  return `**Progress:** ${board.counts.done}/${board.total - board.counts.canceled} done (${pct}%) \`${'█'.repeat(filled)}${'░'.repeat(20 - filled)}\``
}

function countsTable(board: Board): string[] {
  const cols = board.columns.filter(
    (c) => c.count > 0 || ['planned', 'in_progress', 'for_review', 'done'].includes(c.key),
  )
  return [
    `| ${cols.map((c) => `${LANE_MARK[c.key]} ${c.label}`).join(' | ')} |`,
    `| ${cols.map(() => '---:').join(' | ')} |`,
    `| ${cols.map((c) => c.count).join(' | ')} |`,
  ]
}

function cardRow(c: BoardCard, withTime: boolean): string {
  const lane = c.lane ?? 'unreadable'
  const title = c.error ? `⚠ ${c.error}` : c.title
  const cells = [c.wp_id, title, lane, c.actor, c.dependencies.join(', '), c.blocked_by.join(', ')]
  if (withTime) cells.push(formatDuration(c.seconds_in_lane))
  return `| ${cells.map(cell).join(' | ')} |`
}

function wpTable(cards: BoardCard[], withTime: boolean): string[] {
  const head = ['WP', 'Title', 'Lane', 'Actor', 'Dependencies', 'Blocked by', ...(withTime ? ['In lane'] : [])]
  return [
    `| ${head.join(' | ')} |`,
    `| ${head.map(() => '---').join(' | ')} |`,
    ...cards.map((c) => cardRow(c, withTime)),
  ]
}

function nodeId(id: string): string {
  return id.replace(/[^A-Za-z0-9_]/g, '_')
}

/** The dependency graph as a Mermaid flowchart; with `foldDone`, done WPs become one node. */
export function mermaidGraph(board: Board, foldDone: boolean): string {
  const cards = board.columns.flatMap((c) => c.cards).sort((a, b) => compareWpIds(a.wp_id, b.wp_id))
  const folded = new Set(foldDone ? cards.filter((c) => c.lane === 'done').map((c) => c.wp_id) : [])
  const lines = ['```mermaid', 'flowchart LR']
  if (folded.size > 0) lines.push(`  DONE_WPS["${LANE_MARK.done} ${folded.size} done WPs"]:::done`)
  for (const c of cards) {
    if (folded.has(c.wp_id)) continue
    const lane = c.lane ?? 'unreadable'
    const title = c.error ? 'unreadable file' : (c.title ?? '')
    lines.push(`  ${nodeId(c.wp_id)}["${LANE_MARK[lane]} ${c.wp_id} · ${mermaidText(title)}<br/>${lane}"]:::${lane}`)
  }
  const seen = new Set<string>()
  for (const e of board.graph.edges) {
    const from = folded.has(e.from) ? 'DONE_WPS' : nodeId(e.from)
    const to = folded.has(e.to) ? 'DONE_WPS' : nodeId(e.to)
    const line = `  ${from} ${e.satisfied ? '-->' : '-.->'} ${to}`
    if (from === to || seen.has(line)) continue
    seen.add(line)
    lines.push(line)
  }
  const used = new Set(cards.map((c) => c.lane ?? 'unreadable'))
  for (const [lane, style] of Object.entries(MERMAID_STYLE))
    if (used.has(lane as Lane) || (lane === 'done' && folded.size > 0)) lines.push(`  classDef ${lane} ${style}`)
  lines.push('```')
  return lines.join('\n')
}

export interface BoardMarkdownOptions {
  /** The most characters the board may take (the caller's field limit minus what else it holds). */
  maxChars: number
}

/**
 * The board in as much detail as fits: everything; then done WPs folded; then without the graph;
 * then the counts and progress alone.
 */
export function renderBoardMarkdown(board: Board, options: BoardMarkdownOptions): string {
  const cards = board.columns.flatMap((c) => c.cards).sort((a, b) => compareWpIds(a.wp_id, b.wp_id))
  const withTime = cards.some((c) => c.seconds_in_lane !== null)
  const head = [progressLine(board), '', ...countsTable(board)]
  if (board.graph.cycle) head.push('', `⚠ Dependency cycle: ${escapeMarkdown(board.graph.cycle.join(' → '))}`)
  if (board.graph.unknown_dependencies.length > 0) {
    head.push(
      '',
      `⚠ Unknown dependencies: ${escapeMarkdown(
        board.graph.unknown_dependencies.map((u) => `${u.wp_id} → ${u.dependency}`).join(', '),
        { max: 1000 },
      )}`,
    )
  }
  const done = cards.filter((c) => c.lane === 'done')
  const open = cards.filter((c) => c.lane !== 'done')
  const foldedTable = (): string[] =>
    done.length === 0
      ? wpTable(cards, withTime)
      : [
          ...wpTable(open, withTime),
          '',
          `<details><summary>${LANE_MARK.done} ${done.length} done WP(s)</summary>`,
          '',
          ...wpTable(done, withTime),
          '',
          '</details>',
        ]
  const graph = (fold: boolean): string[] => {
    const g = mermaidGraph(board, fold)
    return g.length <= MAX_MERMAID_CHARS ? ['', '**Dependencies** (solid: satisfied, dotted: waiting)', '', g] : []
  }
  const bigGraph = cards.length > MAX_GRAPH_NODES
  const attempts: string[][] = [
    ...(done.length === 0 || cards.length <= 12
      ? [[...head, '', ...wpTable(cards, withTime), ...graph(bigGraph)]]
      : []),
    [...head, '', ...foldedTable(), ...graph(bigGraph || done.length > 0)],
    [...head, '', ...foldedTable(), '', '_The dependency graph is left out: the mission is too large for this field._'],
  ]
  for (const lines of attempts) {
    const text = lines.join('\n')
    if (text.length <= options.maxChars) return text
  }
  // Past every fallback: the table is still the most useful part; the caller's cut says what is missing.
  return attempts.at(-1)!.join('\n')
}

export { LANE_LABELS }
