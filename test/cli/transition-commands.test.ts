import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { api, cleanupTempDirs, git, laneOf, makeRepo, POLICY_JSON, readWp } from '../helpers/git-repo.ts'

afterAll(cleanupTempDirs)

const M = '099-test-mission'
const move = (repo: string, to: string, extra: Record<string, string | boolean> = {}, wp = 'WP01') =>
  api(repo, 'transition', { mission: M, wp, to, actor: 'claude', ...extra })
const REVIEW = { reviewer: 'rev', verdict: 'approved', reference: 'review-001' }
const TASKS = (mark: string) =>
  `# Tasks\n\n## Work Package WP01: First\n\n- [${mark}] T001 one\n- [${mark}] T002 two\n\n## Work Package WP02\n\n- [ ] T003 three\n`

describe('transition (upstream behaviours 64–76)', () => {
  it('64: planned → done is illegal (no policy needed to say so)', async () => {
    const { code, envelope } = await move(makeRepo(), 'done')
    expect(code).toBe(1)
    expect(envelope.error_code).toBe('TRANSITION_REJECTED')
    expect(envelope.data.message).toMatch(
      /^Illegal transition: planned -> done; from planned a WP may move to claimed, blocked, canceled/,
    )
  })

  it('65: planned → canceled needs no policy and records none', async () => {
    const repo = makeRepo()
    const { code, envelope } = await move(repo, 'canceled')
    expect(code).toBe(0)
    expect(envelope.data).toMatchObject({ from_lane: 'planned', to_lane: 'canceled', policy_metadata_recorded: false })
    expect(laneOf(readWp(repo, 'WP01'))).toBe('canceled')
    expect(git(repo, 'log', '-1', '--format=%(trailers:key=Kitty-Policy,valueonly)')).toBe('')
  })

  it('66: every policy-affecting target needs a policy', async () => {
    const repo = makeRepo()
    for (const to of ['claimed', 'in_progress', 'for_review', 'in_review', 'approved']) {
      expect((await move(repo, to)).envelope.error_code).toBe('POLICY_METADATA_REQUIRED')
    }
  })

  it('an unknown lane is TRANSITION_REJECTED (upstream crashed); doing is accepted', async () => {
    const repo = makeRepo([{ wps: [{ id: 'WP01', lane: 'claimed', assignee: 'claude' }] }])
    const bad = await move(repo, 'reviewing', { policy: POLICY_JSON })
    expect(bad.envelope).toMatchObject({
      error_code: 'TRANSITION_REJECTED',
      data: {
        message: expect.stringMatching(
          /^Unknown lane: reviewing\. .*Lanes: planned, claimed, in_progress, for_review, in_review, approved, done, blocked, canceled/,
        ),
      },
    })
    const ok = await move(repo, ' Doing ', { policy: POLICY_JSON })
    expect(ok.envelope.data.to_lane).toBe('in_progress')
  })

  it('67/74: in_progress → for_review with every subtask ticked in tasks.md', async () => {
    const repo = makeRepo([
      {
        wps: [{ id: 'WP01', lane: 'in_progress', assignee: 'claude', subtasks: ['T001', 'T002'] }],
        tasksMd: TASKS('x'),
      },
    ])
    const { code, envelope } = await move(repo, 'for_review', {
      policy: POLICY_JSON,
      'subtasks-complete': true,
      'implementation-evidence-present': true,
    })
    expect(code).toBe(0)
    expect(envelope.data).toMatchObject({
      from_lane: 'in_progress',
      to_lane: 'for_review',
      policy_metadata_recorded: true,
    })
  })

  it('73/75: unticked subtasks refuse for_review, whatever the caller claims', async () => {
    const repo = makeRepo([
      {
        wps: [{ id: 'WP01', lane: 'in_progress', assignee: 'claude', subtasks: ['T001', 'T002'] }],
        tasksMd: TASKS(' '),
      },
    ])
    for (const flags of [{}, { 'subtasks-complete': true, 'implementation-evidence-present': true }] as Record<
      string,
      boolean
    >[]) {
      const { code, envelope } = await move(repo, 'for_review', { policy: POLICY_JSON, ...flags })
      expect(code).not.toBe(0)
      expect(envelope.error_code).toBe('TRANSITION_REJECTED')
      expect(envelope.data.message).toContain('requires completed subtasks')
    }
  })

  it('mark-status ticks subtasks so the guard passes (the orchestrator’s agent loop)', async () => {
    const repo = makeRepo([
      {
        wps: [{ id: 'WP01', lane: 'in_progress', assignee: 'claude', subtasks: ['T001', 'T002'] }],
        tasksMd: TASKS(' '),
      },
    ])
    const { kitty } = await import('../helpers/git-repo.ts')
    const mark = await kitty(repo, [
      'agent',
      'tasks',
      'mark-status',
      'T001',
      'T002',
      '--status',
      'done',
      '--mission',
      M,
    ])
    expect(mark.code).toBe(0)
    expect(mark.envelope).toMatchObject({
      command: 'agent.tasks.mark-status',
      success: true,
      data: { changed: ['T001', 'T002'] },
    })
    const tasks = readFileSync(join(repo, 'kitty-specs', M, 'tasks.md'), 'utf8')
    expect(tasks).toBe(TASKS(' ').replace('- [ ] T001', '- [x] T001').replace('- [ ] T002', '- [x] T002'))
    expect((await move(repo, 'for_review', { policy: POLICY_JSON })).code).toBe(0)
    const unknown = await kitty(repo, ['agent', 'tasks', 'mark-status', 'T099', '--status', 'done', '--mission', M])
    expect(unknown.envelope.error_code).toBe('SUBTASK_NOT_FOUND')
  })

  it('76: --force with a note overrides the guard and is recorded', async () => {
    const repo = makeRepo([
      { wps: [{ id: 'WP01', lane: 'in_progress', assignee: 'claude', subtasks: ['T001'] }], tasksMd: TASKS(' ') },
    ])
    expect((await move(repo, 'for_review', { policy: POLICY_JSON, force: true })).envelope.data.message).toBe(
      'Force transitions require actor and reason: pass --note "<why>" with --force',
    )
    const { code, envelope } = await move(repo, 'for_review', {
      policy: POLICY_JSON,
      force: true,
      note: 'forced advance',
    })
    expect(code).toBe(0)
    expect(envelope.success).toBe(true)
    expect(git(repo, 'log', '-1', '--format=%(trailers:key=Kitty-Force,valueonly)')).toBe('true')
    expect(git(repo, 'log', '-1', '--format=%b')).toContain('forced advance')
  })

  it('68: in_review → done with a matching review result and evidence', async () => {
    const repo = makeRepo([{ wps: [{ id: 'WP01', lane: 'in_review', assignee: 'claude' }] }])
    const { code, envelope } = await move(repo, 'done', {
      'review-ref': 'review-001',
      'review-result-json': JSON.stringify(REVIEW),
      'evidence-json': JSON.stringify({ review: REVIEW }),
    })
    expect(code).toBe(0)
    expect(envelope.data).toMatchObject({ from_lane: 'in_review', to_lane: 'done' })
    const wp = readWp(repo, 'WP01')
    expect(wp).toContain('review_status: approved')
    expect(wp).toContain('reviewed_by: rev')
    expect(git(repo, 'log', '-1', '--format=%(trailers:key=Kitty-Review-Ref,valueonly)')).toBe('review-001')
  })

  it('changes requested sends the WP back to in_progress with feedback recorded', async () => {
    const repo = makeRepo([{ wps: [{ id: 'WP01', lane: 'in_review', assignee: 'claude' }] }])
    const result = JSON.stringify({ ...REVIEW, verdict: 'changes_requested' })
    const { code } = await move(repo, 'in_progress', { policy: POLICY_JSON, 'review-result-json': result })
    expect(code).toBe(0)
    expect(readWp(repo, 'WP01')).toContain('review_status: has_feedback')
    expect((await move(repo, 'approved', { policy: POLICY_JSON })).envelope.data.message).toContain('requires evidence')
  })

  // Upstream exits 1 here (its engine raises it); ours exits 2 like every USAGE_ERROR (docs/cli.md, exit codes).
  it('69: malformed --evidence-json is USAGE_ERROR with exit 2', async () => {
    const { code, envelope } = await move(makeRepo(), 'canceled', { 'evidence-json': '{"review":' })
    expect(code).toBe(2)
    expect(envelope.error_code).toBe('USAGE_ERROR')
    expect(envelope.command).toBe('orchestrator-api.transition')
  })

  it.each([
    ['{"reviewer":', 'Invalid JSON in --review-result-json'],
    ['[]', '--review-result-json must decode to a JSON object'],
    [
      JSON.stringify({ reviewer: 'a', verdict: 'approved' }),
      'requires non-empty reviewer, verdict, and reference strings',
    ],
    [JSON.stringify({ ...REVIEW, verdict: 'maybe' }), "verdict must be 'approved' or 'changes_requested'"],
  ])('70: bad review result %s', async (json, message) => {
    const { code, envelope } = await move(makeRepo(), 'canceled', { 'review-result-json': json })
    expect(code).toBe(2)
    expect(envelope.error_code).toBe('USAGE_ERROR')
    expect(envelope.data.message).toContain(message)
  })

  it('incomplete evidence is refused for any target', async () => {
    const { envelope } = await move(makeRepo(), 'canceled', {
      'evidence-json': JSON.stringify({ review: { reviewer: 'a' } }),
    })
    expect(envelope.error_code).toBe('TRANSITION_REJECTED')
    expect(envelope.data.message).toContain('requires evidence with review.reviewer')
  })

  it('71/72: unknown WP, and a suffixed WP file', async () => {
    expect((await move(makeRepo(), 'canceled', {}, 'WP99')).envelope.error_code).toBe('WP_NOT_FOUND')
    const repo = makeRepo([
      { wps: [{ id: 'WP07', lane: 'in_progress', assignee: 'x', fileName: 'WP07-adapter-implementations.md' }] },
    ])
    const { code, envelope } = await move(repo, 'canceled', {}, 'WP07')
    expect(code).toBe(0)
    expect(envelope.data).toMatchObject({ wp_id: 'WP07', to_lane: 'canceled' })
  })

  it('the commit is the audit record: trailers answer git log queries', async () => {
    const repo = makeRepo()
    await move(repo, 'claimed', { policy: POLICY_JSON, note: 'taking it' })
    await move(repo, 'in_progress', { policy: POLICY_JSON })
    const tos = git(repo, 'log', '--format=%(trailers:key=Kitty-To,valueonly)', '--', `kitty-specs/${M}`)
      .split('\n')
      .filter(Boolean)
    expect(tos).toEqual(['in_progress', 'claimed'])
    const msg = git(repo, 'log', '-1', '--skip=1', '--format=%B')
    expect(msg).toMatch(
      /^kitty\(099-test-mission\/WP01\): planned -> claimed\n\ntaking it\n\nKitty-Command: transition\n/,
    )
    expect(msg).toContain('Kitty-Policy: {"orchestrator_id":"test-orch"')
    git(repo, 'fsck', '--strict')
  })
})

