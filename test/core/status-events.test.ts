import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { EventLogInvalidError } from '../../src/core/errors.ts'
import { LANES } from '../../src/core/lanes.ts'
import { pythonJsonIndented, pythonJsonLine } from '../../src/core/python-json.ts'
import { displayLane, materializeStatusJson, reduceStatusEvents } from '../../src/core/reduce-status-events.ts'
import {
  formatAnnotation,
  formatTransition,
  isEventLane,
  parseEventLog,
  parseEventTime,
  pythonIsoUtc,
} from '../../src/core/status-events.ts'
import { CORPUS, PROJECT_ROOT } from '../helpers/git-repo.ts'

/** status.events.jsonl + status.json + meta.json of three missions in upstream spec-kitty HEAD's own repository. */
const RUNS = Number(process.env['KITTY_FUZZ_RUNS'] ?? 100)
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
    const lines = read(join(UPSTREAM_HEAD, mission), 'status.events.jsonl')
      .split('\n')
      .filter((l) => l.trim() !== '')
    expect(lines.length).toBeGreaterThan(10)
    for (const l of lines) expect(pythonJsonLine(JSON.parse(l))).toBe(l)
  })

  it.each(headMissions)('%s: our reducer materialises upstream’s status.json byte for byte', (mission) => {
    const dir = join(UPSTREAM_HEAD, mission)
    const meta = JSON.parse(read(dir, 'meta.json'))
    const reduced = reduceStatusEvents(parseEventLog(read(dir, 'status.events.jsonl'), 'status.events.jsonl'))
    const ours = materializeStatusJson(reduced, {
      missionNumber: meta.mission_number ?? null,
      missionType: meta.mission_type ?? '',
    })
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
    const count = (m: string) =>
      Object.keys(reduceStatusEvents(parseEventLog(read(join(CORPUS, m), 'status.events.jsonl'), m)).work_packages)
        .length
    expect([
      count('035-frontmatter-history-to-canonical-jsonl'),
      count('036-kittify-runtime-centralization'),
      count('037-mission-dsl-foundation'),
    ]).toEqual([6, 8, 9])
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

describe("upstream's reducer", () => {
  it('keeps the first of a repeated event id and reports the repeat', () => {
    const text = [
      line({ event_id: '01AAAAAAAAAAAAAAAAAAAAAAA1', from_lane: 'planned', to_lane: 'claimed' }),
      line({
        event_id: '01AAAAAAAAAAAAAAAAAAAAAAA1',
        from_lane: 'planned',
        to_lane: 'done',
        at: '2026-01-02T00:00:00+00:00',
      }),
    ].join('\n')
    const reduced = reduceStatusEvents(parseEventLog(text, 'log'))
    expect(reduced.work_packages['WP01']!.lane).toBe('claimed')
    expect(reduced.duplicates).toEqual(['01AAAAAAAAAAAAAAAAAAAAAAA1'])
    expect(reduced.event_count).toBe(1)
  })

  it('orders by at, then event_id, whatever the line order', () => {
    const text = [
      line({
        event_id: '01AAAAAAAAAAAAAAAAAAAAAAA3',
        from_lane: 'claimed',
        to_lane: 'in_progress',
        at: '2026-01-03T00:00:00+00:00',
      }),
      line({
        event_id: '01AAAAAAAAAAAAAAAAAAAAAAA2',
        from_lane: 'planned',
        to_lane: 'claimed',
        at: '2026-01-02T00:00:00+00:00',
      }),
      line({
        event_id: '01AAAAAAAAAAAAAAAAAAAAAAB1',
        from_lane: 'planned',
        to_lane: 'blocked',
        at: '2026-01-04T00:00:00+00:00',
        wp_id: 'WP02',
      }),
      line({
        event_id: '01AAAAAAAAAAAAAAAAAAAAAAB0',
        from_lane: 'planned',
        to_lane: 'canceled',
        at: '2026-01-04T00:00:00+00:00',
        wp_id: 'WP02',
      }),
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
      pythonJsonLine({
        actor: 'x',
        at: '2026-02-01T00:00:00+00:00',
        delta: { note: 'hello' },
        event_id: '01AAAAAAAAAAAAAAAAAAAAAAA2',
        kind: 'annotation',
        wp_id: 'WP01',
      }),
      pythonJsonLine({
        actor: 'x',
        at: '2026-02-01T00:00:00+00:00',
        delta: { note: 'hi' },
        event_id: '01AAAAAAAAAAAAAAAAAAAAAAA3',
        kind: 'annotation',
        wp_id: 'WP02',
      }),
      line({ event_id: '01AAAAAAAAAAAAAAAAAAAAAAA4', from_lane: 'genesis', to_lane: 'planned', wp_id: 'WP03' }),
    ].join('\n')
    const reduced = reduceStatusEvents(parseEventLog(text, 'log'))
    expect(reduced.work_packages['WP01']).toMatchObject({ lane: 'claimed', notes: ['hello'], force_count: 0 })
    expect(reduced.work_packages['WP02']!.lane).toBe('uninitialized')
    expect([
      displayLane(reduced.work_packages['WP02']),
      displayLane(reduced.work_packages['WP03']),
      displayLane(undefined),
    ]).toEqual(['planned', 'planned', 'planned'])
    expect(reduced.summary.planned).toBe(1)
  })
})

describe('bad lines', () => {
  const good = line({ event_id: '01AAAAAAAAAAAAAAAAAAAAAAA1', from_lane: 'planned', to_lane: 'claimed' })
  const cases: Array<[string, string, RegExp]> = [
    ['not JSON', '{"event_id": ', /Invalid JSON/],
    ['not an object', '[1, 2]', /expected JSON object/],
    ['an unknown kind', '{"kind": "bogus", "event_id": "x"}', /Unknown event kind "bogus"/],
    [
      'an unknown lane',
      line({ event_id: 'e', from_lane: 'planned', to_lane: 'shipped' }),
      /"to_lane" "shipped" is not a lane/,
    ],
    [
      'a path for a WP id',
      line({ event_id: 'e', from_lane: 'planned', to_lane: 'done', wp_id: '../../etc' }),
      /not a work package id/,
    ],
    ['no event id', line({ from_lane: 'planned', to_lane: 'done' }), /"event_id"/],
    ['a string force', line({ event_id: 'e', from_lane: 'planned', to_lane: 'done', force: 'yes' }), /"force"/],
    [
      'evidence without a review',
      line({ event_id: 'e', from_lane: 'planned', to_lane: 'done', evidence: { x: 1 } }),
      /"evidence"/,
    ],
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
    expect(pythonJsonLine({ b: 1, a: ['x', null, true], é: 'naïve — ok' })).toBe(
      '{"a": ["x", null, true], "b": 1, "\\u00e9": "na\\u00efve \\u2014 ok"}',
    )
    expect(pythonJsonIndented({ b: {}, a: [] })).toBe('{\n  "a": [],\n  "b": {}\n}')
    expect(pythonJsonIndented({ k: 'naïve' })).toBe('{\n  "k": "naïve"\n}')
  })

  it('datetime.isoformat(): microseconds, no fraction when they are zero', () => {
    expect(pythonIsoUtc(1_767_225_600_000_000n)).toBe('2026-01-01T00:00:00+00:00')
    expect(pythonIsoUtc(1_767_225_600_000_001n)).toBe('2026-01-01T00:00:00.000001+00:00')
    expect(parseEventTime('2025-11-02T16:58:36Z')).toBe(1_762_102_716_000_000n)
  })
})

/** The reason EVENT_LOG_INVALID gives for a log of one line, or null when the line parses. */
function reasonFor(text: string): string | null {
  try {
    parseEventLog(text, 'log')
    return null
  } catch (err) {
    expect(err).toBeInstanceOf(EventLogInvalidError)
    return (err as EventLogInvalidError).data['reason'] as string
  }
}

const ULID_A = '01AAAAAAAAAAAAAAAAAAAAAAA1'

function annotationLine(fields: Record<string, unknown>): string {
  return pythonJsonLine({
    actor: 'x',
    at: '2026-02-01T00:00:00+00:00',
    delta: { note: 'n' },
    event_id: ULID_A,
    kind: 'annotation',
    wp_id: 'WP01',
    ...fields,
  })
}

describe('isEventLane', () => {
  it('takes the nine lanes and upstream’s genesis and uninitialized, nothing else', () => {
    for (const l of [...LANES, 'genesis', 'uninitialized']) expect(isEventLane(l), l).toBe(true)
    for (const v of ['shipped', 'doing', 'Planned', '', null, undefined, 1, ['planned']])
      expect(isEventLane(v), String(v)).toBe(false)
  })
})

describe('parseEventLog: transitions', () => {
  it('reads every field of a transition line', () => {
    const review_result = {
      reviewer: 'rev',
      verdict: 'changes_requested',
      reference: 'review-3',
      feedback_path: 'feedback/WP01.md',
    }
    const text = line({
      event_id: ULID_A,
      from_lane: 'in_review',
      to_lane: 'in_progress',
      force: true,
      reason: 'needs work',
      review_ref: 'review-3',
      review_result,
      policy_metadata: { shell_pid: 5 },
    })
    expect(parseEventLog(text, 'log')).toStrictEqual({
      transitions: [
        {
          kind: 'transition',
          line: 1,
          event_id: ULID_A,
          wp_id: 'WP01',
          from_lane: 'in_review',
          to_lane: 'in_progress',
          at: '2026-01-01T00:00:00+00:00',
          actor: 'a',
          force: true,
          mission_slug: '099-x',
          reason: 'needs work',
          review_ref: 'review-3',
          review_result,
          policy_metadata: { shell_pid: 5 },
        },
      ],
      annotations: [],
    })
  })

  it('absent optional fields read as null, and a review result without feedback_path has no such key', () => {
    const text = pythonJsonLine({
      actor: 'a',
      at: '2026-01-01T00:00:00+00:00',
      event_id: 'e1',
      force: false,
      from_lane: 'genesis',
      to_lane: 'uninitialized',
      wp_id: 'WP01',
      review_result: { reviewer: 'r', verdict: 'approved', reference: 'x', feedback_path: null },
    })
    expect(parseEventLog(text, 'log').transitions[0]).toMatchObject({
      mission_slug: '',
      reason: null,
      review_ref: null,
      policy_metadata: null,
      from_lane: 'genesis',
      to_lane: 'uninitialized',
    })
    expect(parseEventLog(text, 'log').transitions[0]!.review_result).toStrictEqual({
      reviewer: 'r',
      verdict: 'approved',
      reference: 'x',
    })
  })

  it('the slug is mission_slug, else the 0.x feature_slug', () => {
    const slug = (fields: Record<string, unknown>) =>
      parseEventLog(line({ event_id: 'e', from_lane: 'planned', to_lane: 'claimed', ...fields }), 'log').transitions[0]!
        .mission_slug
    expect(slug({ mission_slug: undefined, feature_slug: '012-old' })).toBe('012-old')
    expect(slug({ mission_slug: '', feature_slug: '012-old' })).toBe('012-old')
    expect(slug({ mission_slug: '099-new', feature_slug: '012-old' })).toBe('099-new')
    expect(slug({ mission_slug: null })).toBe('')
  })

  it('evidence may be null or carry a complete review', () => {
    const review = { reviewer: 'r', verdict: 'approved', reference: 'x' }
    expect(
      reasonFor(line({ event_id: 'e', from_lane: 'in_review', to_lane: 'approved', evidence: { review } })),
    ).toBeNull()
    expect(reasonFor(line({ event_id: 'e', from_lane: 'in_review', to_lane: 'approved', evidence: null }))).toBeNull()
  })

  it('numbers each line, blank lines included, whatever the line ending', () => {
    const a = line({ event_id: 'e1', from_lane: 'planned', to_lane: 'claimed' })
    const b = line({ event_id: 'e2', from_lane: 'claimed', to_lane: 'in_progress' })
    const c = annotationLine({})
    const parsed = parseEventLog(`${a}\r\n\r${b}\n\n${c}`, 'log')
    expect(parsed.transitions.map((e) => e.line)).toEqual([1, 3])
    expect(parsed.annotations.map((e) => e.line)).toEqual([5])
  })

  it('a leading byte-order mark is dropped; one inside a value is kept', () => {
    // The raw character, not the \ufeff escape the ASCII line writer would put there.
    const text = line({ event_id: 'e1', from_lane: 'planned', to_lane: 'claimed', reason: 'a\uFEFFb' }).replace(
      '\\ufeff',
      '\uFEFF',
    )
    expect(text).toContain('"a\uFEFFb"')
    expect(parseEventLog(`\uFEFF${text}`, 'log').transitions[0]!.reason).toBe('a\uFEFFb')
    expect(parseEventLog(text, 'log').transitions[0]!.reason).toBe('a\uFEFFb')
  })

  it('kind null is a transition', () => {
    expect(
      parseEventLog(line({ event_id: 'e', from_lane: 'planned', to_lane: 'claimed', kind: null }), 'log').transitions,
    ).toHaveLength(1)
  })
})

describe('parseEventLog: rows that share the file', () => {
  it.each([
    ['an event_type row', { event_type: 'MissionCreated' }],
    ['a retrospective.* event_name', { event_name: 'retrospective.captured' }],
    ['a RetrospectiveCaptured type', { type: 'RetrospectiveCaptured' }],
    ['a RetrospectiveCaptureFailed type', { type: 'RetrospectiveCaptureFailed' }],
    ['a RetrospectiveSkipped type', { type: 'RetrospectiveSkipped' }],
  ])('%s is skipped, however malformed as a transition', (_name, fields) => {
    expect(parseEventLog(pythonJsonLine({ ...fields, force: 'n/a' }), 'log')).toStrictEqual({
      transitions: [],
      annotations: [],
    })
  })

  it.each([
    ['another event_name', { event_name: 'mission.started' }],
    ['another type', { type: 'Transition' }],
    ['a non-string type', { type: ['RetrospectiveCaptured'] }],
  ])('a lane event with %s is still read', (_name, fields) => {
    expect(
      parseEventLog(line({ event_id: 'e', from_lane: 'planned', to_lane: 'claimed', ...fields }), 'log').transitions,
    ).toHaveLength(1)
  })
})

describe('parseEventLog: actor', () => {
  const actorOf = (actor: unknown) =>
    parseEventLog(line({ event_id: 'e', from_lane: 'planned', to_lane: 'claimed', actor }), 'log').transitions[0]!.actor
  const binding = (tool: string | null, role: string | null) => ({
    model: null,
    profile: 'implementer-ivan',
    role,
    tool,
  })

  it('a plain string is the actor', () => {
    expect(actorOf('claude')).toBe('claude')
    expect(actorOf('')).toBe('')
  })

  it('a {role, profile, tool, model} binding projects to its tool, else its role, else ""', () => {
    expect(actorOf(binding('claude', 'implementer'))).toBe('claude')
    expect(actorOf(binding(null, 'reviewer'))).toBe('reviewer')
    expect(actorOf(binding('', 'reviewer'))).toBe('reviewer')
    expect(actorOf(binding(null, null))).toBe('')
  })

  it('a binding written with its keys in another order is the same binding', () => {
    const text = line({ event_id: 'e', from_lane: 'planned', to_lane: 'claimed' }).replace(
      '"actor": "a"',
      '"actor": {"tool": "codex", "role": "implementer", "profile": null, "model": null}',
    )
    expect(parseEventLog(text, 'log').transitions[0]!.actor).toBe('codex')
  })

  it.each([
    ['a number', 5],
    ['null', null],
    ['an array', ['claude']],
    ['a binding missing a key', { profile: 'p', role: 'r', tool: 't' }],
    ['a binding with an extra key', { model: null, profile: 'p', role: 'r', tool: 't', id: 'x' }],
    ['a runtime actor', { display: null, id: 'spec-kitty-generator', kind: 'runtime' }],
    ['a binding with a number in it', { model: 4, profile: 'p', role: 'r', tool: 't' }],
  ])('%s is refused', (_name, actor) => {
    expect(reasonFor(line({ event_id: 'e', from_lane: 'planned', to_lane: 'claimed', actor }))).toBe(
      'Invalid event structure: "actor" must be a string or a {role, profile, tool, model} object',
    )
  })
})

describe('parseEventLog: refusals name the field', () => {
  const transition = (fields: Record<string, unknown>) =>
    line({ event_id: 'e', from_lane: 'planned', to_lane: 'claimed', ...fields })
  const cases: Array<[string, string, string]> = [
    ['JSON null', 'null', 'Invalid event structure: expected JSON object'],
    ['a JSON string', '"WP01"', 'Invalid event structure: expected JSON object'],
    ['an unknown kind', '{"kind": "runtime"}', 'Invalid event structure: Unknown event kind "runtime"'],
    [
      'a blank event id',
      transition({ event_id: '  ' }),
      'Invalid event structure: "event_id" must be a non-empty string',
    ],
    [
      'a numeric event id',
      transition({ event_id: 7 }),
      'Invalid event structure: "event_id" must be a non-empty string',
    ],
    ['a missing force', transition({ force: undefined }), 'Invalid event structure: "force" must be true or false'],
    ['a numeric reason', transition({ reason: 5 }), 'Invalid event structure: "reason" must be a string or null'],
    [
      'an object review_ref',
      transition({ review_ref: {} }),
      'Invalid event structure: "review_ref" must be a string or null',
    ],
    [
      'a numeric mission slug',
      transition({ mission_slug: 99 }),
      'Invalid event structure: "mission_slug" must be a string or null',
    ],
    [
      'a string review result',
      transition({ review_result: 'approved' }),
      'Invalid event structure: "review_result" must be an object or null',
    ],
    [
      'an array review result',
      transition({ review_result: [] }),
      'Invalid event structure: "review_result" must be an object or null',
    ],
    [
      'a review result with no verdict',
      transition({ review_result: { reviewer: 'r', reference: 'x' } }),
      'Invalid event structure: "verdict" must be a non-empty string',
    ],
    [
      'a numeric feedback path',
      transition({ review_result: { reviewer: 'r', verdict: 'v', reference: 'x', feedback_path: 1 } }),
      'Invalid event structure: "feedback_path" must be a string or null',
    ],
    [
      'string evidence',
      transition({ evidence: 'ok' }),
      'Invalid event structure: "evidence" must be null or carry review {reviewer, verdict, reference}',
    ],
    [
      'evidence with a null review',
      transition({ evidence: { review: null } }),
      'Invalid event structure: "evidence" must be null or carry review {reviewer, verdict, reference}',
    ],
    [
      'evidence with a string review',
      transition({ evidence: { review: 'ok' } }),
      'Invalid event structure: "evidence.review" must be an object or null',
    ],
    [
      'array policy metadata',
      transition({ policy_metadata: [] }),
      'Invalid event structure: "policy_metadata" must be an object or null',
    ],
    [
      'string policy metadata',
      transition({ policy_metadata: 'x' }),
      'Invalid event structure: "policy_metadata" must be an object or null',
    ],
    [
      'an unknown from lane',
      transition({ from_lane: 'doing' }),
      'Invalid event structure: "from_lane" "doing" is not a lane',
    ],
    [
      'a missing to lane',
      transition({ to_lane: undefined }),
      'Invalid event structure: "to_lane" undefined is not a lane',
    ],
    [
      'a lower-case WP id',
      transition({ wp_id: 'wp01' }),
      'Invalid event structure: "wp_id" "wp01" is not a work package id (WP01…)',
    ],
    [
      'a seven-digit WP id',
      transition({ wp_id: 'WP1234567' }),
      'Invalid event structure: "wp_id" "WP1234567" is not a work package id (WP01…)',
    ],
    ['a blank at', transition({ at: '' }), 'Invalid event structure: "at" must be a non-empty string'],
    [
      'an annotation with a non-ULID id',
      annotationLine({ event_id: 'e1' }),
      'Invalid event structure: annotation "event_id" "e1" is not a ULID',
    ],
    [
      'an annotation with a lower-case ULID',
      annotationLine({ event_id: ULID_A.toLowerCase() }),
      `Invalid event structure: annotation "event_id" "${ULID_A.toLowerCase()}" is not a ULID`,
    ],
    [
      'an annotation with a null delta',
      annotationLine({ delta: null }),
      'Invalid event structure: annotation "delta" must be an object',
    ],
    [
      'an annotation with an array delta',
      annotationLine({ delta: [] }),
      'Invalid event structure: annotation "delta" must be an object',
    ],
    [
      'an annotation without a WP',
      annotationLine({ wp_id: undefined }),
      'Invalid event structure: "wp_id" must be a non-empty string',
    ],
    [
      'an annotation with a numeric actor',
      annotationLine({ actor: 1 }),
      'Invalid event structure: "actor" must be a string or a {role, profile, tool, model} object',
    ],
  ]
  it.each(cases)('%s', (_name, text, reason) => {
    expect(reasonFor(text)).toBe(reason)
  })

  it('the message names the path and the line and says nothing was changed', () => {
    expect(() => parseEventLog('\n{', 'kitty-specs/m/status.events.jsonl')).toThrow(
      /^Event log kitty-specs\/m\/status\.events\.jsonl is invalid on line 2: Invalid JSON \(.+\)\. Fix or remove that line \(git log -p -- kitty-specs\/m\/status\.events\.jsonl shows who wrote it\); nothing was changed\.$/,
    )
  })
})

describe('parseEventLog: annotations', () => {
  it('reads an annotation line whole', () => {
    const delta = { note: 'hello', subtasks: { T001: 'done' } }
    const actor = { model: null, profile: 'implementer-ivan', role: 'implementer', tool: 'claude' }
    expect(parseEventLog(annotationLine({ delta, actor }), 'log')).toStrictEqual({
      transitions: [],
      annotations: [
        {
          kind: 'annotation',
          line: 1,
          event_id: ULID_A,
          wp_id: 'WP01',
          at: '2026-02-01T00:00:00+00:00',
          actor: 'claude',
          delta,
        },
      ],
    })
  })
})

describe('formatTransition / formatAnnotation', () => {
  const base = {
    event_id: ULID_A,
    mission_slug: '099-x',
    wp_id: 'WP01',
    from_lane: 'planned',
    to_lane: 'claimed',
    at: '2026-01-01T00:00:00+00:00',
    actor: 'claude',
    force: false,
    execution_mode: 'worktree',
    reason: null,
    review_ref: null,
    evidence: null,
    review_result: null,
    policy_metadata: null,
  } as const

  it('a transition without a mission id has no mission_id key', () => {
    expect(formatTransition({ ...base, mission_id: null })).toBe(
      `{"actor": "claude", "at": "2026-01-01T00:00:00+00:00", "event_id": "${ULID_A}", "evidence": null, "execution_mode": "worktree", "force": false, "from_lane": "planned", "mission_slug": "099-x", "policy_metadata": null, "reason": null, "review_ref": null, "review_result": null, "to_lane": "claimed", "wp_id": "WP01"}`,
    )
  })

  it('a transition with a mission id writes it in key order', () => {
    expect(formatTransition({ ...base, mission_id: '01KZY2FGYX2B90XXDD1DM3M95B' })).toContain(
      '"mission_id": "01KZY2FGYX2B90XXDD1DM3M95B", "mission_slug": "099-x"',
    )
  })

  it('an annotation is one sorted line with kind "annotation", and parses back to itself', () => {
    const text = formatAnnotation({
      event_id: ULID_A,
      wp_id: 'WP02',
      at: '2026-02-01T00:00:00+00:00',
      actor: 'user',
      delta: { subtasks: { T002: 'done' }, note: 'é' },
    })
    expect(text).toBe(
      `{"actor": "user", "at": "2026-02-01T00:00:00+00:00", "delta": {"note": "\\u00e9", "subtasks": {"T002": "done"}}, "event_id": "${ULID_A}", "kind": "annotation", "wp_id": "WP02"}`,
    )
    expect(parseEventLog(text, 'log').annotations[0]).toMatchObject({ wp_id: 'WP02', delta: { note: 'é' } })
  })
})

describe('parseEventTime / pythonIsoUtc', () => {
  it.each([
    ['Z', '2025-11-02T16:58:36Z', 1_762_102_716_000_000n],
    ['+00:00', '2025-11-02T16:58:36+00:00', 1_762_102_716_000_000n],
    ['an offset', '2025-11-02T18:58:36+02:00', 1_762_102_716_000_000n],
    ['a negative offset', '2025-11-02T15:58:36-01:00', 1_762_102_716_000_000n],
    ['no zone (read as UTC)', '2025-11-02T16:58:36', 1_762_102_716_000_000n],
    ['microseconds', '2025-11-02T16:58:36.000123+00:00', 1_762_102_716_000_123n],
    ['a short fraction', '2025-11-02T16:58:36.5Z', 1_762_102_716_500_000n],
    ['nanoseconds (truncated)', '2025-11-02T16:58:36.123456789Z', 1_762_102_716_123_456n],
  ])('%s', (_name, at, micros) => {
    expect(parseEventTime(at)).toBe(micros)
  })

  it.each([
    '',
    'yesterday',
    '2025-11-02',
    '2025-11-02 16:58:36Z',
    'x2025-11-02T16:58:36Z',
    '2025-11-02T16:58:36Zjunk',
    '2025-11-02T16:58:36.Z',
    '2025-13-02T16:58:36Z',
    '2025-11-02T16:58:36+0000',
  ])('%j is not a time', (at) => {
    expect(parseEventTime(at)).toBeNull()
  })

  it('a time without a zone is UTC whatever the machine’s time zone', () => {
    const tz = process.env['TZ']
    process.env['TZ'] = 'America/New_York'
    try {
      expect(parseEventTime('2025-11-02T16:58:36')).toBe(1_762_102_716_000_000n)
    } finally {
      if (tz === undefined) delete process.env['TZ']
      else process.env['TZ'] = tz
    }
  })

  it('isoformat before 1970 borrows from the second', () => {
    expect(pythonIsoUtc(-1n)).toBe('1969-12-31T23:59:59.999999+00:00')
    expect(pythonIsoUtc(-1_000_000n)).toBe('1969-12-31T23:59:59+00:00')
  })

  it(`property: isoformat and read-back round-trip every microsecond (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -62_135_596_800_000_000n, max: 253_402_300_799_999_999n }), (micros) => {
        const text = pythonIsoUtc(micros)
        expect(text).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{6})?\+00:00$/)
        expect(parseEventTime(text)).toBe(micros)
      }),
      { numRuns: RUNS * 10 },
    )
  })
})
