import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { pythonJsonLine } from '../../src/core/python-json.ts'
import { materializeStatusJson, reduceStatusEvents } from '../../src/core/reduce-status-events.ts'
import { parseEventLog } from '../../src/core/status-events.ts'
import { WRITTEN_WP_KEYS } from '../../src/core/wp-frontmatter-keys.ts'
import { parseFrontmatter } from '../../src/store/state-files/frontmatter.ts'
import { api, cleanupTempDirs, git, kitty, makeRepo, POLICY_JSON, readWp } from '../helpers/git-repo.ts'

/**
 * Issue 21: one repository, two tools. Every file here is written the way kitty or upstream
 * spec-kitty (3.2.6rc3, HEAD e6e3b73) writes it, and each test holds kitty to what upstream reads.
 */

afterAll(cleanupTempDirs)

const M = '099-test-mission'
const UPSTREAM_FIELDS = JSON.parse(
  readFileSync(new URL('../fixtures/upstream/wp-metadata-fields.json', import.meta.url), 'utf8'),
) as { source: { commit: string; path: string }; fields: string[] }
const REVIEW = { reviewer: 'rev', verdict: 'approved', reference: 'review-1' }
const CHANGES = { reviewer: 'rev', verdict: 'changes_requested', reference: 'review-0' }

const missionDir = (repo: string) => join(repo, 'kitty-specs', M)

/** Every top-level frontmatter key of every WP file of the mission. */
function frontmatterKeys(repo: string): Set<string> {
  const keys = new Set<string>()
  const tasks = join(missionDir(repo), 'tasks')
  for (const name of readdirSync(tasks)) {
    const data = parseFrontmatter(readFileSync(join(tasks, name), 'utf8'), name).data
    for (const k of Object.keys(data)) keys.add(k)
  }
  return keys
}

function unknownToUpstream(keys: Iterable<string>): string[] {
  return [...keys].filter((k) => !UPSTREAM_FIELDS.fields.includes(k))
}

async function ok(run: Promise<{ code: number; envelope: Record<string, any>; stderr: string }>) {
  const r = await run
  expect(r.code, `${JSON.stringify(r.envelope)} ${r.stderr}`).toBe(0)
  return r.envelope
}

const step = (repo: string, command: string, flags: Record<string, string | boolean>) =>
  ok(api(repo, command, { mission: M, wp: 'WP01', policy: POLICY_JSON, ...flags }))

describe('D10: the frontmatter keys kitty writes are fields of upstream WPMetadata', () => {
  it('the fixture names its source, and every key kitty may write is one of its fields', () => {
    expect(UPSTREAM_FIELDS.source).toMatchObject({
      commit: 'e6e3b7357813f16d77b643cfae9b096f20308a2e',
      path: 'src/specify_cli/status/wp_metadata.py',
    })
    expect(UPSTREAM_FIELDS.fields).toContain('review_status')
    expect(UPSTREAM_FIELDS.fields).not.toContain('review_ref')
    expect(unknownToUpstream(WRITTEN_WP_KEYS)).toEqual([])
  })

  it('a whole lifecycle with review references (start-review, changes requested, approve, done) writes no other key', async () => {
    const repo = makeRepo([{ wps: [{ id: 'WP01', lane: 'planned', subtasks: ['T001'] }] }])
    const seen = new Set<string>()
    const check = () => {
      for (const k of frontmatterKeys(repo)) seen.add(k)
      expect(unknownToUpstream(frontmatterKeys(repo))).toEqual([])
    }
    await step(repo, 'start-implementation', { actor: 'impl', policy: POLICY_JSON })
    check()
    await step(repo, 'transition', { to: 'for_review', actor: 'impl', 'review-ref': 'PR-7' })
    check()
    await step(repo, 'start-review', { actor: 'rev', policy: POLICY_JSON, 'review-ref': 'PR-7' })
    check()
    await step(repo, 'transition', {
      to: 'in_progress',
      actor: 'rev',
      policy: POLICY_JSON,
      'review-ref': 'review-0',
      'review-result-json': JSON.stringify(CHANGES),
    })
    check()
    await step(repo, 'transition', { to: 'for_review', actor: 'impl' })
    await step(repo, 'start-review', { actor: 'rev', policy: POLICY_JSON, 'review-ref': 'PR-8' })
    await step(repo, 'transition', {
      to: 'approved',
      actor: 'rev',
      policy: POLICY_JSON,
      'review-ref': 'review-1',
      'review-result-json': JSON.stringify(REVIEW),
      'evidence-json': JSON.stringify({ review: REVIEW }),
    })
    check()
    await step(repo, 'transition', {
      to: 'done',
      actor: 'rev',
      policy: POLICY_JSON,
      'evidence-json': JSON.stringify({ review: REVIEW }),
    })
    check()
    // The reference is still recorded: in the commit trailers, for kitty's history.
    const refs = git(repo, 'log', '--format=%(trailers:key=Kitty-Review-Ref,valueonly)').split('\n').filter(Boolean)
    expect(refs).toEqual(expect.arrayContaining(['PR-7', 'review-0', 'PR-8', 'review-1']))
    expect([...seen].sort()).toEqual(expect.arrayContaining(['reviewer', 'review_status', 'reviewed_by', 'lane']))
    expect(git(repo, 'fsck', '--no-progress')).toBe('')
  })
})

