import { describe, expect, it } from 'vitest'
import { renderBoardPage } from '../../src/board/render-board-html.ts'
import type { BoardWpInput } from '../../src/core/build-board.ts'
import { buildBoard } from '../../src/core/build-board.ts'
import { interpretWorkPackage } from '../../src/core/work-package.ts'

const NOW = new Date('2026-03-10T12:00:00Z')
const HOSTILE = `"><script>alert(1)</script><img src=x onerror=alert(2)>'`

describe('the static page', () => {
  it('escapes every attacker-written string (titles, actors, ids, mission slug) and loads nothing', () => {
    const wps: BoardWpInput[] = [
      { wp_id: 'WP01', title: HOSTILE, lane: 'planned', dependencies: ['WP02'], actor: HOSTILE, lane_since: HOSTILE },
      {
        wp_id: 'WP02',
        title: null,
        lane: null,
        dependencies: [],
        actor: null,
        lane_since: null,
        error: `WP_FILE_INVALID: ${HOSTILE}`,
      },
    ]
    const board = buildBoard({
      mission: {
        mission_id: null,
        mission_slug: HOSTILE,
        mission_number: null,
        mission_type: null,
        friendly_name: HOSTILE,
      },
      commit: null,
      work_packages: wps,
      history: [],
      now: NOW,
    })
    const html = renderBoardPage(board)
    expect(html).not.toContain('<script>alert')
    expect(html).not.toContain('<img')
    expect(html).not.toMatch(/onerror=alert\(2\)>/)
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;')
    // The only script is the page's own inline one; nothing has a src or an external href.
    expect(html.match(/<script>/g)).toHaveLength(1)
    expect(html).not.toMatch(/\s(src|href)="(?!#)/)
    expect(html).toContain('Cannot read this WP')
  })
})

describe('time in lane from the frontmatter history', () => {
  it('the first entry of the trailing run in the current lane; null when the history does not say', () => {
    const history = [
      { timestamp: '2026-03-01T10:00:00Z', lane: 'planned' },
      { timestamp: '2026-03-02T10:00:00Z', lane: 'doing' },
      { timestamp: '2026-03-03T10:00:00Z', lane: 'in_progress' },
    ]
    expect(interpretWorkPackage('WP01', 'p', { lane: 'in_progress', history }, null).laneSince).toBe(
      '2026-03-02T10:00:00Z',
    )
    expect(interpretWorkPackage('WP01', 'p', { lane: 'for_review', history }, null).laneSince).toBeNull()
    expect(interpretWorkPackage('WP01', 'p', { lane: 'planned', history: 'junk' }, null).laneSince).toBeNull()
  })
})
