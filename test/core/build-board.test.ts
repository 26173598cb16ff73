import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Board, BoardWpInput } from '../../src/core/build-board.ts'
import { buildBoard, formatDuration, layerWps } from '../../src/core/build-board.ts'
import { readBoard } from '../../src/engine/mission/read-board.ts'
import { listMissionDirs } from '../../src/store/state-files/read-mission.ts'
import { Snapshot } from '../../src/store/objects/snapshot.ts'
import { readRef } from '../../src/store/repository.ts'
import { openContext } from '../../src/surface/open-context.ts'
import type { OpenedContext } from '../../src/surface/open-context.ts'
import { renderBoardPage } from '../../src/board/render-board-html.ts'
import { renderBoardMarkdown } from '../../src/github/render-board-markdown.ts'
import { cleanupTempDirs, copyCorpus } from '../helpers/git-repo.ts'

afterAll(cleanupTempDirs)

const NOW = new Date('2026-03-10T12:00:00Z')
const mission = { mission_id: null, mission_slug: '099-m', mission_number: 99, mission_type: 'software-dev' }

function wp(
  id: string,
  lane: BoardWpInput['lane'],
  dependencies: string[] = [],
  extra: Partial<BoardWpInput> = {},
): BoardWpInput {
  return { wp_id: id, title: `Title ${id}`, lane, dependencies, actor: null, lane_since: null, ...extra }
}

const board = (wps: BoardWpInput[], history = []) =>
  buildBoard({ mission, commit: 'a'.repeat(40), work_packages: wps, history, now: NOW })

/** Every known dependency sits in an earlier layer than the WP that needs it (a cycle's back edge aside). */
function expectLayersRespectDependencies(b: Board): void {
  const layerOf = new Map<string, number>()
  b.graph.layers.forEach((layer, i) => layer.forEach((id) => layerOf.set(id, i)))
  const cycle = new Set(b.graph.cycle ?? [])
  for (const e of b.graph.edges) {
    if (cycle.has(e.from) && cycle.has(e.to)) continue
    expect(layerOf.get(e.from)!, `${e.to} depends on ${e.from}`).toBeLessThan(layerOf.get(e.to)!)
  }
}

describe('buildBoard: the one view model', () => {
  it('lanes in workflow order; each WP in its lane; counts, progress, blocked-by', () => {
    const b = board([
      wp('WP01', 'done'),
      wp('WP02', 'in_progress', ['WP01']),
      wp('WP03', 'planned', ['WP02', 'WP01']),
      wp('WP04', 'canceled'),
    ])
    expect(b.columns.map((c) => c.key)).toEqual([
      'planned',
      'claimed',
      'in_progress',
      'for_review',
      'in_review',
      'approved',
      'done',
      'blocked',
      'canceled',
    ])
    expect(b.columns.find((c) => c.key === 'in_progress')!.cards.map((c) => c.wp_id)).toEqual(['WP02'])
    expect(b.counts).toMatchObject({ done: 1, in_progress: 1, planned: 1, canceled: 1 })
    expect(b.progress).toBeCloseTo(1 / 3)
    const wp3 = b.columns[0]!.cards[0]!
    expect(wp3.blocked_by).toEqual(['WP02'])
    expect(b.columns.find((c) => c.key === 'in_progress')!.cards[0]!.blocked_by).toEqual([])
  })

  it('the graph in layers by topological depth; satisfied edges marked', () => {
    const b = board([
      wp('WP01', 'approved'),
      wp('WP02', 'planned', ['WP01']),
      wp('WP03', 'planned', ['WP01']),
      wp('WP04', 'planned', ['WP02', 'WP03']),
      wp('WP05', 'planned'),
    ])
    expect(b.graph.layers).toEqual([['WP01', 'WP05'], ['WP02', 'WP03'], ['WP04']])
    expect(b.graph.edges).toContainEqual({ from: 'WP01', to: 'WP02', satisfied: true })
    expect(b.graph.edges).toContainEqual({ from: 'WP02', to: 'WP04', satisfied: false })
    expectLayersRespectDependencies(b)
  })

  it('a cycle and an unknown dependency still draw, and are reported', () => {
    const b = board([wp('WP01', 'planned', ['WP02']), wp('WP02', 'planned', ['WP01']), wp('WP03', 'planned', ['WP09'])])
    expect(b.graph.cycle).toEqual(['WP01', 'WP02', 'WP01'])
    expect(b.graph.unknown_dependencies).toEqual([{ wp_id: 'WP03', dependency: 'WP09' }])
    expect(b.graph.layers.flat().sort()).toEqual(['WP01', 'WP02', 'WP03'])
    expect(b.columns[0]!.cards.find((c) => c.wp_id === 'WP03')!.blocked_by).toEqual(['WP09'])
  })

  it('a broken WP file is a card in an Unreadable column carrying its error', () => {
    const b = board([wp('WP01', 'planned'), wp('WP02', null, [], { error: 'WP_FILE_INVALID: bad YAML at line 3' })])
    const col = b.columns.at(-1)!
    expect(col.key).toBe('unreadable')
    expect(col.cards[0]).toMatchObject({ wp_id: 'WP02', error: 'WP_FILE_INVALID: bad YAML at line 3' })
    expect(b.total).toBe(2)
  })

  it('time in lane from the entry time; the history is cut to the limit', () => {
    const history = Array.from({ length: 30 }, (_, i) => ({
      commit: String(i).padStart(40, '0'),
      timestamp: NOW.toISOString(),
      wp_id: 'WP01',
      from_lane: 'planned',
      to_lane: 'claimed',
      actor: 'a',
      command: 'transition',
      subject: 's',
    }))
    const b = buildBoard({
      mission,
      commit: null,
      work_packages: [wp('WP01', 'claimed', [], { lane_since: '2026-03-08T10:00:00Z' })],
      history,
      now: NOW,
      historyLimit: 5,
    })
    expect(b.columns[1]!.cards[0]!.seconds_in_lane).toBe(2 * 86_400 + 2 * 3_600)
    expect(formatDuration(b.columns[1]!.cards[0]!.seconds_in_lane)).toBe('2d 2h')
    expect(b.history).toHaveLength(5)
    expect(formatDuration(null)).toBe('—')
    expect(formatDuration(125)).toBe('2m')
  })

  it('layerWps puts a long chain one layer apart', () => {
    const chain = new Map(Array.from({ length: 50 }, (_, i) => [`WP${i + 1}`, i === 0 ? [] : [`WP${i}`]]))
    expect(layerWps(chain).get('WP50')).toBe(49)
  })
})

