import MarkdownIt from 'markdown-it'
import { describe, expect, it } from 'vitest'
import type { BoardWpInput } from '../../src/core/build-board.ts'
import { buildBoard } from '../../src/core/build-board.ts'
import { makeEnvelope } from '../../src/core/envelope.ts'
import { boardFromMissionState, renderBoardMarkdown } from '../../src/github/render-board-markdown.ts'
import { MAX_FIELD_CHARS, renderOutcome } from '../../src/github/render-outcome.ts'

const NOW = new Date('2026-03-10T12:00:00Z')
const mission = { mission_id: null, mission_slug: '099-m', mission_number: 99, mission_type: 'software-dev' }

function mission_of(n: number, lane: (i: number) => BoardWpInput['lane']) {
  const wps: BoardWpInput[] = Array.from({ length: n }, (_, i) => ({
    wp_id: `WP${String(i + 1).padStart(2, '0')}`,
    title: `Work package number ${i + 1} with a descriptive title`,
    lane: lane(i),
    dependencies: i > 0 ? [`WP${String(i).padStart(2, '0')}`] : [],
    actor: 'claude',
    lane_since: null,
  }))
  return buildBoard({ mission, commit: null, work_packages: wps, history: [], now: NOW })
}

describe('the board as GitHub Markdown', () => {
  it('lane counts, a WP table and a Mermaid flowchart whose nodes are styled by lane and name it', () => {
    const board = mission_of(3, (i) => (['done', 'in_progress', 'planned'] as const)[i]!)
    const md = renderBoardMarkdown(board, { maxChars: 40_000 })
    expect(md).toContain('**Progress:** 1/3 done (33%)')
    expect(md).toMatch(
      /\| ○ Planned \| ◑ In progress \| ◕ For review \| ✓ Done \|\n\| ---: \| ---: \| ---: \| ---: \|\n\| 1 \| 1 \| 0 \| 1 \|/,
    )
    expect(md).toContain('| WP03 | Work package number 3 with a descriptive title | planned | claude | WP02 | WP02 |')
    expect(md).toContain('```mermaid\nflowchart LR')
    expect(md).toContain('WP02["◑ WP02 · Work package number 2 with a descriptiv…<br/>in_progress"]:::in_progress')
    expect(md).toContain('WP01 --> WP02')
    expect(md).toContain('WP02 -.-> WP03')
    expect(md).toMatch(/classDef in_progress fill:/)
    expect(md).not.toMatch(/classDef blocked/)
  })

  it('hostile titles cannot break the table, the collapsed block or the diagram', () => {
    const wps: BoardWpInput[] = [
      {
        wp_id: 'WP01',
        title: 'x"]:::done\n```\n</details><script>|',
        lane: 'planned',
        dependencies: [],
        actor: '<img src=x>',
        lane_since: null,
      },
    ]
    const md = renderBoardMarkdown(buildBoard({ mission, commit: null, work_packages: wps, history: [], now: NOW }), {
      maxChars: 40_000,
    })
    const mermaid = md.slice(md.indexOf('```mermaid'))
    expect(mermaid.split('```').length).toBe(3)
    expect(mermaid).toContain(
      'WP01["○ WP01 · x#quot; :::done     #lt;/details#gt;#lt;script#gt; <br/>planned"]:::planned',
    )
    expect(md).toContain('\\<\\/details\\>\\<script\\>\\|')
    // Rendered by a real CommonMark/GFM renderer: the table's text, no tag from a WP file.
    const html = new MarkdownIt({ html: true, linkify: true }).render(md)
    expect(html).not.toMatch(/<(script|img|\/details)/)
    expect(html).toContain('&lt;img src=x&gt;')
  })

  it('titles with mentions, images and links render inert (no ping, no image, no link)', () => {
    const wps: BoardWpInput[] = [
      {
        wp_id: 'WP01',
        title: 'Ship it @acme/everyone ![x](https://evil.example/t.png) [y](javascript:alert(1)) #12',
        lane: 'planned',
        dependencies: [],
        actor: '@octocat',
        lane_since: null,
      },
      { wp_id: 'WP02', title: '#lt;b#gt;', lane: 'planned', dependencies: [], actor: null, lane_since: null },
    ]
    const md = renderBoardMarkdown(buildBoard({ mission, commit: null, work_packages: wps, history: [], now: NOW }), {
      maxChars: 40_000,
    })
    const table = md.slice(0, md.indexOf('```mermaid'))
    const html = new MarkdownIt({ html: true, linkify: true }).render(table)
    expect(html).not.toMatch(/<(a|img)\b/)
    expect(html).not.toMatch(/@[a-z]/)
    expect(html).not.toMatch(/#\d/)
    expect(html.replaceAll('\u2060', '')).toContain(
      'Ship it @acme/everyone ![x](https://evil.example/t.png) [y](javascript:alert(1)) #12',
    )
    // In the Mermaid label, the title's own `#lt;` is text, not an entity Mermaid would decode to `<`.
    expect(md.slice(md.indexOf('```mermaid'))).toContain('WP02 · #35;lt;b#35;gt;')
  })

  it('a large mission folds its done WPs (table and graph) and stays inside the field', () => {
    const board = mission_of(120, (i) => (i < 90 ? 'done' : 'planned'))
    const md = renderBoardMarkdown(board, { maxChars: 40_000 })
    expect(md.length).toBeLessThanOrEqual(40_000)
    expect(md).toContain('<details><summary>✓ 90 done WP(s)</summary>')
    expect(md).toContain('DONE_WPS["✓ 90 done WPs"]:::done')
    expect(md).toContain('DONE_WPS --> WP91')
    expect(md).not.toMatch(/^ {2}WP05\[/m)
  })

  it('a huge mission drops the graph, then relies on the field cut; render-outcome stays within GitHub limits', () => {
    const board = mission_of(1500, (i) => (i % 2 ? 'done' : 'planned'))
    const md = renderBoardMarkdown(board, { maxChars: 40_000 })
    expect(md).not.toContain('```mermaid')
    expect(md).toContain('The dependency graph is left out')
    const r = renderOutcome({
      command: 'list-ready',
      envelope: makeEnvelope('list-ready', true, { mission_slug: '099-m', ready_work_packages: [] }),
      board,
    })
    for (const field of [r.checkRun.summary, r.reply, r.jobSummary])
      expect(field.length).toBeLessThanOrEqual(MAX_FIELD_CHARS)
  })

  it('boardFromMissionState reads the mission-state payload, skipping entries without an id', () => {
    const board = boardFromMissionState({
      mission_slug: '099-m',
      work_packages: [{ wp_id: 'WP01', lane: 'doing', dependencies: ['WP02', 7] }, { title: 'no id' }, null],
    })!
    expect(board.total).toBe(1)
    expect(board.columns.find((c) => c.key === 'in_progress')!.cards[0]!.dependencies).toEqual(['WP02'])
    expect(boardFromMissionState({ mission_slug: 'x' })).toBeNull()
  })
})