const LEGACY_WP = { id: 'WP01', lane: 'in_review', assignee: 'impl', extra: 'reviewer: rev\nreview_ref: PR-1' }

describe('D10: review_ref: keys an older kitty wrote are read, reported, and moved by kitty reconcile', () => {
  it('a frontmatter-only mission: the read warns; reconcile removes the key in one commit naming the reference', async () => {
    const repo = makeRepo([{ wps: [LEGACY_WP, { id: 'WP02', lane: 'planned' }] }])
    const state = await ok(api(repo, 'mission-state', { mission: M }))
    expect(state.data.work_packages[0]).toMatchObject({ wp_id: 'WP01', lane: 'in_review' })
    expect(state.data.warnings.join('\n')).toMatch(/WP01\.md has a review_ref: frontmatter key .*kitty reconcile/)
    const before = readWp(repo, 'WP01')
    const dry = await ok(kitty(repo, ['reconcile', '--mission', M, '--dry-run']))
    expect(dry.data.review_refs_moved).toEqual([{ wp_id: 'WP01', review_ref: 'PR-1', now_in: 'commit_message' }])
    expect(readWp(repo, 'WP01')).toBe(before)
    const run = await ok(kitty(repo, ['reconcile', '--mission', M]))
    expect(run.data.files).toEqual([`kitty-specs/${M}/tasks/WP01.md`])
    expect(readWp(repo, 'WP01')).toBe(before.replace('review_ref: PR-1\n', ''))
    expect(git(repo, 'log', '-1', '--format=%B')).toContain('review_ref PR-1')
    expect(git(repo, 'status', '--porcelain')).toBe('')
    const after = await ok(api(repo, 'mission-state', { mission: M }))
    expect(after.data.warnings).toBeUndefined()
    const head = git(repo, 'rev-parse', 'HEAD')
    await ok(kitty(repo, ['reconcile', '--mission', M]))
    expect(git(repo, 'rev-parse', 'HEAD')).toBe(head)
  })

  it('a log mission: a reference already on an event line stays there; one that is not becomes a note', async () => {
    const repo = makeRepo([{ wps: [LEGACY_WP, { ...LEGACY_WP, id: 'WP02', extra: 'review_ref: PR-2' }] }])
    // Seed the log as upstream's finalize-tasks would, then let kitty record WP01's review with its reference.
    await ok(kitty(repo, ['migrate', '--mission', M, '--to', 'events']))
    const log = join(missionDir(repo), 'status.events.jsonl')
    const lines = readFileSync(log, 'utf8').trimEnd().split('\n')
    const withRef = lines.map((l) => {
      const e = JSON.parse(l)
      return e.wp_id === 'WP01' && e.to_lane === 'in_review' ? JSON.stringify({ ...e, review_ref: 'PR-1' }) : l
    })
    writeFileSync(log, `${withRef.join('\n')}\n`)
    git(repo, 'commit', '-qam', 'the review reference on the line')
    const run = await ok(kitty(repo, ['reconcile', '--mission', M]))
    expect(run.data.review_refs_moved).toEqual([
      { wp_id: 'WP01', review_ref: 'PR-1', now_in: 'event_line' },
      { wp_id: 'WP02', review_ref: 'PR-2', now_in: 'annotation' },
    ])
    const added = readFileSync(log, 'utf8')
      .trimEnd()
      .split('\n')
      .slice(lines.length)
      .map((l) => JSON.parse(l))
    expect(added).toEqual([
      expect.objectContaining({
        kind: 'annotation',
        wp_id: 'WP02',
        delta: { note: 'review_ref PR-2 (moved from the WP frontmatter by kitty reconcile)' },
      }),
    ])
    expect(unknownToUpstream(frontmatterKeys(repo))).toEqual([])
    const status = JSON.parse(readFileSync(join(missionDir(repo), 'status.json'), 'utf8'))
    expect(status.work_packages.WP02.notes).toEqual([
      'review_ref PR-2 (moved from the WP frontmatter by kitty reconcile)',
    ])
  })
})

/** `json.dumps(obj)` with Python's default separators and insertion order (how upstream's tests write lines). */
function pyDumps(value: unknown): string {
  if (value !== null && typeof value === 'object' && !Array.isArray(value))
    return `{${Object.entries(value)
      .map(([k, v]) => `${JSON.stringify(k)}: ${pyDumps(v)}`)
      .join(', ')}}`
  return JSON.stringify(value)
}

