import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { pythonJsonLine } from '../../src/core/python-json.ts'
import { materializeStatusJson, reduceStatusEvents } from '../../src/core/reduce-status-events.ts'
import { parseEventLog } from '../../src/core/status-events.ts'
import { startGitHttpServer } from '../helpers/git-http-server.ts'
import {
  api,
  cleanupTempDirs,
  defaultMeta,
  git,
  kitty,
  laneOf,
  makeRepo,
  POLICY,
  POLICY_JSON,
  readWp,
  tempDir,
} from '../helpers/git-repo.ts'

afterAll(cleanupTempDirs)

const SLUG = '099-test-mission'
const MISSION_ID = '01KXWN13GH4QCRMS28N448V7CR'
const dirOf = (repo: string) => join(repo, 'kitty-specs', SLUG)
const logPath = (repo: string) => join(dirOf(repo), 'status.events.jsonl')
const statusPath = (repo: string) => join(dirOf(repo), 'status.json')

let seq = 0
/** A transition line as upstream writes it (v1 keys plus mission_slug). */
function event(wp: string, from: string, to: string, actor = 'upstream-agent', at?: string): string {
  seq++
  return pythonJsonLine({
    actor,
    at: at ?? `2026-02-01T00:00:${String(seq % 60).padStart(2, '0')}.000100+00:00`,
    event_id: `01KH0000000000000000000${String(seq).padStart(3, '0')}`,
    evidence: null,
    execution_mode: 'worktree',
    force: false,
    from_lane: from,
    mission_slug: SLUG,
    policy_metadata: null,
    reason: null,
    review_ref: null,
    to_lane: to,
    wp_id: wp,
  })
}

const TASKS_MD = [
  '# Work Packages',
  '',
  '## Work Package WP01: First (Priority: P0)',
  '- [x] T001 one',
  '',
  '## Work Package WP02: Second (Priority: P0)',
  '- [x] T002 two',
  '',
  '## Work Package WP03: Third, only in the log (Priority: P1)',
  '**Prompt**: `/tasks/WP03-third.md`',
  '- [x] T003 three',
  '### Dependencies',
  '- Depends on WP01',
  '',
].join('\n')

/**
 * WP01 and WP02 have files (both planned); the log has claimed WP01 for implementation (drift: an
 * upstream agent started it) and finished WP03, which has no file, only a tasks.md section.
 */
function loggedRepo(lines?: string[]): string {
  const repo = makeRepo([{ meta: { ...defaultMeta(SLUG), mission_id: MISSION_ID }, tasksMd: TASKS_MD }])
  // finalize-tasks seeds every WP first (genesis → planned); upstream refuses to start one it has not.
  const log = lines ?? [
    event('WP01', 'genesis', 'planned', 'finalize-tasks'),
    event('WP02', 'genesis', 'planned', 'finalize-tasks'),
    event('WP01', 'planned', 'claimed'),
    event('WP01', 'claimed', 'in_progress'),
    event('WP03', 'planned', 'in_progress', 'builder'),
    event('WP03', 'in_progress', 'done', 'builder'),
  ]
  writeFileSync(logPath(repo), `${log.join('\n')}\n`)
  git(repo, 'add', '-A')
  git(repo, 'commit', '-q', '-m', 'upstream wrote its log')
  return repo
}

function logLines(repo: string): any[] {
  return readFileSync(logPath(repo), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l))
}

/** What upstream's reducer makes of the log: the stand-in for running upstream on our result. */
function upstreamLanes(repo: string): Record<string, string> {
  const reduced = reduceStatusEvents(parseEventLog(readFileSync(logPath(repo), 'utf8'), 'log'))
  return Object.fromEntries(Object.entries(reduced.work_packages).map(([id, s]) => [id, s.lane]))
}

function expectStatusJsonMatchesLog(repo: string): void {
  const reduced = reduceStatusEvents(parseEventLog(readFileSync(logPath(repo), 'utf8'), 'log'))
  expect(readFileSync(statusPath(repo), 'utf8')).toBe(
    materializeStatusJson(reduced, { missionNumber: '099', missionType: 'software-dev' }),
  )
}

