import { readdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { LANES } from '../../src/core/lanes.ts'
import type { ReducedLog, WpState } from '../../src/core/reduce-status-events.ts'
import { displayLane, materializeStatusJson, reduceStatusEvents } from '../../src/core/reduce-status-events.ts'
import type { AnnotationEvent, EventLane, EventStream, TransitionEvent } from '../../src/core/status-events.ts'
import { parseEventLog } from '../../src/core/status-events.ts'
import { PROJECT_ROOT } from '../helpers/git-repo.ts'

const RUNS = Number(process.env['KITTY_FUZZ_RUNS'] ?? 100)
const UPSTREAM_HEAD = resolve(PROJECT_ROOT, 'test/fixtures/upstream-head')
const AT = '2026-03-01T10:00:00+00:00'

let serial = 0
/** A unique, sortable event id (later calls sort after earlier ones). */
function nextId(): string {
  serial++
  return `01J${String(serial).padStart(23, '0')}`
}

function t(from: EventLane, to: EventLane, fields: Partial<TransitionEvent> = {}): TransitionEvent {
  return {
    kind: 'transition',
    line: 1,
    event_id: nextId(),
    wp_id: 'WP01',
    from_lane: from,
    to_lane: to,
    at: AT,
    actor: 'claude',
    force: false,
    mission_slug: '099-demo',
    reason: null,
    review_ref: null,
    review_result: null,
    policy_metadata: null,
    ...fields,
  }
}

function ann(delta: Record<string, unknown>, fields: Partial<AnnotationEvent> = {}): AnnotationEvent {
  return {
    kind: 'annotation',
    line: 1,
    event_id: nextId(),
    wp_id: 'WP01',
    at: '2026-03-02T00:00:00+00:00',
    actor: 'user',
    delta,
    ...fields,
  }
}

function reduce(transitions: TransitionEvent[], annotations: AnnotationEvent[] = []): ReducedLog {
  return reduceStatusEvents({ transitions, annotations })
}

function wp(transitions: TransitionEvent[], annotations: AnnotationEvent[] = [], id = 'WP01'): WpState {
  return reduce(transitions, annotations).work_packages[id]!
}

const REVIEW = { reviewer: 'rev', verdict: 'changes_requested', reference: 'review-1' }
const ZERO = Object.fromEntries(LANES.map((l) => [l, 0]))

describe('reduceStatusEvents: golden upstream HEAD logs', () => {
  it.each(readdirSync(UPSTREAM_HEAD))('%s: the reduced WPs are the ones upstream’s status.json holds', (mission) => {
    const dir = join(UPSTREAM_HEAD, mission)
    const theirs = JSON.parse(readFileSync(join(dir, 'status.json'), 'utf8'))
    const reduced = reduceStatusEvents(
      parseEventLog(readFileSync(join(dir, 'status.events.jsonl'), 'utf8'), 'status.events.jsonl'),
    )
    expect(reduced.work_packages).toStrictEqual(theirs.work_packages)
    expect(reduced.summary).toStrictEqual(theirs.summary)
    expect([reduced.mission_slug, reduced.event_count, reduced.last_event_id, reduced.materialized_at]).toEqual([
      theirs.mission_slug,
      theirs.event_count,
      theirs.last_event_id,
      theirs.materialized_at,
    ])
    expect(reduced.duplicates).toEqual([])
  })
})

describe('reduceStatusEvents: the log', () => {
  it('an empty log reduces to nothing, with every lane counted 0', () => {
    expect(reduce([])).toStrictEqual({
      mission_slug: '',
      materialized_at: '',
      event_count: 0,
      last_event_id: null,
      work_packages: {},
      summary: ZERO,
      duplicates: [],
    })
  })

  it('the log-level fields come from the first and last events in (at, event_id) order', () => {
    const late = t('claimed', 'in_progress', { at: '2026-03-05T00:00:00+00:00', mission_slug: 'other-slug' })
    const early = t('planned', 'claimed', { at: '2026-03-04T00:00:00+00:00', mission_slug: '099-demo' })
    const reduced = reduce([late, early])
    expect(reduced).toMatchObject({
      mission_slug: '099-demo',
      materialized_at: late.at,
      event_count: 2,
      last_event_id: late.event_id,
    })
  })

  it('repeated event ids: the first copy counts and every later copy is reported', () => {
    const first = t('planned', 'claimed')
    const again = { ...first, to_lane: 'done' as const, at: '2026-03-09T00:00:00+00:00' }
    const reduced = reduce([first, again, again])
    expect(reduced.duplicates).toEqual([first.event_id, first.event_id])
    expect(reduced.event_count).toBe(1)
    expect(reduced.work_packages['WP01']!.lane).toBe('claimed')
  })

  it('counts each WP in the summary under its lane; genesis and annotation-only WPs are counted nowhere', () => {
    const reduced = reduce(
      [
        t('planned', 'claimed'),
        t('genesis', 'planned', { wp_id: 'WP02' }),
        t('planned', 'done', { wp_id: 'WP03' }),
        t('planned', 'genesis', { wp_id: 'WP04' }),
      ],
      [ann({ note: 'x' }, { wp_id: 'WP05' })],
    )
    expect(reduced.summary).toStrictEqual({ ...ZERO, claimed: 1, planned: 1, done: 1 })
  })

  it('does not reorder the stream it is given', () => {
    const stream: EventStream = {
      transitions: [
        t('planned', 'claimed', { at: '2026-03-05T00:00:00+00:00' }),
        t('genesis', 'planned', { at: '2026-03-04T00:00:00+00:00' }),
      ],
      annotations: [
        ann({ note: 'b' }, { at: '2026-03-07T00:00:00+00:00' }),
        ann({ note: 'a' }, { at: '2026-03-06T00:00:00+00:00' }),
      ],
    }
    const before = JSON.stringify(stream)
    reduceStatusEvents(stream)
    expect(JSON.stringify(stream)).toBe(before)
  })
})

describe('reduceStatusEvents: ordering', () => {
  it('applies transitions by at, then by event_id, whatever their order in the file', () => {
    const a = t('planned', 'claimed', { at: '2026-03-01T00:00:00+00:00' })
    const b = t('claimed', 'in_progress', { at: '2026-03-02T00:00:00+00:00' })
    const c1 = t('in_progress', 'for_review', { at: '2026-03-03T00:00:00+00:00' })
    const c2 = t('for_review', 'blocked', { at: '2026-03-03T00:00:00+00:00' })
    expect(wp([c2, b, c1, a]).lane).toBe('blocked')
    expect(wp([c2, c1, b, a]).last_event_id).toBe(c2.event_id)
  })

  it('folds annotations by at, then by event_id', () => {
    const n1 = ann({ note: 'one' }, { at: '2026-03-02T00:00:00+00:00' })
    const n2 = ann({ note: 'two' }, { at: '2026-03-03T00:00:00+00:00' })
    const n3 = ann({ note: 'three' }, { at: '2026-03-03T00:00:00+00:00' })
    expect(wp([t('planned', 'claimed')], [n3, n2, n1]).notes).toEqual(['one', 'two', 'three'])
  })

  it('annotations with the same at and event id fold in file order', () => {
    const first = ann({ note: 'first' })
    const second = { ...first, delta: { note: 'second' } }
    expect(wp([], [first, second]).notes).toEqual(['first', 'second'])
  })

  it(`property: many events at a few instants, in any order, fold as sorted by (at, event_id) (${RUNS} runs)`, () => {
    const instants = ['2026-03-01T00:00:00+00:00', '2026-03-01T00:00:00.000001+00:00', '2026-03-02T00:00:00+00:00']
    const events = Array.from({ length: 90 }, (_, i) => ann({ note: `n${i}` }, { at: instants[i % 3]! }))
    const expected = [...events]
      .sort((x, y) => (x.at === y.at ? (x.event_id < y.event_id ? -1 : 1) : x.at < y.at ? -1 : 1))
      .map((e) => e.delta['note'])
    const transitions = events.map((e, i) => t('planned', LANES[i % LANES.length]!, { at: e.at, event_id: e.event_id }))
    fc.assert(
      fc.property(
        fc.shuffledSubarray(events, { minLength: events.length }),
        fc.shuffledSubarray(transitions, { minLength: transitions.length }),
        (anns, trs) => {
          const reduced = reduce(trs, anns)
          expect(reduced.work_packages['WP01']!.notes).toEqual(expected)
          expect(reduced.last_event_id).toBe(transitions.at(-1)!.event_id)
          expect(reduced.work_packages['WP01']!.lane).toBe(transitions.at(-1)!.to_lane)
        },
      ),
      { numRuns: RUNS },
    )
  })
})

describe('reduceStatusEvents: a transition’s state', () => {
  it('is the lane, actor, time and event id of the transition, and nothing else', () => {
    const e = t('planned', 'claimed', { actor: 'codex' })
    expect(wp([e])).toStrictEqual({
      lane: 'claimed',
      actor: 'codex',
      last_transition_at: AT,
      last_event_id: e.event_id,
      force_count: 0,
    })
  })

  it('counts forced transitions across the WP’s history', () => {
    const events = [
      t('planned', 'done', { force: true, at: '2026-03-01T00:00:00+00:00' }),
      t('done', 'planned', { force: false, at: '2026-03-02T00:00:00+00:00' }),
      t('planned', 'canceled', { force: true, at: '2026-03-03T00:00:00+00:00' }),
    ]
    expect(wp(events).force_count).toBe(2)
    expect(wp(events.slice(0, 2)).force_count).toBe(1)
  })

  it('planned → claimed takes shell_pid, shell_pid_created_at and agent from policy_metadata', () => {
    const meta = { shell_pid: 4242, shell_pid_created_at: '1786902897.901367', agent: 'claude', other: 'x' }
    expect(wp([t('planned', 'claimed', { policy_metadata: meta })])).toMatchObject({
      shell_pid: 4242,
      shell_pid_created_at: '1786902897.901367',
      agent: 'claude',
    })
    expect(wp([t('planned', 'claimed', { policy_metadata: meta })])).not.toHaveProperty('other')
  })

  it('a 0 pid is kept; null pids and an empty agent are not written', () => {
    const state = wp([
      t('planned', 'claimed', { policy_metadata: { shell_pid: 0, shell_pid_created_at: null, agent: '' } }),
    ])
    expect(state['shell_pid']).toBe(0)
    expect(Object.keys(state).sort()).toEqual([
      'actor',
      'force_count',
      'lane',
      'last_event_id',
      'last_transition_at',
      'shell_pid',
    ])
    const created = wp([t('planned', 'claimed', { policy_metadata: { shell_pid: null, shell_pid_created_at: 0 } })])
    expect(Object.keys(created).sort()).toEqual([
      'actor',
      'force_count',
      'lane',
      'last_event_id',
      'last_transition_at',
      'shell_pid_created_at',
    ])
  })

  it('only planned → claimed reads policy_metadata', () => {
    const meta = { shell_pid: 1, shell_pid_created_at: '2', agent: 'claude' }
    for (const [from, to] of [
      ['planned', 'in_progress'],
      ['blocked', 'claimed'],
    ] as const) {
      expect(Object.keys(wp([t(from, to, { policy_metadata: meta })])), `${from} → ${to}`).toHaveLength(5)
    }
    expect(Object.keys(wp([t('planned', 'claimed')]))).toHaveLength(5)
  })

  it('carries the runtime slots a WP already has to its next transition, and only those', () => {
    const claim = t('planned', 'claimed', {
      at: '2026-03-01T00:00:00+00:00',
      policy_metadata: { shell_pid: 7, agent: 'claude' },
    })
    const note = ann({ note: 'started', subtasks: { T001: 'done' } }, { at: '2026-03-01T12:00:00+00:00' })
    const start = t('claimed', 'in_progress', { at: '2026-03-02T00:00:00+00:00' })
    // Annotations fold after every transition, so the note lands on the final state.
    const state = wp([claim, start], [note])
    expect(state).toStrictEqual({
      lane: 'in_progress',
      actor: 'claude',
      last_transition_at: start.at,
      last_event_id: start.event_id,
      force_count: 0,
      shell_pid: 7,
      agent: 'claude',
      notes: ['started'],
      subtasks: { T001: 'done' },
    })
  })

  it('records a review result, and a move out of in_review without one records null', () => {
    const withResult = t('for_review', 'in_progress', { review_result: REVIEW, review_ref: 'review-1' })
    expect(wp([withResult])['review_result']).toEqual(REVIEW)
    const approved = t('in_review', 'approved')
    expect(wp([approved])).toHaveProperty('review_result', null)
    expect(wp([t('for_review', 'in_review')])).not.toHaveProperty('review_result')
  })

  it('keeps the last review result across later transitions that have none', () => {
    const events = [
      t('in_review', 'in_progress', { at: '2026-03-01T00:00:00+00:00', review_result: REVIEW }),
      t('in_progress', 'for_review', { at: '2026-03-02T00:00:00+00:00' }),
    ]
    expect(wp(events)['review_result']).toEqual(REVIEW)
    expect(wp([t('planned', 'claimed')])).not.toHaveProperty('review_result')
  })
})

describe('reduceStatusEvents: two transitions at the same instant', () => {
  function lane(...events: TransitionEvent[]): string {
    return wp(events).lane
  }

  it('a forward move never beats an in_review → in_progress rollback', () => {
    expect(lane(t('in_review', 'in_progress'), t('in_review', 'approved'))).toBe('in_progress')
  })

  it('a for_review → in_progress move with a review_ref is a rollback', () => {
    expect(lane(t('for_review', 'in_progress', { review_ref: 'r1' }), t('for_review', 'in_review'))).toBe('in_progress')
  })

  it('a for_review → in_progress move without a review_ref is a plain move: the later id wins', () => {
    expect(lane(t('for_review', 'in_progress'), t('for_review', 'in_review'))).toBe('in_review')
  })

  it('a move out of in_review to anything but in_progress is not a rollback', () => {
    expect(lane(t('in_review', 'blocked'), t('in_review', 'approved'))).toBe('approved')
    expect(lane(t('in_review', 'for_review'), t('in_review', 'approved'))).toBe('approved')
  })

  it('a move to in_progress from elsewhere is not a rollback', () => {
    expect(lane(t('blocked', 'in_progress'), t('blocked', 'canceled'))).toBe('canceled')
    expect(lane(t('blocked', 'in_progress', { review_ref: 'r1' }), t('blocked', 'canceled'))).toBe('canceled')
  })

  it('a rollback after a rollback, and a rollback after a forward move, both apply', () => {
    const first = t('in_review', 'in_progress', { actor: 'first' })
    const second = t('for_review', 'in_progress', { review_ref: 'r2', actor: 'second' })
    expect(wp([second, first]).actor).toBe('second')
    expect(lane(t('in_review', 'approved'), t('in_review', 'in_progress'))).toBe('in_progress')
  })

  it('the tie-break is per WP and per instant', () => {
    const rollback = t('in_review', 'in_progress')
    expect(wp([rollback, t('in_review', 'approved', { wp_id: 'WP02' })], [], 'WP02').lane).toBe('approved')
    expect(lane(rollback, t('in_review', 'approved', { at: '2026-03-01T10:00:00.000001+00:00' }))).toBe('approved')
  })

  it('a refused forward move leaves the rollback’s whole state', () => {
    const rollback = t('in_review', 'in_progress', { actor: 'reviewer' })
    expect(wp([rollback, t('in_review', 'approved', { actor: 'approver', force: true })])).toMatchObject({
      actor: 'reviewer',
      last_event_id: rollback.event_id,
      force_count: 0,
    })
  })
})

describe('reduceStatusEvents: annotations', () => {
  const claimed = () =>
    t('planned', 'claimed', { policy_metadata: { shell_pid: 11, shell_pid_created_at: '5.0', agent: 'claude' } })

  it('a WP known only from annotations is uninitialized, with the first annotation’s actor', () => {
    const state = wp(
      [],
      [
        ann({ note: 'a' }, { actor: 'first', at: '2026-03-01T00:00:00+00:00' }),
        ann({ note: 'b' }, { actor: 'second' }),
      ],
    )
    expect(state).toStrictEqual({
      lane: 'uninitialized',
      actor: 'first',
      last_transition_at: null,
      last_event_id: null,
      force_count: 0,
      notes: ['a', 'b'],
    })
  })

  it('never change the lane, actor or last event', () => {
    const e = t('planned', 'claimed')
    const state = wp([e], [ann({ role: 'implementer' }, { actor: 'someone-else' })])
    expect(state).toMatchObject({ lane: 'claimed', actor: 'claude', last_event_id: e.event_id, role: 'implementer' })
  })

  it('release_runtime_claim: true clears agent and shell pid', () => {
    expect(wp([claimed()], [ann({ release_runtime_claim: true })])).toMatchObject({
      agent: null,
      shell_pid: null,
      shell_pid_created_at: null,
    })
  })

  it('release_runtime_claim other than true clears nothing', () => {
    expect(wp([claimed()], [ann({ release_runtime_claim: 'true' })])).toMatchObject({
      agent: 'claude',
      shell_pid: 11,
      shell_pid_created_at: '5.0',
    })
  })

  it('a release and a new claim in one delta: the new values win', () => {
    expect(wp([claimed()], [ann({ release_runtime_claim: true, agent: 'codex' })])).toMatchObject({
      agent: 'codex',
      shell_pid: null,
    })
  })

  it('replaces every runtime slot it sets, and skips null, empty and absent ones', () => {
    const delta = {
      shell_pid: 99,
      shell_pid_created_at: '6.5',
      agent: 'codex',
      assignee: 'ann',
      role: 'reviewer',
      agent_profile: 'implementer-ivan',
      agent_profile_version: '1.0',
      model: 'm',
      provider: 'p',
    }
    expect(wp([claimed()], [ann(delta)])).toMatchObject(delta)
    const kept = wp([claimed()], [ann({ shell_pid: null, agent: '', role: undefined, model: 0 })])
    expect(kept).toMatchObject({ shell_pid: 11, agent: 'claude', model: 0 })
    expect(kept).not.toHaveProperty('role')
  })

  it('merges subtask states, later values winning', () => {
    const state = wp(
      [],
      [
        ann({ subtasks: { T001: 'doing', T002: 'done' } }, { at: '2026-03-01T00:00:00+00:00' }),
        ann({ subtasks: { T001: 'done' } }),
      ],
    )
    expect(state['subtasks']).toStrictEqual({ T001: 'done', T002: 'done' })
  })

  it('ignores a subtasks value that is not an object', () => {
    expect(wp([], [ann({ subtasks: 'T001' }), ann({ subtasks: null })])).not.toHaveProperty('subtasks')
  })

  it('appends notes; a non-string note is ignored', () => {
    const state = wp(
      [],
      [
        ann({ note: 'a' }, { at: '2026-03-01T00:00:00+00:00' }),
        ann({ note: 5 }),
        ann({ note: '' }, { at: '2026-03-03T00:00:00+00:00' }),
      ],
    )
    expect(state['notes']).toEqual(['a', ''])
    expect(wp([], [ann({ note: ['x'] })])).not.toHaveProperty('notes')
  })

  it('tracker_refs adds refs without repeats; tracker_refs_replace replaces them', () => {
    const add1 = ann({ tracker_refs: ['#1', '#2', '#1'] }, { at: '2026-03-01T00:00:00+00:00' })
    const add2 = ann({ tracker_refs: ['#2', '#3'] }, { at: '2026-03-02T00:00:00+00:00' })
    expect(wp([], [add1, add2])['tracker_refs']).toEqual(['#1', '#2', '#3'])
    const replace = ann(
      { tracker_refs_replace: ['#9', '#9', '#8'], tracker_refs: ['#7'] },
      { at: '2026-03-03T00:00:00+00:00' },
    )
    expect(wp([], [add1, replace])['tracker_refs']).toEqual(['#9', '#8'])
    expect(wp([], [ann({ tracker_refs: '#1' }), ann({ tracker_refs_replace: '#2' })])).not.toHaveProperty(
      'tracker_refs',
    )
  })

  it('a review delta is kept whole, or null when every value in it is empty', () => {
    const review = { reviewer: 'rev', verdict: 'approved', feedback: '' }
    expect(wp([], [ann({ review })])['review']).toStrictEqual(review)
    for (const empty of [{}, { reviewer: null, verdict: '' }, { reviewer: undefined }]) {
      expect(
        wp([], [ann({ review: { x: 1 } }, { at: '2026-03-01T00:00:00+00:00' }), ann({ review: empty })]),
        JSON.stringify(empty),
      ).toHaveProperty('review', null)
    }
    expect(wp([], [ann({ review: 'lgtm' })])).not.toHaveProperty('review')
    expect(wp([], [ann({ review: null })])).not.toHaveProperty('review')
  })
})

describe('displayLane', () => {
  it('a WP with no lane event yet reads as planned', () => {
    const state = (lane: string) => ({
      lane,
      actor: 'a',
      last_transition_at: null,
      last_event_id: null,
      force_count: 0,
    })
    expect([displayLane(undefined), displayLane(state('genesis')), displayLane(state('uninitialized'))]).toEqual([
      'planned',
      'planned',
      'planned',
    ])
    expect(LANES.map((l) => displayLane(state(l)))).toEqual([...LANES])
  })
})

describe('safe mission slug', () => {
  const slugOf = (mission_slug: string) => reduce([t('planned', 'claimed', { mission_slug })]).mission_slug
  it.each(['', '   ', '.hidden', 'a..b', 'a/b', 'a\\b', 'two words', 'caf\u00e9', 'tab\there', 'del\u007f'])(
    '%j is not a safe path segment and reads as ""',
    (slug) => {
      expect(slugOf(slug)).toBe('')
    },
  )
  it.each(['099-demo', 'mission-type-guard-registry-01KZY2FG', 'v1.2', 'a.', '~x!'])('%j is kept', (slug) => {
    expect(slugOf(slug)).toBe(slug)
  })
})

describe('materializeStatusJson', () => {
  const reduced = () => reduce([t('planned', 'claimed', { mission_slug: '  012-demo \n' })])

  function doc(r: ReducedLog, missionNumber: number | string | null, missionType = 'software-dev') {
    return JSON.parse(materializeStatusJson(r, { missionNumber, missionType })) as Record<string, unknown>
  }

  it('writes the reduced log with sorted keys, two-space indent and a trailing newline', () => {
    const e = t('planned', 'claimed', { mission_slug: 'demo' })
    const text = materializeStatusJson(reduce([e]), { missionNumber: null, missionType: 'software-dev' })
    expect(text.startsWith('{\n  "event_count": 1,\n  "last_event_id": "')).toBe(true)
    expect(text.endsWith('\n  }\n}\n')).toBe(true)
    expect(Object.keys(JSON.parse(text))).toEqual([
      'event_count',
      'last_event_id',
      'materialized_at',
      'mission_number',
      'mission_slug',
      'mission_type',
      'summary',
      'work_packages',
    ])
    expect(JSON.parse(text)).toMatchObject({
      mission_slug: 'demo',
      mission_number: '',
      materialized_at: AT,
      last_event_id: e.event_id,
    })
  })

  it('trims the slug and the mission type', () => {
    expect(doc(reduced(), null, ' software-dev\n')).toMatchObject({
      mission_slug: '012-demo',
      mission_type: 'software-dev',
    })
  })

  it('mission_number: meta’s number as text, else its trimmed string, else the slug’s numeric prefix without zeros', () => {
    expect(doc(reduced(), 7)['mission_number']).toBe('7')
    expect(doc(reduced(), 0)['mission_number']).toBe('0')
    expect(doc(reduced(), ' 0012 ')['mission_number']).toBe('0012')
    expect(doc(reduced(), null)['mission_number']).toBe('12')
    expect(doc(reduced(), '  ')['mission_number']).toBe('12')
  })

  it('mission_number is "" without a number and without a leading "<digits>-" in the slug', () => {
    const slug = (mission_slug: string) => reduce([t('planned', 'claimed', { mission_slug })])
    expect(doc(slug('demo-12-x'), null)['mission_number']).toBe('')
    expect(doc(slug('12demo'), null)['mission_number']).toBe('')
    expect(doc(slug('123-x'), null)['mission_number']).toBe('123')
    expect(doc(reduce([]), null)).toMatchObject({
      mission_number: '',
      mission_slug: '',
      materialized_at: '',
      last_event_id: null,
      work_packages: {},
    })
  })
})