/**
 * Upstream's own gate fixture, tests/specify_cli/orchestrator_api/test_transition_subtask_gate.py at
 * e6e3b73: a flat mission whose WP01 (roster T001, T002) sits in in_progress by two events, with an
 * optional subtasks annotation as `append_annotations_atomic_verified` writes it.
 */
const GATE_SLUG = 'subtask-gate-repro'
const GATE_MISSION_ID = '01KV8NPCQ9ZX3R7W2M5T8H4FBD'
const UNCHECKED_TASKS_MD = '# Tasks\n\n## WP01 — Repro\n- [ ] T001 First (WP01)\n- [ ] T002 Second (WP01)\n'
const CHECKED_TASKS_MD = '# Tasks\n\n## WP01 — Repro\n- [x] T001 First (WP01)\n- [x] T002 Second (WP01)\n'

function gateEvent(fromLane: string, toLane: string, eventId: string) {
  return {
    event_id: eventId,
    mission_slug: GATE_SLUG,
    wp_id: 'WP01',
    from_lane: fromLane,
    to_lane: toLane,
    at: '2026-06-01T12:00:00+00:00',
    actor: 'test-orch',
    force: false,
    execution_mode: 'worktree',
    evidence: null,
    reason: null,
    review_ref: null,
  }
}

function gateRepo(tasksMd: string, snapshotSubtasks?: Record<string, string>): string {
  const repo = makeRepo([])
  const dir = join(repo, 'kitty-specs', GATE_SLUG)
  mkdirSync(join(dir, 'tasks'), { recursive: true })
  const meta = {
    mission_id: GATE_MISSION_ID,
    mission_slug: GATE_SLUG,
    slug: GATE_SLUG,
    mission_number: null,
    mission_type: 'software-dev',
    status_phase: 2,
  }
  writeFileSync(join(dir, 'meta.json'), `${JSON.stringify(meta, null, 2)}\n`)
  writeFileSync(join(dir, 'tasks.md'), tasksMd)
  writeFileSync(
    join(dir, 'tasks', 'WP01.md'),
    '---\nwork_package_id: WP01\ntitle: Example\ndependencies: []\nsubtasks:\n- T001\n- T002\n---\n\nbody\n',
  )
  const lines = [
    pyDumps(gateEvent('planned', 'claimed', '01HXYZ0123456789ABCDEFGH40')),
    pyDumps(gateEvent('claimed', 'in_progress', '01HXYZ0123456789ABCDEFGH41')),
  ]
  if (snapshotSubtasks) {
    lines.push(
      pythonJsonLine({
        actor: 'test-orch',
        at: '2026-06-01T12:00:30+00:00',
        delta: { subtasks: snapshotSubtasks },
        event_id: '01KX0RCH000000000000000000',
        kind: 'annotation',
        wp_id: 'WP01',
      }),
    )
  }
  writeFileSync(join(dir, 'status.events.jsonl'), `${lines.join('\n')}\n`)
  git(repo, 'add', '-A')
  git(repo, 'commit', '-qm', 'seed mission')
  return repo
}

const toReview = (repo: string, flags: Record<string, string | boolean> = {}) =>
  api(repo, 'transition', {
    mission: GATE_SLUG,
    wp: 'WP01',
    to: 'for_review',
    actor: 'test-orch',
    policy: POLICY_JSON,
    ...flags,
  })

describe('D1: with an event log, the subtasks gate is upstream’s (golden: test_transition_subtask_gate.py)', () => {
  it('test_unasserted_flag_blocks_on_silent_snapshot: checked tasks.md rows do not satisfy the gate', async () => {
    const repo = gateRepo(CHECKED_TASKS_MD)
    const head = git(repo, 'rev-parse', 'HEAD')
    const { code, envelope } = await toReview(repo)
    expect(code).not.toBe(0)
    expect(envelope.error_code).toBe('TRANSITION_REJECTED')
    expect(envelope.data.message).toMatch(
      /^Transition in_progress -> for_review requires completed subtasks or force with reason: T001, T002 of WP01 are not done in the event log.*kitty agent tasks mark-status T001 T002 --status done --mission subtask-gate-repro/,
    )
    expect(git(repo, 'rev-parse', 'HEAD')).toBe(head)
  })

  it('test_unasserted_flag_allows_when_snapshot_marks_all_done: the slot wins over unchecked rows', async () => {
    const repo = gateRepo(UNCHECKED_TASKS_MD, { T001: 'done', T002: 'done' })
    const { code, envelope } = await toReview(repo, { 'implementation-evidence-present': true })
    expect(code, JSON.stringify(envelope)).toBe(0)
    expect(envelope.data).toMatchObject({ from_lane: 'in_progress', to_lane: 'for_review' })
  })

  it('test_explicit_caller_assertion_cannot_bypass_snapshot_gate', async () => {
    const repo = gateRepo(UNCHECKED_TASKS_MD)
    const { envelope } = await toReview(repo, { 'subtasks-complete': true, 'implementation-evidence-present': true })
    expect(envelope.error_code).toBe('TRANSITION_REJECTED')
  })

  it('test_force_bypasses_the_subtask_guard_entirely', async () => {
    const repo = gateRepo(UNCHECKED_TASKS_MD)
    const { code, envelope } = await toReview(repo, { force: true, note: 'forced advance' })
    expect(code, JSON.stringify(envelope)).toBe(0)
  })

  it('a half-done slot names only what is open; planned (a pending mark) is not done', async () => {
    const repo = gateRepo(CHECKED_TASKS_MD, { T001: 'done', T002: 'planned' })
    const { envelope } = await toReview(repo)
    expect(envelope.data.message).toContain('T002 of WP01 is not done in the event log')
  })
})