describe('append-history (79–83)', () => {
  it('79/81: appends one Activity Log line in one commit; nothing else in the file changes', async () => {
    const repo = makeRepo()
    const before = readWp(repo, 'WP01')
    const { code, envelope } = await api(repo, 'append-history', {
      mission: M,
      wp: 'WP01',
      actor: 'claude',
      note: 'Started implementation',
    })
    expect(code).toBe(0)
    expect(envelope.success).toBe(true)
    expect(envelope.data.wp_id).toBe('WP01')
    expect(envelope.data.history_entry_id).toMatch(/^hist-[0-9a-f]{32}$/)
    expect(git(repo, 'rev-parse', 'HEAD').startsWith(envelope.data.history_entry_id.slice(5))).toBe(true)
    const after = readWp(repo, 'WP01')
    const added = after.split('\n').filter((l) => !before.split('\n').includes(l))
    expect(added).toHaveLength(1)
    expect(added[0]).toMatch(/^- \[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\] claude: Started implementation$/)
    expect(after.replace(`${added[0]}\n`, '')).toBe(before)
    expect(git(repo, 'log', '-1', '--format=%(trailers:key=Kitty-Actor,valueonly)')).toBe('claude')
  })

  it('80: unknown WP', async () => {
    const { code, envelope } = await api(makeRepo(), 'append-history', {
      mission: M,
      wp: 'WP99',
      actor: 'c',
      note: 'n',
    })
    expect(code).toBe(1)
    expect(envelope.error_code).toBe('WP_NOT_FOUND')
  })

  it('82 (adapted): a write refused for a dirty file is WORKTREE_DIRTY, as for every mutation, and leaves the file as it was', async () => {
    const repo = makeRepo()
    const path = join(repo, 'kitty-specs', M, 'tasks', 'WP01.md')
    const edited = readFileSync(path, 'utf8') + 'uncommitted\n'
    writeFileSync(path, edited)
    const head = git(repo, 'rev-parse', 'HEAD')
    const { code, envelope } = await api(repo, 'append-history', { mission: M, wp: 'WP01', actor: 'claude', note: 'x' })
    expect(code).toBe(1)
    expect(envelope.success).toBe(false)
    expect(envelope.error_code).toBe('WORKTREE_DIRTY')
    expect(envelope.data.paths).toEqual([`kitty-specs/${M}/tasks/WP01.md`])
    expect(readFileSync(path, 'utf8')).toBe(edited)
    expect(git(repo, 'rev-parse', 'HEAD')).toBe(head)
  })

  it('83 (adapted): works beside unrelated uncommitted work, which it leaves alone', async () => {
    const repo = makeRepo()
    writeFileSync(join(repo, 'README.md'), 'my local notes\n')
    const { code } = await api(repo, 'append-history', {
      mission: M,
      wp: 'WP01',
      actor: 'claude',
      note: 'multi\nline note',
    })
    expect(code).toBe(0)
    expect(git(repo, 'status', '--porcelain')).toBe(' M README.md')
    expect(readWp(repo, 'WP01')).toMatch(/\] claude: multi line note\n$/)
  })
})