describe('buildBoard: cards', () => {
  it('cards come out in WP-id order whatever the input order, each with its dependencies and layer', () => {
    const b = board([wp('WP10', 'planned', ['WP02']), wp('WP02', 'planned', ['WP1']), wp('WP1', 'planned')])
    const cards = b.columns[0]!.cards
    expect(cards.map((c) => c.wp_id)).toEqual(['WP1', 'WP02', 'WP10'])
    expect(cards.map((c) => c.dependencies)).toEqual([[], ['WP1'], ['WP02']])
    expect(cards.map((c) => c.layer)).toEqual([0, 1, 2])
    expect(b.graph.edges).toEqual([
      { from: 'WP1', to: 'WP02', satisfied: false },
      { from: 'WP02', to: 'WP10', satisfied: false },
    ])
  })

  it('an approved, done or canceled WP is blocked by nothing, even with unfinished dependencies', () => {
    const b = board([
      wp('WP01', 'planned'),
      wp('WP02', 'approved', ['WP01']),
      wp('WP03', 'done', ['WP01']),
      wp('WP04', 'canceled', ['WP01']),
      wp('WP05', 'blocked', ['WP01', 'WP09']),
    ])
    const cards = new Map(b.columns.flatMap((c) => c.cards).map((c) => [c.wp_id, c]))
    expect(cards.get('WP02')!.blocked_by).toEqual([])
    expect(cards.get('WP03')!.blocked_by).toEqual([])
    expect(cards.get('WP04')!.blocked_by).toEqual([])
    expect(cards.get('WP05')!.blocked_by).toEqual(['WP01', 'WP09'])
  })

  it('an unreadable entry time gives no time in lane; a future one counts as zero', () => {
    const b = board([
      wp('WP01', 'planned', [], { lane_since: 'yesterday-ish' }),
      wp('WP02', 'planned', [], { lane_since: '2026-03-11T00:00:00Z' }),
      wp('WP03', 'planned'),
    ])
    expect(b.columns[0]!.cards.map((c) => c.seconds_in_lane)).toEqual([null, 0, null])
  })

  it('progress is 0, not NaN, when every WP is canceled or there are none', () => {
    expect(board([wp('WP01', 'canceled')]).progress).toBe(0)
    expect(board([]).progress).toBe(0)
    expect(board([wp('WP01', 'done'), wp('WP02', 'canceled')]).progress).toBe(1)
  })
})