describe('D1: mark-status records the mark in the log (upstream’s annotation) and ticks tasks.md, in one commit', () => {
  const markStatus = (repo: string, ids: string[], status: string) =>
    kitty(repo, [
      'agent',
      'tasks',
      'mark-status',
      ...ids,
      '--status',
      status,
      '--mission',
      GATE_SLUG,
      '--actor',
      'impl',
    ])
  const logLines = (repo: string) =>
    readFileSync(join(repo, 'kitty-specs', GATE_SLUG, 'status.events.jsonl'), 'utf8')
      .trimEnd()
      .split('\n')

  it('writes one annotation per WP and the checkbox; the gate then passes; a repeat is a no-op', async () => {
    const repo = gateRepo(UNCHECKED_TASKS_MD)
    const before = logLines(repo).length
    const run = await markStatus(repo, ['T001', 'T002'], 'done')
    expect(run.code, JSON.stringify(run.envelope)).toBe(0)
    expect(run.envelope.data).toMatchObject({ changed: ['T001', 'T002'], no_op: false })
    const added = logLines(repo).slice(before)
    expect(added).toHaveLength(1)
    const line = JSON.parse(added[0]!)
    expect(Object.keys(line)).toEqual(['actor', 'at', 'delta', 'event_id', 'kind', 'wp_id'])
    expect(line).toMatchObject({ actor: 'impl', kind: 'annotation', wp_id: 'WP01' })
    expect(line.delta).toEqual({ subtasks: { T001: 'done', T002: 'done' } })
    expect(readFileSync(join(repo, 'kitty-specs', GATE_SLUG, 'tasks.md'), 'utf8')).toBe(CHECKED_TASKS_MD)
    expect(git(repo, 'show', '--name-only', '--format=', 'HEAD').split('\n').sort()).toEqual([
      `kitty-specs/${GATE_SLUG}/status.events.jsonl`,
      `kitty-specs/${GATE_SLUG}/status.json`,
      `kitty-specs/${GATE_SLUG}/tasks.md`,
    ])
    const status = JSON.parse(readFileSync(join(repo, 'kitty-specs', GATE_SLUG, 'status.json'), 'utf8'))
    expect(status.work_packages.WP01.subtasks).toEqual({ T001: 'done', T002: 'done' })
    const head = git(repo, 'rev-parse', 'HEAD')
    expect((await markStatus(repo, ['T001'], 'done')).envelope.data.no_op).toBe(true)
    expect(git(repo, 'rev-parse', 'HEAD')).toBe(head)
    expect((await toReview(repo)).code).toBe(0)
  })

  it('reads both: a ticked box with no log mark still gets its annotation; pending records planned', async () => {
    const repo = gateRepo(CHECKED_TASKS_MD)
    const run = await markStatus(repo, ['T001'], 'done')
    expect(run.envelope.data.changed).toEqual(['T001'])
    expect(JSON.parse(logLines(repo).at(-1)!).delta).toEqual({ subtasks: { T001: 'done' } })
    await markStatus(repo, ['T001'], 'pending')
    expect(JSON.parse(logLines(repo).at(-1)!).delta).toEqual({ subtasks: { T001: 'planned' } })
    expect(readFileSync(join(repo, 'kitty-specs', GATE_SLUG, 'tasks.md'), 'utf8')).toContain('- [ ] T001')
  })

  it('an id only a WP roster names is marked in the log; an id nobody owns is SUBTASK_NOT_FOUND, nothing written', async () => {
    const repo = gateRepo('# Tasks\n')
    expect((await markStatus(repo, ['T002'], 'done')).code).toBe(0)
    expect(JSON.parse(logLines(repo).at(-1)!).delta).toEqual({ subtasks: { T002: 'done' } })
    const head = git(repo, 'rev-parse', 'HEAD')
    const bad = await markStatus(repo, ['T001', 'T009'], 'done')
    expect(bad.envelope.error_code).toBe('SUBTASK_NOT_FOUND')
    expect(git(repo, 'rev-parse', 'HEAD')).toBe(head)
    expect(git(repo, 'status', '--porcelain')).toBe('')
  })
})