describe('accept-mission (87–90)', () => {
  const accept = (repo: string) => api(repo, 'accept-mission', { mission: M, actor: 'claude' })
  const meta = (repo: string) => JSON.parse(readFileSync(join(repo, 'kitty-specs', M, 'meta.json'), 'utf8'))

  it('87: all done → accepted, recorded in meta.json', async () => {
    const repo = makeRepo([
      {
        wps: [
          { id: 'WP01', lane: 'done' },
          { id: 'WP02', lane: 'done' },
        ],
      },
    ])
    const { code, envelope } = await accept(repo)
    expect(code).toBe(0)
    expect(envelope.data).toMatchObject({
      mission_slug: M,
      accepted: true,
      mode: 'auto',
      accepted_wps: ['WP01', 'WP02'],
      approved_wps: [],
      done_wps: ['WP01', 'WP02'],
      merge_pending_wps: [],
    })
    const m = meta(repo)
    expect(m.accepted_at).toBe(envelope.data.accepted_at)
    expect(m.accepted_by).toBe('claude')
    expect(m.acceptance_mode).toBe('orchestrator')
    expect(m.acceptance_history).toHaveLength(1)
    expect(git(repo, 'show', '--stat', '--format=', 'HEAD')).toContain('meta.json')
  })

  it('88: all approved → merge pending; lanes stay approved', async () => {
    const repo = makeRepo([
      {
        wps: [
          { id: 'WP01', lane: 'approved' },
          { id: 'WP02', lane: 'approved' },
        ],
      },
    ])
    const { envelope } = await accept(repo)
    expect(envelope.data).toMatchObject({
      accepted_wps: ['WP01', 'WP02'],
      approved_wps: ['WP01', 'WP02'],
      done_wps: [],
      merge_pending_wps: ['WP01', 'WP02'],
    })
    expect(laneOf(readWp(repo, 'WP01'))).toBe('approved')
  })

  it('89/90: incomplete WPs → MISSION_NOT_READY with identity', async () => {
    const repo = makeRepo([
      {
        meta: { mission_number: '064', mission_type: 'software-dev' },
        wps: [
          { id: 'WP01', lane: 'done' },
          { id: 'WP02', lane: 'planned' },
        ],
      },
    ])
    const { code, envelope } = await accept(repo)
    expect(code).toBe(1)
    expect(envelope.error_code).toBe('MISSION_NOT_READY')
    expect(envelope.data).toMatchObject({
      incomplete_wps: ['WP02'],
      mission_slug: M,
      mission_number: 64,
      mission_type: 'software-dev',
      message: 'Mission has 1 incomplete WP(s)',
    })
  })

  it('keeps only the last 20 acceptances and leaves other meta.json bytes alone', async () => {
    const repo = makeRepo([{ wps: [{ id: 'WP01', lane: 'done' }] }])
    const original = readFileSync(join(repo, 'kitty-specs', M, 'meta.json'), 'utf8')
    for (let i = 0; i < 21; i++) expect((await accept(repo)).code).toBe(0)
    const text = readFileSync(join(repo, 'kitty-specs', M, 'meta.json'), 'utf8')
    expect(text.startsWith(original.slice(0, original.lastIndexOf('\n}')))).toBe(true)
    expect(meta(repo).acceptance_history).toHaveLength(20)
  })
})
