import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { EventLogInvalidError } from '../../src/core/errors.ts'
import { pythonJsonIndented, pythonJsonLine } from '../../src/core/python-json.ts'
import { displayLane, materializeStatusJson, reduceStatusEvents } from '../../src/core/reduce-status-events.ts'
import { formatTransition, parseEventLog, parseEventTime, pythonIsoUtc } from '../../src/core/status-events.ts'
import { CORPUS, PROJECT_ROOT } from '../helpers/git-repo.ts'

/** status.events.jsonl + status.json + meta.json of three missions in upstream spec-kitty HEAD's own repository. */
const UPSTREAM_HEAD = resolve(PROJECT_ROOT, 'test/fixtures/upstream-head')
const headMissions = readdirSync(UPSTREAM_HEAD)

function read(dir: string, file: string): string {
  return readFileSync(join(dir, file), 'utf8')
}

function line(fields: Record<string, unknown>): string {
  return pythonJsonLine({
    actor: 'a',
    at: '2026-01-01T00:00:00+00:00',
    evidence: null,
    execution_mode: 'worktree',
    force: false,
    mission_slug: '099-x',
    policy_metadata: null,
    reason: null,
    review_ref: null,
    wp_id: 'WP01',
    ...fields,
  })
}

describe('golden: upstream HEAD event lines and status.json', () => {
  it.each(headMissions)('%s: every line re-serialises byte for byte as upstream wrote it', (mission) => {
    const lines = read(join(UPSTREAM_HEAD, mission), 'status.events.jsonl').split('\n').filter((l) => l.trim() !== '')
    expect(lines.length).toBeGreaterThan(10)
    for (const l of lines) expect(pythonJsonLine(JSON.parse(l))).toBe(l)
  })

  it.each(headMissions)('%s: our reducer materialises upstream’s status.json byte for byte', (mission) => {
    const dir = join(UPSTREAM_HEAD, mission)
    const meta = JSON.parse(read(dir, 'meta.json'))
    const reduced = reduceStatusEvents(parseEventLog(read(dir, 'status.events.jsonl'), 'status.events.jsonl'))
    const ours = materializeStatusJson(reduced, { missionNumber: meta.mission_number ?? null, missionType: meta.mission_type ?? '' })
    expect(ours).toBe(read(dir, 'status.json'))
  })

  it('a start-implementation batch: two lines, the same keys as upstream’s, 1 µs and one ULID step apart', () => {
    const dir = join(UPSTREAM_HEAD, 'mission-type-guard-registry-01KZY2FG')
    const theirs = read(dir, 'status.events.jsonl')
      .split('\n')
      .filter((l) => l.includes('"to_lane": "claimed"') || l.includes('"from_lane": "claimed"'))
      .map((l) => JSON.parse(l))
    expect(theirs.map((e) => [e.from_lane, e.to_lane])).toEqual([
      ['planned', 'claimed'],
      ['claimed', 'in_progress'],
    ])
    const ours = theirs.map((e) =>
      JSON.parse(
        formatTransition({
          event_id: e.event_id,
          mission_slug: e.mission_slug,
          mission_id: e.mission_id,
          wp_id: e.wp_id,
          from_lane: e.from_lane,
          to_lane: e.to_lane,
          at: e.at,
          actor: e.actor,
          force: false,
          execution_mode: 'worktree',
          reason: null,
          review_ref: null,
          evidence: null,
          review_result: null,
          policy_metadata: null,
        }),
      ),
    )
    expect(ours).toEqual(theirs)
    expect(parseEventTime(theirs[1].at)! - parseEventTime(theirs[0].at)!).toBe(1n)
  })
})

