import type { Board, BoardCard, BoardColumn, BoardEvent } from '../core/build-board.ts'
import { formatDuration } from '../core/build-board.ts'
import { LANE_MARK } from '../github/render-board-markdown.ts'
import type { MissionListing } from '../engine/mission/read-board.ts'
import { BOARD_CSS } from './board-css.ts'
import { LIVE_SCRIPT, KEYBOARD_SCRIPT } from './board-script.ts'

/**
 * The board as HTML: one self-contained page (inline CSS, inline SVG, no network) for `--out`, and
 * the same page with a live script for `--serve`. The live board swaps `#board` with the section
 * this module renders, so both pages are drawn by the same code.
 */

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

/** Every string from a WP file is attacker text: escaped for element content and attribute values alike. */
export function esc(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ESCAPES[c]!)
}

/** A token safe as an id or class name (WP ids and lanes are already, but never trust that). */
function token(value: string): string {
  return value.replace(/[^A-Za-z0-9_-]/g, '_')
}

function cardHtml(c: BoardCard): string {
  const lane = c.lane ?? 'unreadable'
  const facts: string[] = []
  if (c.actor) facts.push(`<dt>Actor</dt><dd>${esc(c.actor)}</dd>`)
  facts.push(
    `<dt>In lane</dt><dd>${c.lane_since ? `<time datetime="${esc(c.lane_since)}">${esc(formatDuration(c.seconds_in_lane))}</time>` : '—'}</dd>`,
  )
  if (c.dependencies.length > 0) facts.push(`<dt>Needs</dt><dd>${c.dependencies.map(esc).join(', ')}</dd>`)
  const label = `${c.wp_id}${c.title ? `: ${c.title}` : ''}, ${lane.replace('_', ' ')}${c.blocked_by.length > 0 ? `, blocked by ${c.blocked_by.join(', ')}` : ''}`
  return [
    `<li><article class="card lane-${token(lane)}${c.error ? ' card-error' : ''}" id="card-${token(c.wp_id)}" data-wp="${esc(c.wp_id)}" data-lane="${esc(lane)}" tabindex="0" aria-label="${esc(label)}">`,
    `<h4><span class="wp-id">${esc(c.wp_id)}</span> <span class="mark" aria-hidden="true">${LANE_MARK[lane]}</span></h4>`,
    c.title ? `<p class="title">${esc(c.title)}</p>` : '',
    c.error ? `<p class="error"><strong>Cannot read this WP:</strong> ${esc(c.error)}</p>` : '',
    `<dl>${facts.join('')}</dl>`,
    c.blocked_by.length > 0
      ? `<p class="blocked-by"><span aria-hidden="true">⊘</span> Blocked by ${c.blocked_by.map(esc).join(', ')}</p>`
      : '',
    '</article></li>',
  ].join('')
}

function columnHtml(col: BoardColumn): string {
  const id = `lane-${token(col.key)}`
  return [
    `<section class="lane lane-${token(col.key)}" id="${id}" data-lane="${esc(col.key)}" aria-labelledby="${id}-h">`,
    `<h3 id="${id}-h"><span class="mark" aria-hidden="true">${LANE_MARK[col.key]}</span> ${esc(col.label)} <span class="count" aria-label="${col.count} work packages">${col.count}</span></h3>`,
    col.cards.length > 0 ? `<ul class="cards">${col.cards.map(cardHtml).join('')}</ul>` : '<p class="empty">None</p>',
    '</section>',
  ].join('')
}

const NODE_W = 168
const NODE_H = 46
const GAP_X = 56
const GAP_Y = 14