/** An upstream transition line as its store writes it (sorted keys, Python separators). */
let upSeq = 0
function upTransition(wp: string, from: string, to: string, actor = 'finalize-tasks', extra: object = {}): string {
  upSeq++
  return pythonJsonLine({
    actor,
    at: `2026-12-06T10:00:${String(upSeq % 60).padStart(2, '0')}.000000+00:00`,
    event_id: `01M95C0000000000000000${String(upSeq).padStart(4, '0')}`,
    evidence: null,
    execution_mode: 'worktree',
    force: false,
    from_lane: from,
    mission_slug: M,
    policy_metadata: null,
    reason: from === 'genesis' ? 'canonical bootstrap' : null,
    review_ref: null,
    to_lane: to,
    wp_id: wp,
    ...extra,
  })
}

const READY_TASKS_MD = [
  '# Work Packages',
  '',
  '## Work Package WP01: First',
  '- [x] T001 one',
  '',
  '## Work Package WP02: Second',
  '- [x] T002 two',
  '### Dependencies',
  '- Depends on WP01',
  '',
  '## Work Package WP03: Third',
  '- [x] T003 three',
  '### Dependencies',
  '- Depends on WP02',
  '',
].join('\n')

function loggedMission(wps: Array<{ id: string; lane: string }>, lines: string[]): string {
  const repo = makeRepo([{ wps, tasksMd: READY_TASKS_MD }])
  writeFileSync(join(missionDir(repo), 'status.events.jsonl'), `${lines.join('\n')}\n`)
  git(repo, 'add', '-A')
  git(repo, 'commit', '-qm', 'upstream wrote its log')
  return repo
}

const readyIds = async (repo: string) => {
  const env = await ok(api(repo, 'list-ready', { mission: M }))
  return { ids: env.data.ready_work_packages.map((w: { wp_id: string }) => w.wp_id), warnings: env.data.warnings ?? [] }
}

describe('D6/D7/D9: list-ready never promises a WP start-implementation would refuse', () => {
  it('D6: WPs only the log knows are not ready (no file to claim in); the warning names the fix', async () => {
    const repo = loggedMission(
      [],
      ['WP01', 'WP02', 'WP03'].map((id) => upTransition(id, 'genesis', 'planned')),
    )
    const { ids, warnings } = await readyIds(repo)
    expect(ids).toEqual([])
    // Upstream gives a file-less WP no dependencies, so all three would be ready but for the missing file.
    expect(warnings.join('\n')).toMatch(
      /WP01, WP02, WP03 are planned with dependencies satisfied but not listed as ready: only the event log knows them/,
    )
    expect(warnings.join('\n')).toContain(`kitty migrate --mission ${M} --to frontmatter`)
    const start = await api(repo, 'start-implementation', { mission: M, wp: 'WP01', actor: 'a', policy: POLICY_JSON })
    expect(start.envelope.error_code).toBe('WP_NOT_FOUND')
    await ok(kitty(repo, ['migrate', '--mission', M, '--to', 'frontmatter']))
    expect((await readyIds(repo)).ids).toEqual(['WP01'])
  })

  it('D7: a WP with a file but no event is "not finalized": not ready, start refused as upstream words it; reconcile seeds it', async () => {
    const repo = loggedMission(
      [
        { id: 'WP01', lane: 'done' },
        { id: 'WP02', lane: 'planned' },
      ],
      [
        upTransition('WP01', 'genesis', 'planned'),
        upTransition('WP01', 'planned', 'in_progress', 'up', { force: true, reason: 'x' }),
        upTransition('WP01', 'in_progress', 'done', 'up', { force: true, reason: 'x' }),
      ],
    )
    const before = await readyIds(repo)
    expect(before.ids).toEqual([])
    expect(before.warnings.join('\n')).toMatch(
      /WP02 is planned with dependencies satisfied but not listed as ready: the event log has no event for it \(not finalized\)/,
    )
    const head = git(repo, 'rev-parse', 'HEAD')
    const start = await api(repo, 'start-implementation', { mission: M, wp: 'WP02', actor: 'a', policy: POLICY_JSON })
    expect(start.envelope.error_code).toBe('TRANSITION_REJECTED')
    expect(start.envelope.data.message).toMatch(
      /^WP WP02 is not finalized; run `spec-kitty agent mission finalize-tasks`/,
    )
    expect(git(repo, 'rev-parse', 'HEAD')).toBe(head)
    const seed = await ok(kitty(repo, ['reconcile', '--mission', M]))
    expect(seed.data.finalized_wps).toEqual(['WP02'])
    const last = JSON.parse(
      readFileSync(join(missionDir(repo), 'status.events.jsonl'), 'utf8')
        .trimEnd()
        .split('\n')
        .at(-1)!,
    )
    expect(last).toMatchObject({
      wp_id: 'WP02',
      from_lane: 'genesis',
      to_lane: 'planned',
      actor: 'finalize-tasks',
      reason: 'canonical bootstrap',
      force: false,
    })
    expect((await readyIds(repo)).ids).toEqual(['WP02'])
    await ok(api(repo, 'start-implementation', { mission: M, wp: 'WP02', actor: 'a', policy: POLICY_JSON }))
  })

  it('D9: a WP only annotations name is neither listed nor ready (upstream: uninitialized); the warning says so', async () => {
    const repo = loggedMission(
      [{ id: 'WP01', lane: 'planned' }],
      [
        upTransition('WP01', 'genesis', 'planned'),
        pythonJsonLine({
          actor: 'edge',
          at: '2026-12-06T10:00:03.000000+00:00',
          delta: { note: 'ghost' },
          event_id: '01M95C000000000000000000C1',
          kind: 'annotation',
          wp_id: 'WP09',
        }),
      ],
    )
    const state = await ok(api(repo, 'mission-state', { mission: M }))
    expect(state.data.work_packages.map((w: { wp_id: string }) => w.wp_id)).toEqual(['WP01'])
    expect(state.data.summary.planned).toBe(1)
    expect(state.data.warnings.join('\n')).toContain('has only annotations for WP09')
    expect((await readyIds(repo)).ids).toEqual(['WP01'])
  })
})