describe('golden: the corpus’s own logs reduce to the status.json upstream materialised beside them', () => {
  const logged = readdirSync(CORPUS).filter((m) => existsSync(join(CORPUS, m, 'status.events.jsonl')))

  it('covers every corpus mission with a log (32), including 035/036/037 with 6/8/9 WPs', () => {
    expect(logged).toHaveLength(32)
    const count = (m: string) => Object.keys(reduceStatusEvents(parseEventLog(read(join(CORPUS, m), 'status.events.jsonl'), m)).work_packages).length
    expect([count('035-frontmatter-history-to-canonical-jsonl'), count('036-kittify-runtime-centralization'), count('037-mission-dsl-foundation')]).toEqual([6, 8, 9])
  })

  it.each(logged)('%s', (mission) => {
    const dir = join(CORPUS, mission)
    const theirs = JSON.parse(read(dir, 'status.json'))
    const reduced = reduceStatusEvents(parseEventLog(read(dir, 'status.events.jsonl'), mission))
    // v1 wrote the wall clock as materialized_at; everything else is a function of the log.
    expect(reduced.work_packages).toEqual(theirs.work_packages)
    expect(reduced.event_count).toBe(theirs.event_count)
    expect(reduced.last_event_id).toBe(theirs.last_event_id)
    for (const [lane, n] of Object.entries(theirs.summary)) expect(reduced.summary[lane as 'done'], lane).toBe(n)
  })
})

describe('the reducer (reference §3.8)', () => {
  it('keeps the first of a repeated event id and reports the repeat', () => {
    const text = [
      line({ event_id: '01AAAAAAAAAAAAAAAAAAAAAAA1', from_lane: 'planned', to_lane: 'claimed' }),
      line({ event_id: '01AAAAAAAAAAAAAAAAAAAAAAA1', from_lane: 'planned', to_lane: 'done', at: '2026-01-02T00:00:00+00:00' }),
    ].join('\n')
    const reduced = reduceStatusEvents(parseEventLog(text, 'log'))
    expect(reduced.work_packages['WP01']!.lane).toBe('claimed')
    expect(reduced.duplicates).toEqual(['01AAAAAAAAAAAAAAAAAAAAAAA1'])
    expect(reduced.event_count).toBe(1)
  })

  it('orders by at, then event_id, whatever the line order', () => {
    const text = [
      line({ event_id: '01AAAAAAAAAAAAAAAAAAAAAAA3', from_lane: 'claimed', to_lane: 'in_progress', at: '2026-01-03T00:00:00+00:00' }),
      line({ event_id: '01AAAAAAAAAAAAAAAAAAAAAAA2', from_lane: 'planned', to_lane: 'claimed', at: '2026-01-02T00:00:00+00:00' }),
      line({ event_id: '01AAAAAAAAAAAAAAAAAAAAAAB1', from_lane: 'planned', to_lane: 'blocked', at: '2026-01-04T00:00:00+00:00', wp_id: 'WP02' }),
      line({ event_id: '01AAAAAAAAAAAAAAAAAAAAAAB0', from_lane: 'planned', to_lane: 'canceled', at: '2026-01-04T00:00:00+00:00', wp_id: 'WP02' }),
    ].join('\n')
    const reduced = reduceStatusEvents(parseEventLog(text, 'log'))
    expect(reduced.work_packages['WP01']!.lane).toBe('in_progress')
    expect(reduced.work_packages['WP02']!.lane).toBe('blocked')
    expect(reduced.last_event_id).toBe('01AAAAAAAAAAAAAAAAAAAAAAB1')
  })

  it('at the same instant a review rollback beats a forward move, and a forward move never beats a rollback', () => {
    const at = '2026-01-05T00:00:00+00:00'
    const text = [
      line({ event_id: '01AAAAAAAAAAAAAAAAAAAAAAA1', from_lane: 'in_review', to_lane: 'in_progress', at }),
      line({ event_id: '01AAAAAAAAAAAAAAAAAAAAAAA2', from_lane: 'in_review', to_lane: 'approved', at }),
    ].join('\n')
    expect(reduceStatusEvents(parseEventLog(text, 'log')).work_packages['WP01']!.lane).toBe('in_progress')
  })

  it('annotations never change a lane; a WP with no lane event reads as planned', () => {
    const text = [
      line({ event_id: '01AAAAAAAAAAAAAAAAAAAAAAA1', from_lane: 'planned', to_lane: 'claimed' }),
      pythonJsonLine({ actor: 'x', at: '2026-02-01T00:00:00+00:00', delta: { note: 'hello' }, event_id: '01AAAAAAAAAAAAAAAAAAAAAAA2', kind: 'annotation', wp_id: 'WP01' }),
      pythonJsonLine({ actor: 'x', at: '2026-02-01T00:00:00+00:00', delta: { note: 'hi' }, event_id: '01AAAAAAAAAAAAAAAAAAAAAAA3', kind: 'annotation', wp_id: 'WP02' }),
      line({ event_id: '01AAAAAAAAAAAAAAAAAAAAAAA4', from_lane: 'genesis', to_lane: 'planned', wp_id: 'WP03' }),
    ].join('\n')
    const reduced = reduceStatusEvents(parseEventLog(text, 'log'))
    expect(reduced.work_packages['WP01']).toMatchObject({ lane: 'claimed', notes: ['hello'], force_count: 0 })
    expect(reduced.work_packages['WP02']!.lane).toBe('uninitialized')
    expect([displayLane(reduced.work_packages['WP02']), displayLane(reduced.work_packages['WP03']), displayLane(undefined)]).toEqual(['planned', 'planned', 'planned'])
    expect(reduced.summary.planned).toBe(1)
  })
})