/** The dependency graph, one column per layer (topological depth), as inline SVG. */
export function graphSvg(board: Board): string {
  const cards = new Map(board.columns.flatMap((c) => c.cards).map((c) => [c.wp_id, c]))
  const pos = new Map<string, { x: number; y: number }>()
  board.graph.layers.forEach((layer, li) =>
    layer.forEach((id, i) => pos.set(id, { x: 8 + li * (NODE_W + GAP_X), y: 8 + i * (NODE_H + GAP_Y) })),
  )
  const tallest = Math.max(1, ...board.graph.layers.map((l) => l.length))
  const width = 16 + Math.max(1, board.graph.layers.length) * (NODE_W + GAP_X) - GAP_X
  const height = 16 + tallest * (NODE_H + GAP_Y) - GAP_Y
  const edges = board.graph.edges.map((e) => {
    const a = pos.get(e.from)
    const b = pos.get(e.to)
    if (!a || !b) return ''
    const x1 = a.x + NODE_W
    const y1 = a.y + NODE_H / 2
    const x2 = b.x
    const y2 = b.y + NODE_H / 2
    const mid = (x1 + x2) / 2
    return `<path class="edge${e.satisfied ? ' satisfied' : ' waiting'}" d="M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2 - 4},${y2}" marker-end="url(#arrow)"><title>${esc(e.to)} depends on ${esc(e.from)}${e.satisfied ? ' (satisfied)' : ' (waiting)'}</title></path>`
  })
  const nodes = [...pos].map(([id, p]) => {
    const c = cards.get(id)!
    const lane = c.lane ?? 'unreadable'
    const title = c.title ?? (c.error ? 'unreadable file' : '')
    const short = title.length > 22 ? `${title.slice(0, 21)}…` : title
    return [
      `<g class="node lane-${token(lane)}" data-wp="${esc(id)}" transform="translate(${p.x},${p.y})">`,
      `<title>${esc(id)}: ${esc(title)} (${esc(lane)})</title>`,
      `<rect width="${NODE_W}" height="${NODE_H}" rx="6"/>`,
      `<text x="8" y="18" class="node-id">${LANE_MARK[lane]} ${esc(id)} · ${esc(lane.replace('_', ' '))}</text>`,
      `<text x="8" y="36" class="node-title">${esc(short)}</text>`,
      '</g>',
    ].join('')
  })
  return [
    `<svg class="graph" role="img" aria-labelledby="graph-title graph-desc" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" xmlns="http://www.w3.org/2000/svg">`,
    `<title id="graph-title">Dependency graph of ${esc(board.mission.mission_slug)}</title>`,
    `<desc id="graph-desc">${board.graph.layers.length} layers; each work package sits right of the work packages it depends on. Solid arrows: dependency satisfied; dashed: waiting.</desc>`,
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" class="arrow-head"/></marker></defs>',
    ...edges,
    ...nodes,
    '</svg>',
  ].join('')
}

function historyHtml(events: readonly BoardEvent[]): string {
  if (events.length === 0) return '<p class="empty">No kitty commits for this mission yet.</p>'
  return `<ol class="history">${events
    .map((e) => {
      const move = e.from_lane && e.to_lane ? `${esc(e.from_lane)} → ${esc(e.to_lane)}` : esc(e.command ?? e.subject)
      return `<li data-commit="${esc(e.commit)}"><time datetime="${esc(e.timestamp)}">${esc(e.timestamp.replace('T', ' ').replace('Z', ' UTC'))}</time> <strong>${esc(e.wp_id ?? 'mission')}</strong> ${move}${e.actor ? ` <span class="actor">by ${esc(e.actor)}</span>` : ''} <code>${esc(e.commit.slice(0, 7))}</code></li>`
    })
    .join('')}</ol>`
}