const head = (repo: string) => git(repo, 'rev-parse', 'HEAD')
const changedFiles = (repo: string, from: string) => git(repo, 'diff', '--name-only', from, 'HEAD').split('\n').sort()

describe('reading upstream’s event log', () => {
  it('lanes come from the reduced log; log-only WPs are listed; drift is a note naming the WP and both lanes', async () => {
    const repo = loggedRepo()
    const { code, envelope } = await api(repo, 'mission-state', { mission: SLUG })
    expect(code).toBe(0)
    const wps = envelope.data.work_packages.map((w: any) => [w.wp_id, w.lane, w.last_actor, w.dependencies, w.title])
    expect(wps).toEqual([
      ['WP01', 'in_progress', 'upstream-agent', [], 'Test WP01'],
      // The log is the authority for the last actor too (issue 21, D5): here, the seed's.
      ['WP02', 'planned', 'finalize-tasks', [], 'Test WP02'],
      // A WP only the log knows has no dependencies, as upstream reads it (its tasks.md section names WP01).
      ['WP03', 'done', 'builder', [], 'Third, only in the log'],
    ])
    expect(envelope.data.summary).toMatchObject({ planned: 1, in_progress: 1, done: 1 })
    // Upstream never rewrites a WP file's lane, so this is expected: a note, not a warning (issue 21, D3).
    expect(envelope.data.warnings).toBeUndefined()
    expect(envelope.data.notes).toHaveLength(1)
    expect(envelope.data.notes[0]).toMatch(/^WP01: the file's lane: says 'planned', the event log 'in_progress'/)
    expect(envelope.data.notes[0]).toContain(`kitty reconcile --mission ${SLUG}`)
    const ready = await api(repo, 'list-ready', { mission: SLUG })
    expect(ready.envelope.data.ready_work_packages.map((w: any) => w.wp_id)).toEqual(['WP02'])
    expect(ready.envelope.data.notes[0]).toMatch(/^WP01: /)
  })

  it('a WP an upstream agent started is claimed here too: another actor gets WP_ALREADY_CLAIMED', async () => {
    const repo = loggedRepo()
    const before = head(repo)
    const run = await api(repo, 'start-implementation', {
      mission: SLUG,
      wp: 'WP01',
      actor: 'someone-else',
      policy: POLICY_JSON,
    })
    expect(run.envelope.error_code).toBe('WP_ALREADY_CLAIMED')
    expect(run.envelope.data).toMatchObject({ claimed_by: 'upstream-agent', requesting_actor: 'someone-else' })
    const resume = await api(repo, 'start-implementation', {
      mission: SLUG,
      wp: 'WP01',
      actor: 'upstream-agent',
      policy: POLICY_JSON,
    })
    expect(resume.envelope.data).toMatchObject({ from_lane: 'in_progress', no_op: true })
    expect(head(repo)).toBe(before)
  })

  it('a mission without a log reads as before: frontmatter lanes, no warnings', async () => {
    const repo = makeRepo([{ wps: [{ id: 'WP01', lane: 'for_review' }] }])
    const { envelope } = await api(repo, 'mission-state', { mission: SLUG })
    expect(envelope.data.work_packages.map((w: any) => w.lane)).toEqual(['for_review'])
    expect(envelope.data.warnings).toBeUndefined()
    const before = head(repo)
    await api(repo, 'transition', { mission: SLUG, wp: 'WP01', to: 'in_review', actor: 'r', policy: POLICY_JSON })
    expect(changedFiles(repo, before)).toEqual([`kitty-specs/${SLUG}/tasks/WP01.md`])
  })

  it('duplicates, out-of-order lines, unknown WPs and a stale status.json are warnings, never failures', async () => {
    const first = event('WP02', 'planned', 'claimed', 'a', '2026-03-01T00:00:02+00:00')
    const repo = loggedRepo([
      event('WP02', 'claimed', 'in_progress', 'a', '2026-03-01T00:00:03+00:00'),
      first,
      first.replace('"to_lane": "claimed"', '"to_lane": "canceled"'),
      event('WP07', 'planned', 'blocked', 'ghost'),
    ])
    writeFileSync(statusPath(repo), '{"event_count": 99, "work_packages": {"WP02": {"lane": "done"}}}\n')
    git(repo, 'add', '-A')
    git(repo, 'commit', '-qm', 'someone wrote a status.json by hand')
    const { code, envelope } = await api(repo, 'mission-state', { mission: SLUG })
    expect(code).toBe(0)
    expect(envelope.data.work_packages.find((w: any) => w.wp_id === 'WP02').lane).toBe('in_progress')
    expect(envelope.data.work_packages.find((w: any) => w.wp_id === 'WP07').lane).toBe('blocked')
    const warnings = envelope.data.warnings.join('\n')
    expect(envelope.data.notes.join('\n')).toMatch(/WP02: the file's lane: says 'planned', the event log 'in_progress'/)
    expect(warnings).toMatch(/repeats event id\(s\) 01KH/)
    expect(warnings).toMatch(/events for WP07, which have neither a task file nor a tasks.md section/)
    expect(warnings).toMatch(
      /status.json does not match its event log \(event_count 99 there, 3 in the log; WP02 done there, in_progress in the log/,
    )
  })

  it('an invalid line is one EVENT_LOG_INVALID envelope naming the line, for reads and writes; nothing is written', async () => {
    const repo = loggedRepo([event('WP01', 'planned', 'claimed'), '', '{"event_id": "x", oops}'])
    for (const run of [
      await api(repo, 'mission-state', { mission: SLUG }),
      await api(repo, 'transition', { mission: SLUG, wp: 'WP02', to: 'blocked', actor: 'x' }),
    ]) {
      expect(run.code).toBe(1)
      expect(run.envelope.error_code).toBe('EVENT_LOG_INVALID')
      expect(run.envelope.data).toMatchObject({ line: 3, path: `kitty-specs/${SLUG}/status.events.jsonl` })
      expect(run.stderr).toBe('')
    }
    expect(git(repo, 'log', '--oneline').split('\n')).toHaveLength(2)
    expect(git(repo, 'status', '--porcelain')).toBe('')
  })
})

describe('writing both, in one commit', () => {
  it('start-implementation appends upstream’s two-event batch and status.json beside the frontmatter', async () => {
    const repo = loggedRepo()
    const before = head(repo)
    const run = await api(repo, 'start-implementation', {
      mission: SLUG,
      wp: 'WP02',
      actor: 'claude',
      policy: POLICY_JSON,
    })
    expect(run.code, JSON.stringify(run.envelope)).toBe(0)
    expect(git(repo, 'rev-list', '--count', `${before}..HEAD`)).toBe('1')
    expect(changedFiles(repo, before)).toEqual([
      `kitty-specs/${SLUG}/status.events.jsonl`,
      `kitty-specs/${SLUG}/status.json`,
      `kitty-specs/${SLUG}/tasks/WP02.md`,
    ])
    const [claim, start] = logLines(repo).slice(-2)
    const keys = [
      'actor',
      'at',
      'event_id',
      'evidence',
      'execution_mode',
      'force',
      'from_lane',
      'mission_id',
      'mission_slug',
      'policy_metadata',
      'reason',
      'review_ref',
      'review_result',
      'to_lane',
      'wp_id',
    ]
    for (const e of [claim, start]) {
      expect(Object.keys(e)).toEqual(keys)
      expect(e).toMatchObject({
        actor: 'claude',
        evidence: null,
        execution_mode: 'worktree',
        force: false,
        mission_id: MISSION_ID,
        mission_slug: SLUG,
        reason: null,
        review_ref: null,
        review_result: null,
        wp_id: 'WP02',
      })
      expect(e.policy_metadata).toMatchObject(POLICY)
      expect(e.event_id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/)
    }
    expect([claim.from_lane, claim.to_lane, start.from_lane, start.to_lane]).toEqual([
      'planned',
      'claimed',
      'claimed',
      'in_progress',
    ])
    expect(start.event_id > claim.event_id).toBe(true)
    expect(start.at > claim.at).toBe(true)
    // Lines keep upstream's byte format: sorted keys, Python separators.
    const last = readFileSync(logPath(repo), 'utf8').trimEnd().split('\n').at(-1)!
    expect(pythonJsonLine(JSON.parse(last))).toBe(last)
    expectStatusJsonMatchesLog(repo)
    expect(upstreamLanes(repo)['WP02']).toBe('in_progress')
    expect(laneOf(readWp(repo, 'WP02'))).toBe('in_progress')
    git(repo, 'fsck', '--strict')
  })

  it('transition, start-review and a review verdict: the lines upstream writes for each, and both sides agree after each', async () => {
    const repo = loggedRepo([
      event('WP02', 'planned', 'claimed', 'claude'),
      event('WP02', 'claimed', 'in_progress', 'claude'),
    ])
    // Frontmatter catches up with the log first (the file says planned).
    expect((await kitty(repo, ['reconcile', '--mission', SLUG])).code).toBe(0)
    const steps: Array<[string, Record<string, string | boolean>]> = [
      ['transition', { to: 'for_review', actor: 'claude', policy: POLICY_JSON, note: 'ready' }],
      ['start-review', { actor: 'reviewer', policy: POLICY_JSON, 'review-ref': 'https://example.test/pr/1' }],
      [
        'transition',
        {
          to: 'approved',
          actor: 'reviewer',
          policy: POLICY_JSON,
          'review-result-json': JSON.stringify({
            reviewer: 'reviewer',
            verdict: 'approved',
            reference: 'https://example.test/pr/1#r',
          }),
        },
      ],
    ]
    for (const [command, flags] of steps) {
      const run = await api(repo, command, { mission: SLUG, wp: 'WP02', ...flags })
      expect(run.code, JSON.stringify(run.envelope)).toBe(0)
      const state = await api(repo, 'mission-state', { mission: SLUG })
      expect(state.envelope.data.warnings).toBeUndefined()
      expect(upstreamLanes(repo)['WP02']).toBe(laneOf(readWp(repo, 'WP02')))
      expectStatusJsonMatchesLog(repo)
    }
    const [ready, review, verdict] = logLines(repo).slice(-3)
    expect(ready).toMatchObject({ from_lane: 'in_progress', to_lane: 'for_review', reason: 'ready', review_ref: null })
    expect(review).toMatchObject({
      from_lane: 'for_review',
      to_lane: 'in_review',
      reason: 'Started review via action command',
      review_ref: 'https://example.test/pr/1',
    })
    expect(verdict).toMatchObject({
      from_lane: 'in_review',
      to_lane: 'approved',
      review_result: { reviewer: 'reviewer', verdict: 'approved', reference: 'https://example.test/pr/1#r' },
    })
    const status = JSON.parse(readFileSync(statusPath(repo), 'utf8'))
    expect(status.work_packages.WP02.review_result).toEqual(verdict.review_result)
  })

  it('append-history records the note as upstream’s annotation too; the lane stays', async () => {
    const repo = loggedRepo()
    const run = await api(repo, 'append-history', { mission: SLUG, wp: 'WP02', actor: 'claude', note: 'halfway' })
    expect(run.code).toBe(0)
    const note = logLines(repo).at(-1)
    expect(Object.keys(note)).toEqual(['actor', 'at', 'delta', 'event_id', 'kind', 'wp_id'])
    expect(note).toMatchObject({ kind: 'annotation', actor: 'claude', wp_id: 'WP02' })
    expect(note.delta.note).toMatch(/^- \[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\] claude: halfway$/)
    expect(readWp(repo, 'WP02')).toContain(note.delta.note)
    expectStatusJsonMatchesLog(repo)
    expect(JSON.parse(readFileSync(statusPath(repo), 'utf8')).work_packages.WP02.notes).toEqual([note.delta.note])
  })

  it('a refused mutation writes neither file; a log-only WP answers how to materialise it', async () => {
    const repo = loggedRepo()
    const before = head(repo)
    const refused = await api(repo, 'transition', { mission: SLUG, wp: 'WP02', to: 'done', actor: 'x' })
    expect(refused.envelope.error_code).toBe('TRANSITION_REJECTED')
    const logOnly = await api(repo, 'start-implementation', {
      mission: SLUG,
      wp: 'WP03',
      actor: 'x',
      policy: POLICY_JSON,
    })
    expect(logOnly.envelope.error_code).toBe('WP_NOT_FOUND')
    expect(logOnly.envelope.data.message).toContain(`kitty migrate --mission ${SLUG} --to frontmatter`)
    expect(logOnly.envelope.data).toMatchObject({ wp_id: 'WP03', event_log_only: true })
    expect(head(repo)).toBe(before)
    expect(git(repo, 'status', '--porcelain')).toBe('')
  })
})

describe('kitty reconcile', () => {
  it('--dry-run says what it would do and commits nothing; then one commit settles it (the event log wins)', async () => {
    const repo = loggedRepo()
    const before = head(repo)
    const dry = await kitty(repo, ['reconcile', '--mission', SLUG, '--dry-run'])
    expect(dry.code).toBe(0)
    expect(dry.envelope.command).toBe('kitty.reconcile')
    expect(dry.envelope.data).toMatchObject({
      dry_run: true,
      commit: null,
      from: 'events',
      unmaterialized_wps: ['WP03'],
    })
    expect(dry.envelope.data.reconciled).toEqual([
      { wp_id: 'WP01', frontmatter_lane: 'planned', event_log_lane: 'in_progress', lane: 'in_progress' },
    ])
    expect(head(repo)).toBe(before)
    const run = await kitty(repo, ['reconcile', '--mission', SLUG, '--actor', 'maintainer'])
    expect(run.code).toBe(0)
    expect(git(repo, 'rev-list', '--count', `${before}..HEAD`)).toBe('1')
    expect(run.envelope.data.commit).toBe(head(repo))
    expect(changedFiles(repo, before)).toEqual([`kitty-specs/${SLUG}/status.json`, `kitty-specs/${SLUG}/tasks/WP01.md`])
    expect(laneOf(readWp(repo, 'WP01'))).toBe('in_progress')
    expect(
      git(repo, 'log', '-1', '--format=%(trailers:key=Kitty-Command,valueonly)%(trailers:key=Kitty-Actor,valueonly)'),
    ).toBe('reconcile\nmaintainer')
    expect((await api(repo, 'mission-state', { mission: SLUG })).envelope.data.warnings).toBeUndefined()
    const again = await kitty(repo, ['reconcile', '--mission', SLUG])
    expect(again.envelope.data).toMatchObject({ reconciled: [], commit: null })
    expect(git(repo, 'rev-list', '--count', `${before}..HEAD`)).toBe('1')
  })

  it('--from frontmatter appends one forced event per drifting WP instead', async () => {
    const repo = loggedRepo()
    const before = head(repo)
    const run = await kitty(repo, ['reconcile', '--mission', SLUG, '--from', 'frontmatter'])
    expect(run.code).toBe(0)
    expect(changedFiles(repo, before)).toEqual([
      `kitty-specs/${SLUG}/status.events.jsonl`,
      `kitty-specs/${SLUG}/status.json`,
    ])
    expect(logLines(repo).at(-1)).toMatchObject({
      wp_id: 'WP01',
      from_lane: 'in_progress',
      to_lane: 'planned',
      force: true,
      actor: 'kitty',
    })
    expect(upstreamLanes(repo)['WP01']).toBe('planned')
    expectStatusJsonMatchesLog(repo)
    const state = await api(repo, 'mission-state', { mission: SLUG })
    expect(state.envelope.data.work_packages[0].lane).toBe('planned')
    expect(state.envelope.data.warnings).toBeUndefined()
  })

  it('leaves a mission without a log alone, and refuses a bad --from', async () => {
    const repo = makeRepo()
    const before = head(repo)
    const run = await kitty(repo, ['reconcile', '--mission', SLUG])
    expect(run.envelope.data).toMatchObject({ event_log: false, reconciled: [], commit: null })
    expect(run.envelope.data.warnings[0]).toMatch(/has no event log/)
    const bad = await kitty(repo, ['reconcile', '--mission', SLUG, '--from', 'both'])
    expect([bad.code, bad.envelope.error_code]).toEqual([2, 'USAGE_ERROR'])
    expect(head(repo)).toBe(before)
  })
})

describe('kitty migrate', () => {
  it('round trip frontmatter → events → frontmatter keeps every lane and last actor', async () => {
    const history = (entries: Array<[string, string, string]>) =>
      `history:\n${entries.map(([ts, lane, agent]) => `  - {timestamp: "${ts}", lane: "${lane}", agent: "${agent}", shell_pid: "", action: "moved to ${lane}"}`).join('\n')}`
    const repo = makeRepo([
      {
        tasksMd: TASKS_MD,
        wps: [
          {
            id: 'WP01',
            lane: 'done',
            extra: history([
              ['2026-01-01T10:00:00Z', 'planned', 'system'],
              ['2026-01-02T10:00:00Z', 'doing', 'bob'],
              ['2026-01-03T10:00:00Z', 'for_review', 'bob'],
              ['2026-01-04T10:00:00Z', 'done', 'carol'],
            ]),
          },
          // History short of the current lane: migrate closes it with one event.
          {
            id: 'WP02',
            lane: 'for_review',
            assignee: 'dave',
            extra: history([['2026-01-01T10:00:00Z', 'planned', 'system']]),
          },
          { id: 'WP03', lane: 'planned', dependencies: ['WP01'] },
        ],
      },
    ])
    // makeRepo writes `history: []` after `extra`; the fixture's own history key is the one that counts.
    for (const id of ['WP01', 'WP02']) {
      const path = join(dirOf(repo), 'tasks', `${id}.md`)
      writeFileSync(path, readFileSync(path, 'utf8').replace('history: []\n', ''))
    }
    git(repo, 'commit', '-qam', 'history')
    const view = async () =>
      (await api(repo, 'mission-state', { mission: SLUG })).envelope.data.work_packages.map((w: any) => [
        w.wp_id,
        w.lane,
        w.last_actor,
      ])
    const original = await view()
    expect(original).toEqual([
      ['WP01', 'done', 'carol'],
      ['WP02', 'for_review', 'system'],
      ['WP03', 'planned', null],
    ])
    const before = head(repo)
    const dry = await kitty(repo, ['migrate', '--mission', SLUG, '--to', 'events', '--dry-run'])
    expect(dry.envelope.data).toMatchObject({ dry_run: true, commit: null })
    expect(head(repo)).toBe(before)

    const toEvents = await kitty(repo, ['migrate', '--mission', SLUG, '--to', 'events'])
    expect(toEvents.code, JSON.stringify(toEvents.envelope)).toBe(0)
    expect(changedFiles(repo, before)).toEqual([
      `kitty-specs/${SLUG}/status.events.jsonl`,
      `kitty-specs/${SLUG}/status.json`,
    ])
    const lines = logLines(repo)
    expect(lines.filter((e) => e.wp_id === 'WP01').map((e) => [e.from_lane, e.to_lane, e.actor])).toEqual([
      ['genesis', 'planned', 'finalize-tasks'],
      ['planned', 'in_progress', 'bob'],
      ['in_progress', 'for_review', 'bob'],
      ['for_review', 'done', 'carol'],
    ])
    expect(lines.filter((e) => e.wp_id === 'WP02').map((e) => [e.from_lane, e.to_lane])).toEqual([
      ['genesis', 'planned'],
      ['planned', 'for_review'],
    ])
    expect(upstreamLanes(repo)).toEqual({ WP01: 'done', WP02: 'for_review', WP03: 'planned' })
    expectStatusJsonMatchesLog(repo)
    // With the log, a WP's last actor is its latest lane event's (issue 21, D5): WP03's is the seed's.
    const logged = original.map((w: any[]) => (w[0] === 'WP03' ? ['WP03', 'planned', 'finalize-tasks'] : w))
    expect(await view()).toEqual(logged)
    const again = await kitty(repo, ['migrate', '--mission', SLUG, '--to', 'events'])
    expect(again.envelope.error_code).toBe('USAGE_ERROR')

    // A team that moved to upstream drops the files; migrating back writes them from the log.
    rmSync(join(dirOf(repo), 'tasks'), { recursive: true })
    git(repo, 'add', '-A')
    git(repo, 'commit', '-qm', 'WP files dropped')
    expect((await view()).map((w: any[]) => w.slice(0, 2))).toEqual([
      ['WP01', 'done'],
      ['WP02', 'for_review'],
      ['WP03', 'planned'],
    ])
    const dropped = head(repo)
    const back = await kitty(repo, ['migrate', '--mission', SLUG, '--to', 'frontmatter'])
    expect(back.code, JSON.stringify(back.envelope)).toBe(0)
    expect(git(repo, 'rev-list', '--count', `${dropped}..HEAD`)).toBe('1')
    expect(changedFiles(repo, dropped)).toEqual([
      `kitty-specs/${SLUG}/tasks/WP01-first.md`,
      `kitty-specs/${SLUG}/tasks/WP02-second.md`,
      `kitty-specs/${SLUG}/tasks/WP03-third.md`,
    ])
    const state = await api(repo, 'mission-state', { mission: SLUG })
    expect(state.envelope.data.warnings).toBeUndefined()
    expect(state.envelope.data.work_packages.map((w: any) => [w.wp_id, w.lane, w.last_actor])).toEqual(logged)
    expect(state.envelope.data.work_packages[2].dependencies).toEqual(['WP01'])
    git(repo, 'fsck', '--strict')
    // The materialised files are ordinary WP files: the next change goes through them.
    const run = await api(repo, 'transition', {
      mission: SLUG,
      wp: 'WP02',
      to: 'in_review',
      actor: 'r',
      policy: POLICY_JSON,
    })
    expect(run.code, JSON.stringify(run.envelope)).toBe(0)
    expect(upstreamLanes(repo)['WP02']).toBe('in_review')
  })

  it('--to frontmatter on the corpus shape: log-only WPs get files; nothing else is touched', async () => {
    const repo = loggedRepo()
    const before = head(repo)
    const run = await kitty(repo, ['migrate', '--mission', SLUG, '--to', 'frontmatter'])
    expect(run.code).toBe(0)
    expect(changedFiles(repo, before)).toEqual([`kitty-specs/${SLUG}/tasks/WP03-third.md`])
    const text = readFileSync(join(dirOf(repo), 'tasks', 'WP03-third.md'), 'utf8')
    expect(text).toMatch(/^---\nwork_package_id: "WP03"\ntitle: "Third, only in the log"\nlane: "done"\n/)
    expect(text).toContain('## Work Package WP03: Third, only in the log')
    const state = await api(repo, 'mission-state', { mission: SLUG })
    expect(state.envelope.data.work_packages.find((w: any) => w.wp_id === 'WP03')).toMatchObject({
      lane: 'done',
      last_actor: 'builder',
      dependencies: ['WP01'],
    })
  })
})

describe('merge-mission beside a log', () => {
  it('marks each merged WP done with the event upstream’s merge writes, in the record commit', async () => {
    const repo = makeRepo([
      { meta: { ...defaultMeta(SLUG), mission_id: MISSION_ID }, wps: [{ id: 'WP01', lane: 'approved' }] },
    ])
    const log = [
      event('WP01', 'planned', 'claimed', 'claude'),
      event('WP01', 'claimed', 'in_progress', 'claude'),
      event('WP01', 'in_progress', 'for_review', 'claude'),
      event('WP01', 'for_review', 'in_review', 'reviewer'),
      event('WP01', 'in_review', 'approved', 'reviewer'),
    ]
    writeFileSync(logPath(repo), `${log.join('\n')}\n`)
    git(repo, 'add', '-A')
    git(repo, 'commit', '-qm', 'upstream approved WP01')
    git(repo, 'checkout', '-q', '-b', `${SLUG}-WP01`)
    writeFileSync(join(repo, 'feature.txt'), 'work\n')
    git(repo, 'add', '-A')
    git(repo, 'commit', '-qm', 'the work')
    git(repo, 'checkout', '-q', 'main')
    const run = await api(repo, 'merge-mission', { mission: SLUG, actor: 'merger' })
    expect(run.code, JSON.stringify(run.envelope)).toBe(0)
    const done = logLines(repo).at(-1)
    expect(done).toMatchObject({
      wp_id: 'WP01',
      actor: 'merger',
      from_lane: 'approved',
      to_lane: 'done',
      force: false,
      mission_id: MISSION_ID,
      reason: 'Merged WP01 into main',
      evidence: { review: { reviewer: 'reviewer', verdict: 'approved', reference: 'lane-approved:WP01' } },
      policy_metadata: { merge_phase: 'lane_integrated', target_branch: 'main' },
    })
    expect(upstreamLanes(repo)['WP01']).toBe('done')
    expect(laneOf(readWp(repo, 'WP01'))).toBe('done')
    expectStatusJsonMatchesLog(repo)
    git(repo, 'fsck', '--strict')
  })
})

describe('a hostile log file', () => {
  const cases: Array<[string, (repo: string) => void]> = [
    [
      'a symbolic link',
      (repo) => {
        rmSync(logPath(repo))
        symlinkSync('/etc/passwd', logPath(repo))
      },
    ],
    [
      'a directory',
      (repo) => {
        rmSync(logPath(repo))
        mkdirSync(logPath(repo))
        writeFileSync(join(logPath(repo), 'x'), 'x')
      },
    ],
    ['not UTF-8', (repo) => writeFileSync(logPath(repo), Buffer.from([0x7b, 0xff, 0xfe, 0x7d, 0x0a]))],
    [
      'a lane event for a path',
      (repo) => writeFileSync(logPath(repo), `${event('WP01', 'planned', 'claimed').replace('"WP01"', '"../../x"')}\n`),
    ],
  ]
  it.each(cases)('%s: EVENT_LOG_INVALID for reads and writes, nothing written', async (_name, spoil) => {
    const repo = loggedRepo()
    spoil(repo)
    git(repo, 'add', '-A')
    git(repo, 'commit', '-qm', 'spoiled')
    const before = head(repo)
    for (const run of [
      await api(repo, 'mission-state', { mission: SLUG }),
      await api(repo, 'start-implementation', { mission: SLUG, wp: 'WP02', actor: 'x', policy: POLICY_JSON }),
      await kitty(repo, ['reconcile', '--mission', SLUG]),
    ]) {
      expect(run.envelope.error_code, JSON.stringify(run.envelope)).toBe('EVENT_LOG_INVALID')
      expect(run.stderr).toBe('')
    }
    expect(head(repo)).toBe(before)
    expect(git(repo, 'status', '--porcelain')).toBe('')
  })
})

describe('through a remote (--remote, no checkout)', () => {
  it('the claim commit pushed carries the WP file, the two events and status.json', async () => {
    const server = await startGitHttpServer({ auth: { username: 'x-access-token', password: 'tok' } })
    try {
      const bare = server.createBareRepo('project', { from: loggedRepo() })
      const before = git(bare, 'rev-parse', 'main')
      const run = await kitty(
        tempDir('kitty-cwd-'),
        [
          'orchestrator-api',
          'start-implementation',
          '--mission',
          SLUG,
          '--wp',
          'WP02',
          '--actor',
          'claude',
          '--policy',
          POLICY_JSON,
          '--remote',
          server.repoUrl('project'),
        ],
        { KITTY_TOKEN: 'tok', KITTY_CACHE_DIR: tempDir('kitty-cache-'), KITTY_REMOTE_TIMEOUT_MS: '20000' },
      )
      expect(run.envelope.success, JSON.stringify(run.envelope)).toBe(true)
      expect(git(bare, 'rev-parse', 'main^')).toBe(before)
      expect(git(bare, 'diff', '--name-only', before, 'main').split('\n').sort()).toEqual([
        `kitty-specs/${SLUG}/status.events.jsonl`,
        `kitty-specs/${SLUG}/status.json`,
        `kitty-specs/${SLUG}/tasks/WP02.md`,
      ])
      const log = git(bare, 'show', `main:kitty-specs/${SLUG}/status.events.jsonl`)
        .split('\n')
        .map((l) => JSON.parse(l))
      expect(log.slice(-2).map((e) => [e.wp_id, e.from_lane, e.to_lane, e.actor])).toEqual([
        ['WP02', 'planned', 'claimed', 'claude'],
        ['WP02', 'claimed', 'in_progress', 'claude'],
      ])
      git(bare, 'fsck', '--strict')
    } finally {
      await server.close()
    }
  })
})