describe('D2: upstream’s uncommitted writes are reported on reads and adopted by kitty reconcile --adopt', () => {
  const logFile = (repo: string) => join(missionDir(repo), 'status.events.jsonl')
  const statusFile = (repo: string) => join(missionDir(repo), 'status.json')

  /** What upstream's start-implementation leaves behind: two lines appended and status.json rewritten, nothing committed. */
  function upstreamStartsWp01(repo: string): void {
    const text = `${readFileSync(logFile(repo), 'utf8')}${upTransition('WP01', 'planned', 'claimed', 'up-impl')}\n${upTransition('WP01', 'claimed', 'in_progress', 'up-impl')}\n`
    writeFileSync(logFile(repo), text)
    const reduced = reduceStatusEvents(parseEventLog(text, 'log'))
    writeFileSync(
      statusFile(repo),
      materializeStatusJson(reduced, { missionNumber: '099', missionType: 'software-dev' }),
    )
  }

  function seededRepo(): string {
    const repo = loggedMission([{ id: 'WP01', lane: 'planned' }], [upTransition('WP01', 'genesis', 'planned')])
    return repo
  }

  it('reads name the pending files and the command; the commit is what they answer', async () => {
    const repo = seededRepo()
    upstreamStartsWp01(repo)
    const state = await ok(api(repo, 'mission-state', { mission: M }))
    expect(state.data.work_packages[0].lane).toBe('planned')
    const warning = state.data.warnings.find((w: string) => w.startsWith('uncommitted:'))
    expect(warning).toContain(`kitty-specs/${M}/status.events.jsonl, kitty-specs/${M}/status.json differ`)
    expect(warning).toContain(`kitty reconcile --mission ${M} --adopt`)
    const ready = await ok(api(repo, 'list-ready', { mission: M }))
    expect(ready.data.warnings.some((w: string) => w.startsWith('uncommitted:'))).toBe(true)
    // A kitty write in that state still refuses safely.
    const start = await api(repo, 'start-implementation', { mission: M, wp: 'WP01', actor: 'k', policy: POLICY_JSON })
    expect(start.envelope.error_code).toBe('WORKTREE_DIRTY')
  })

  it('--adopt commits exactly the checkout’s files in one commit naming upstream; reads then agree', async () => {
    const repo = seededRepo()
    upstreamStartsWp01(repo)
    const written = [readFileSync(logFile(repo), 'utf8'), readFileSync(statusFile(repo), 'utf8')]
    const head = git(repo, 'rev-parse', 'HEAD')
    const dry = await ok(kitty(repo, ['reconcile', '--mission', M, '--adopt', '--dry-run']))
    expect(dry.data).toMatchObject({ adopt: true, dry_run: true, events_added: 2, commit: null })
    expect(git(repo, 'rev-parse', 'HEAD')).toBe(head)
    const run = await ok(kitty(repo, ['reconcile', '--mission', M, '--adopt']))
    expect(run.data.files).toEqual([`kitty-specs/${M}/status.events.jsonl`, `kitty-specs/${M}/status.json`])
    expect(git(repo, 'rev-list', '--count', `${head}..HEAD`)).toBe('1')
    expect(git(repo, 'log', '-1', '--format=%(trailers:key=Kitty-Writer,valueonly)')).toBe('spec-kitty (upstream)')
    expect(git(repo, 'log', '-1', '--format=%(trailers:key=Kitty-Command,valueonly)')).toBe('reconcile')
    expect(git(repo, 'show', `HEAD:kitty-specs/${M}/status.events.jsonl`) + '\n').toBe(written[0])
    expect([readFileSync(logFile(repo), 'utf8'), readFileSync(statusFile(repo), 'utf8')]).toEqual(written)
    expect(git(repo, 'status', '--porcelain')).toBe('')
    expect(git(repo, 'fsck', '--no-progress')).toBe('')
    const state = await ok(api(repo, 'mission-state', { mission: M }))
    expect(state.data.work_packages[0]).toMatchObject({ lane: 'in_progress', last_actor: 'up-impl' })
    expect((state.data.warnings ?? []).some((w: string) => w.startsWith('uncommitted:'))).toBe(false)
    const again = await ok(kitty(repo, ['reconcile', '--mission', M, '--adopt']))
    expect(again.data).toMatchObject({ files: [], commit: null })
  })

  it('a checkout log that rewrites committed lines is refused, nothing committed', async () => {
    const repo = seededRepo()
    writeFileSync(logFile(repo), `${upTransition('WP01', 'genesis', 'planned', 'someone-else')}\n`)
    const head = git(repo, 'rev-parse', 'HEAD')
    const run = await kitty(repo, ['reconcile', '--mission', M, '--adopt'])
    expect(run.envelope.error_code).toBe('EVENT_LOG_INVALID')
    expect(run.envelope.data.message).toContain('does not extend the committed log')
    expect(git(repo, 'rev-parse', 'HEAD')).toBe(head)
  })
})