/** The part of the page that changes with the state: the live board replaces exactly this. */
export function renderBoardSection(board: Board): string {
  const pct = Math.round(board.progress * 100)
  const countable = board.total - board.counts.canceled
  return [
    `<div class="summary" data-commit="${esc(board.commit ?? '')}">`,
    `<p><strong>${board.counts.done}</strong> of <strong>${countable}</strong> work packages done (${pct}%)${board.commit ? ` · state <code>${esc(board.commit.slice(0, 7))}</code>` : ''}</p>`,
    `<progress max="100" value="${pct}" aria-label="Mission progress">${pct}%</progress>`,
    board.graph.cycle
      ? `<p class="warning" role="alert">⚠ Dependency cycle: ${board.graph.cycle.map(esc).join(' → ')}</p>`
      : '',
    board.graph.unknown_dependencies.length > 0
      ? `<p class="warning">⚠ Unknown dependencies: ${board.graph.unknown_dependencies.map((u) => `${esc(u.wp_id)} → ${esc(u.dependency)}`).join(', ')}</p>`
      : '',
    '</div>',
    '<section aria-labelledby="kanban-h"><h2 id="kanban-h">Lanes</h2>',
    '<p class="hint">Tab to a card; arrow keys move between cards and lanes.</p>',
    // Empty lanes take less room, so a busy mission's cards get the width.
    `<div class="lanes" style="grid-template-columns:${board.columns.map((c) => (c.count > 0 ? 'minmax(150px,1fr)' : 'minmax(96px,.45fr)')).join(' ')}">${board.columns.map(columnHtml).join('')}</div></section>`,
    '<section aria-labelledby="graph-h"><h2 id="graph-h">Dependencies</h2>',
    '<p class="legend"><span class="legend-solid">── satisfied</span> <span class="legend-dashed">- - waiting</span></p>',
    `<div class="graph-wrap" tabindex="0" aria-label="Dependency graph, scrollable">${graphSvg(board)}</div></section>`,
    '<section aria-labelledby="history-h"><h2 id="history-h">Recent changes</h2>',
    historyHtml(board.history),
    '</section>',
  ].join('\n')
}

export interface PageOptions {
  /** The live board: a mission picker and the script that follows `/events`. */
  live?: { missions: readonly MissionListing[]; selected: string } | undefined
}

function pickerHtml(missions: readonly MissionListing[], selected: string): string {
  const options = missions
    .map(
      (m) =>
        `<option value="${esc(m.dir)}"${m.dir === selected ? ' selected' : ''}>${esc(m.dir)}${m.friendly_name ? ` — ${esc(m.friendly_name)}` : ''}${m.error ? ' (meta.json unreadable)' : ''}</option>`,
    )
    .join('')
  return `<form class="picker" method="get" action="/"><label for="mission">Mission</label> <select id="mission" name="mission">${options}</select> <button type="submit">Show</button></form>`
}

export function renderBoardPage(board: Board, options: PageOptions = {}): string {
  const slug = board.mission.mission_slug
  const name = board.mission.friendly_name
  const live = options.live
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="color-scheme" content="light dark">',
    // The page loads nothing: a CSP makes that a property of the file, not a promise.
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:${live ? "; connect-src 'self'; form-action 'self'" : ''}">`,
    `<title>${esc(slug)} · mission board</title>`,
    `<style>${BOARD_CSS}</style>`,
    '</head>',
    `<body${live ? ` data-live="1" data-mission="${esc(live.selected)}"` : ''}>`,
    '<a class="skip" href="#board">Skip to the board</a>',
    '<header>',
    `<h1>Mission board: <span class="slug">${esc(slug)}</span></h1>`,
    name ? `<p class="friendly">${esc(name)}</p>` : '',
    live
      ? pickerHtml(live.missions, live.selected)
      : `<p class="generated">Generated ${esc(board.generated_at.replace('T', ' ').replace(/\.\d+Z$/, ' UTC'))}</p>`,
    live ? '<p class="status" id="status" role="status" aria-live="polite">Connecting…</p>' : '',
    '</header>',
    `<main id="board" tabindex="-1">${renderBoardSection(board)}</main>`,
    `<script>${KEYBOARD_SCRIPT}</script>`,
    live ? `<script>${LIVE_SCRIPT}</script>` : '',
    '</body>',
    '</html>',
    '',
  ].join('\n')
}

/** The page for a board that cannot be drawn (no missions, an unknown or unreadable one), with the missions to pick. */
export function renderErrorPage(message: string, missions: readonly MissionListing[]): string {
  const links = missions
    .map((m) => `<li><a href="/?mission=${encodeURIComponent(m.dir)}">${esc(m.dir)}</a></li>`)
    .join('')
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="color-scheme" content="light dark"><title>Mission board</title><style>${BOARD_CSS}</style></head><body><main><h1>Mission board</h1><p class="warning" role="alert">${esc(message)}</p>${links ? `<h2>Missions</h2><ul>${links}</ul>` : ''}</main></body></html>`
}