describe('bad lines', () => {
  const good = line({ event_id: '01AAAAAAAAAAAAAAAAAAAAAAA1', from_lane: 'planned', to_lane: 'claimed' })
  const cases: Array<[string, string, RegExp]> = [
    ['not JSON', '{"event_id": ', /Invalid JSON/],
    ['not an object', '[1, 2]', /expected JSON object/],
    ['an unknown kind', '{"kind": "bogus", "event_id": "x"}', /Unknown event kind "bogus"/],
    ['an unknown lane', line({ event_id: 'e', from_lane: 'planned', to_lane: 'shipped' }), /"to_lane" "shipped" is not a lane/],
    ['a path for a WP id', line({ event_id: 'e', from_lane: 'planned', to_lane: 'done', wp_id: '../../etc' }), /not a work package id/],
    ['no event id', line({ from_lane: 'planned', to_lane: 'done' }), /"event_id"/],
    ['a string force', line({ event_id: 'e', from_lane: 'planned', to_lane: 'done', force: 'yes' }), /"force"/],
    ['evidence without a review', line({ event_id: 'e', from_lane: 'planned', to_lane: 'done', evidence: { x: 1 } }), /"evidence"/],
  ]
  it.each(cases)('%s names its line number', (_name, bad, reason) => {
    const text = `${good}\n\n${bad}\n`
    let caught: unknown
    try {
      parseEventLog(text, 'kitty-specs/m/status.events.jsonl')
    } catch (err) {
      caught = err
    }
    expect(caught).toBeInstanceOf(EventLogInvalidError)
    const err = caught as EventLogInvalidError
    expect(err.data).toMatchObject({ line: 3, path: 'kitty-specs/m/status.events.jsonl' })
    expect(err.message).toMatch(reason)
    expect(err.message).toContain('line 3')
  })

  it('skips blank lines and the non-lane rows upstream shares the file with', () => {
    const text = `\n${good}\n   \n{"event_type": "WPCreated", "event_id": "z"}\n{"event_name": "retrospective.started"}\n`
    expect(parseEventLog(text, 'log').transitions).toHaveLength(1)
  })
})

describe('formats', () => {
  it('Python json.dumps: sorted keys, ", " / ": ", ASCII escapes on a line, UTF-8 kept when indented', () => {
    expect(pythonJsonLine({ b: 1, a: ['x', null, true], 'é': 'naïve — ok' })).toBe('{"a": ["x", null, true], "b": 1, "\\u00e9": "na\\u00efve \\u2014 ok"}')
    expect(pythonJsonIndented({ b: {}, a: [] })).toBe('{\n  "a": [],\n  "b": {}\n}')
    expect(pythonJsonIndented({ k: 'naïve' })).toBe('{\n  "k": "naïve"\n}')
  })

  it('datetime.isoformat(): microseconds, no fraction when they are zero', () => {
    expect(pythonIsoUtc(1_767_225_600_000_000n)).toBe('2026-01-01T00:00:00+00:00')
    expect(pythonIsoUtc(1_767_225_600_000_001n)).toBe('2026-01-01T00:00:00.000001+00:00')
    expect(parseEventTime('2025-11-02T16:58:36Z')).toBe(1_762_102_716_000_000n)
  })
})