describe('one WP, both writers alternating through a whole lifecycle', () => {
  const logFile = (repo: string) => join(missionDir(repo), 'status.events.jsonl')
  const statusFile = (repo: string) => join(missionDir(repo), 'status.json')
  const POLICY = JSON.parse(POLICY_JSON)
  /** Upstream stamps its lines with the time it runs (microseconds, +00:00), after kitty's earlier steps. */
  const nowAt = () => new Date().toISOString().replace('Z', '000+00:00')

  /** Upstream's write: lines appended and status.json re-materialised, left uncommitted as upstream does. */
  function upstreamWrites(repo: string, lines: string[]): void {
    const text = `${readFileSync(logFile(repo), 'utf8')}${lines.join('\n')}\n`
    writeFileSync(logFile(repo), text)
    const reduced = reduceStatusEvents(parseEventLog(text, 'log'))
    writeFileSync(
      statusFile(repo),
      materializeStatusJson(reduced, { missionNumber: '099', missionType: 'software-dev' }),
    )
  }

  const commitAll = (repo: string, message: string) => {
    git(repo, 'add', '-A')
    git(repo, 'commit', '-qm', message)
  }

  /** After every step: kitty's lane is the log's, status.json is the log's, the files upstream can read, nothing lost. */
  async function agree(repo: string, lane: string, seen: string[]): Promise<string[]> {
    const text = readFileSync(logFile(repo), 'utf8')
    const reduced = reduceStatusEvents(parseEventLog(text, 'log'))
    expect(reduced.work_packages['WP01']?.lane).toBe(lane)
    const state = await ok(api(repo, 'mission-state', { mission: M }))
    expect(state.data.work_packages[0]).toMatchObject({ wp_id: 'WP01', lane })
    expect(state.data.warnings ?? []).toEqual([])
    expect(readFileSync(statusFile(repo), 'utf8')).toBe(
      materializeStatusJson(reduced, { missionNumber: '099', missionType: 'software-dev' }),
    )
    expect(unknownToUpstream(frontmatterKeys(repo))).toEqual([])
    const ids = text
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l).event_id as string)
    expect(ids.slice(0, seen.length)).toEqual(seen)
    expect(git(repo, 'status', '--porcelain')).toBe('')
    return ids
  }

  it('upstream starts, kitty marks, upstream submits, kitty reviews, upstream approves (adopted), kitty finishes', async () => {
    const repo = loggedMission(
      [
        { id: 'WP01', lane: 'planned' },
        { id: 'WP02', lane: 'planned' },
      ],
      [upTransition('WP01', 'genesis', 'planned'), upTransition('WP02', 'genesis', 'planned')],
    )
    git(repo, 'rm', '-q', '-r', `kitty-specs/${M}/tasks/WP02.md`)
    writeFileSync(
      join(missionDir(repo), 'tasks', 'WP01.md'),
      readFileSync(join(missionDir(repo), 'tasks', 'WP01.md'), 'utf8').replace('subtasks: []', 'subtasks: [T001]'),
    )
    await ok(kitty(repo, ['reconcile', '--mission', M]))
    commitAll(repo, 'roster')
    let seen = await agree(repo, 'planned', [])

    upstreamWrites(repo, [
      upTransition('WP01', 'planned', 'claimed', 'up-impl', { policy_metadata: POLICY, at: nowAt() }),
      upTransition('WP01', 'claimed', 'in_progress', 'up-impl', { policy_metadata: POLICY, at: nowAt() }),
    ])
    commitAll(repo, 'upstream: start-implementation')
    seen = await agree(repo, 'in_progress', seen)

    // Upstream's gate would refuse for_review until the log marks T001; kitty's mark-status writes that mark.
    await ok(kitty(repo, ['agent', 'tasks', 'mark-status', 'T001', '--status', 'done', '--mission', M]))
    seen = await agree(repo, 'in_progress', seen)
    expect(
      reduceStatusEvents(parseEventLog(readFileSync(logFile(repo), 'utf8'), 'log')).work_packages['WP01'],
    ).toMatchObject({
      subtasks: { T001: 'done' },
    })

    upstreamWrites(repo, [
      upTransition('WP01', 'in_progress', 'for_review', 'up-impl', { policy_metadata: POLICY, at: nowAt() }),
    ])
    commitAll(repo, 'upstream: for_review')
    seen = await agree(repo, 'for_review', seen)

    await step(repo, 'start-review', { actor: 'k-rev', 'review-ref': 'PR-9' })
    seen = await agree(repo, 'in_review', seen)
    expect(JSON.parse(readFileSync(logFile(repo), 'utf8').trimEnd().split('\n').at(-1)!)).toMatchObject({
      to_lane: 'in_review',
      review_ref: 'PR-9',
    })

    upstreamWrites(repo, [
      upTransition('WP01', 'in_review', 'approved', 'up-rev', {
        policy_metadata: POLICY,
        at: nowAt(),
        review_result: { reference: 'review-1', reviewer: 'up-rev', verdict: 'approved' },
        evidence: { review: { reference: 'review-1', reviewer: 'up-rev', verdict: 'approved' } },
      }),
    ])
    const pending = await ok(api(repo, 'mission-state', { mission: M }))
    expect(pending.data.work_packages[0].lane).toBe('in_review')
    expect(pending.data.warnings.join('\n')).toContain('--adopt')
    await ok(kitty(repo, ['reconcile', '--mission', M, '--adopt']))
    seen = await agree(repo, 'approved', seen)

    await step(repo, 'transition', {
      to: 'done',
      actor: 'k-rev',
      'evidence-json': JSON.stringify({ review: { reviewer: 'up-rev', verdict: 'approved', reference: 'review-1' } }),
    })
    seen = await agree(repo, 'done', seen)
    // 2 seeds, 2 starts, the mark, for_review, in_review, approved, done: every line of both writers kept.
    expect(seen).toHaveLength(9)
    const readiness = await readyIds(repo)
    expect(readiness.ids).toEqual([])
    expect(git(repo, 'fsck', '--no-progress')).toBe('')
  })
})