describe('layerWps', () => {
  it('each layer lists its WPs in id order, whatever order the depth-first walk met them', () => {
    const b = board([wp('WP01', 'planned', ['WP03']), wp('WP02', 'planned'), wp('WP03', 'planned')])
    expect(b.graph.layers).toEqual([['WP02', 'WP03'], ['WP01']])
  })

  it('a cycle is cut at the edge met last when walking in WP-id order, whatever the map order', () => {
    const depths = (entries: Array<[string, string[]]>) => Object.fromEntries(layerWps(new Map(entries)))
    // WP01 is visited first, so its dependency WP02 is reached before the back edge WP02 → WP01 closes.
    expect(
      depths([
        ['WP01', ['WP02']],
        ['WP02', ['WP01']],
      ]),
    ).toEqual({ WP01: 1, WP02: 0 })
    expect(
      depths([
        ['WP02', ['WP01']],
        ['WP01', ['WP02']],
      ]),
    ).toEqual({ WP01: 1, WP02: 0 })
    const b = board([wp('WP01', 'planned', ['WP02']), wp('WP02', 'planned', ['WP01'])])
    expect(b.graph.layers).toEqual([['WP02'], ['WP01']])
  })

  it('a wide, deep graph is layered once per WP (depths are remembered, not recomputed per path)', () => {
    // 30 layers of 2 WPs, each depending on both WPs of the layer below: 2^30 paths, 60 WPs.
    const entries: Array<[string, string[]]> = []
    for (let layer = 0; layer < 30; layer++) {
      const below = layer === 0 ? [] : [`WP${2 * layer - 1}`, `WP${2 * layer}`]
      entries.push([`WP${2 * layer + 1}`, below], [`WP${2 * layer + 2}`, below])
    }
    const depth = layerWps(new Map(entries))
    expect(depth.get('WP60')).toBe(29)
    expect(depth.get('WP1')).toBe(0)
  })
})

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [59, '59s'],
    [60, '1m'],
    [3_599, '59m'],
    [3_600, '1h'],
    [3_660, '1h 1m'],
    [86_399, '23h 59m'],
    [86_400, '1d'],
    [86_400 + 59 * 60, '1d'],
    [90_000, '1d 1h'],
    [10 * 86_400 + 23 * 3_600, '10d 23h'],
  ])('%i seconds → %s', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text)
  })
})

describe('the corpus: every mission renders, layers respect dependencies', () => {
  let opened: OpenedContext
  let dirs: string[]
  beforeAll(async () => {
    const repo = copyCorpus()
    opened = await openContext({ repo }, { env: {}, cwd: repo }, 'corr-test')
    const snapshot = await Snapshot.at(opened.ctx.repo, await readRef(opened.ctx.repo, opened.ctx.branch.ref))
    dirs = await listMissionDirs(snapshot)
  })
  afterAll(() => opened.release())

  it('all corpus missions', async () => {
    expect(dirs.length).toBeGreaterThan(40)
    let wps = 0
    for (const dir of dirs) {
      let b: Board
      try {
        b = await readBoard(opened.ctx, dir, { now: NOW })
      } catch (err) {
        // A mission the engine refuses as a whole (e.g. two files for one WP) is refused by the board too.
        expect((err as { code?: string }).code, dir).toMatch(
          /^(WP_FILE_INVALID|MISSION_META_INVALID|MISSION_NOT_FOUND)$/,
        )
        continue
      }
      const cards = b.columns.flatMap((c) => c.cards)
      expect(cards.length, dir).toBe(b.total)
      expect(new Set(cards.map((c) => c.wp_id)).size, dir).toBe(b.total)
      for (const c of cards)
        expect(b.columns.find((col) => col.cards.includes(c))!.key, `${dir} ${c.wp_id}`).toBe(c.lane ?? 'unreadable')
      expect(b.graph.layers.flat().length, dir).toBe(b.total)
      expectLayersRespectDependencies(b)
      const html = renderBoardPage(b)
      for (const c of cards) expect(html, `${dir} ${c.wp_id}`).toContain(`data-wp="${c.wp_id}"`)
      expect(renderBoardMarkdown(b, { maxChars: 40_000 }).length, dir).toBeLessThanOrEqual(40_000)
      wps += b.total
    }
    expect(wps).toBeGreaterThan(200)
  })
})