describe('D5: with an event log, last_actor is the actor of the WP’s latest lane event, as upstream derives it', () => {
  const logFile = (repo: string) => join(missionDir(repo), 'status.events.jsonl')
  const nowAt = () => new Date().toISOString().replace('Z', '000+00:00')
  const lastActor = async (repo: string) =>
    (await ok(api(repo, 'mission-state', { mission: M }))).data.work_packages[0].last_actor

  it('the seed’s actor, then kitty’s, then upstream’s claude-impl after kitty’s commit; annotations do not count', async () => {
    const repo = loggedMission([{ id: 'WP01', lane: 'planned' }], [upTransition('WP01', 'genesis', 'planned')])
    expect(await lastActor(repo)).toBe('finalize-tasks')
    await step(repo, 'start-implementation', { actor: 'kitty-impl' })
    expect(await lastActor(repo)).toBe('kitty-impl')
    // Upstream submits and takes the WP back: the lane is kitty's frontmatter lane again, the actor is not.
    const lines = [
      upTransition('WP01', 'in_progress', 'for_review', 'claude-impl', { at: nowAt() }),
      upTransition('WP01', 'for_review', 'in_progress', 'claude-impl', { at: nowAt() }),
      pythonJsonLine({
        actor: 'edge',
        at: nowAt(),
        delta: { note: 'not a lane event' },
        event_id: '01M95C000000000000000000D5',
        kind: 'annotation',
        wp_id: 'WP01',
      }),
    ]
    writeFileSync(logFile(repo), `${readFileSync(logFile(repo), 'utf8')}${lines.join('\n')}\n`)
    git(repo, 'add', '-A')
    git(repo, 'commit', '-qm', 'upstream: for_review and back')
    const state = await ok(api(repo, 'mission-state', { mission: M }))
    expect(state.data.work_packages[0]).toMatchObject({ lane: 'in_progress', last_actor: 'claude-impl' })
    // Frontmatter history still names kitty-impl; a mission without a log keeps answering from it.
    const plain = makeRepo([{ wps: [{ id: 'WP01', lane: 'planned' }], tasksMd: READY_TASKS_MD }])
    await step(plain, 'start-implementation', { actor: 'kitty-impl' })
    expect(await lastActor(plain)).toBe('kitty-impl')
  })
})
