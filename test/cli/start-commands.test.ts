import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { api, cleanupTempDirs, git, laneOf, makeRepo, POLICY, POLICY_JSON, readWp } from '../helpers/git-repo.ts'

afterAll(cleanupTempDirs)

const M = '099-test-mission'
const start = (repo: string, wp = 'WP01', actor = 'claude', policy: string | null = POLICY_JSON) =>
  api(repo, 'start-implementation', { mission: M, wp, actor, ...(policy === null ? {} : { policy }) })

describe('start-implementation (upstream behaviours 41–54)', () => {
  it('41: no policy is POLICY_METADATA_REQUIRED; an empty one too', async () => {
    const repo = makeRepo()
    for (const policy of [null, '']) {
      const { code, envelope } = await start(repo, 'WP01', 'claude', policy)
      expect(code).toBe(1)
      expect(envelope.error_code).toBe('POLICY_METADATA_REQUIRED')
    }
  })

  it('42: a secret in the policy is refused by path, before mission resolution, without echoing it', async () => {
    const repo = makeRepo()
    const policy = JSON.stringify({ ...POLICY, dangerous_flags: ['AWS_SECRET_ACCESS_KEY=abc123'] })
    const run = await api(repo, 'start-implementation', {
      mission: 'no-such-mission',
      wp: 'WP01',
      actor: 'claude',
      policy,
    })
    expect(run.code).toBe(1)
    expect(run.envelope.success).toBe(false)
    expect(run.envelope.error_code).toBe('POLICY_VALIDATION_FAILED')
    expect(run.envelope.data.message).toContain('dangerous_flags[0]')
    expect(run.stdout + run.stderr).not.toContain('AWS_SECRET_ACCESS_KEY')
    expect(run.stdout + run.stderr).not.toContain('abc123')
  })

  it('43/44: planned → in_progress in one commit recording claimed and in_progress', async () => {
    const repo = makeRepo()
    const { code, envelope } = await start(repo)
    expect(code).toBe(0)
    expect(envelope.data).toMatchObject({
      from_lane: 'planned',
      to_lane: 'in_progress',
      policy_metadata_recorded: true,
      no_op: false,
    })
    expect(git(repo, 'rev-list', '--count', 'HEAD')).toBe('2')
    expect(
      git(repo, 'log', '-1', '--format=%(trailers:key=Kitty-From,valueonly)%(trailers:key=Kitty-To,valueonly)'),
    ).toBe('planned\nin_progress')
    const wp = readWp(repo, 'WP01')
    expect(laneOf(wp)).toBe('in_progress')
    expect(wp).toContain('assignee: claude')
    expect(git(repo, 'status', '--porcelain')).toBe('')
    git(repo, 'fsck', '--strict')
  })

  it('45: an unsatisfied dependency is refused and nothing is written', async () => {
    const repo = makeRepo([
      {
        wps: [
          { id: 'WP01', lane: 'in_progress', assignee: 'x' },
          { id: 'WP02', lane: 'planned', dependencies: ['WP01'] },
        ],
      },
    ])
    const head = git(repo, 'rev-parse', 'HEAD')
    const { code, envelope } = await start(repo, 'WP02')
    expect(code).toBe(1)
    expect(envelope.error_code).toBe('DEPENDENCIES_NOT_SATISFIED')
    expect(envelope.data.wp_id).toBe('WP02')
    expect(envelope.data.unsatisfied_dependencies).toEqual(['WP01'])
    expect(envelope.data.message).toMatch(/^dependencies_not_satisfied: WP02 depends on WP01; /)
    expect(git(repo, 'rev-parse', 'HEAD')).toBe(head)
  })

  it('46: an approved dependency satisfies', async () => {
    const repo = makeRepo([
      {
        wps: [
          { id: 'WP01', lane: 'approved' },
          { id: 'WP02', lane: 'planned', dependencies: ['WP01'] },
        ],
      },
    ])
    const { code, envelope } = await start(repo, 'WP02')
    expect(code).toBe(0)
    expect(envelope.data).toMatchObject({ wp_id: 'WP02', to_lane: 'in_progress' })
  })

  it('47: resuming an in-progress WP skips the dependency gate and is a no-op', async () => {
    const repo = makeRepo([
      {
        wps: [
          { id: 'WP01', lane: 'planned' },
          { id: 'WP02', lane: 'in_progress', assignee: 'claude', dependencies: ['WP01'] },
        ],
      },
    ])
    const { code, envelope } = await start(repo, 'WP02')
    expect(code).toBe(0)
    expect(envelope.data.no_op).toBe(true)
  })

  it('48: a claim by the same actor completes to in_progress', async () => {
    const repo = makeRepo([{ wps: [{ id: 'WP01', lane: 'claimed', assignee: 'claude' }] }])
    const { code, envelope } = await start(repo)
    expect(code).toBe(0)
    expect(envelope.data).toMatchObject({ from_lane: 'claimed', to_lane: 'in_progress', no_op: false })
  })

  it('49: in_progress by the same actor is a no-op that writes nothing', async () => {
    const repo = makeRepo([{ wps: [{ id: 'WP01', lane: 'in_progress', assignee: 'claude' }] }])
    const head = git(repo, 'rev-parse', 'HEAD')
    const { code, envelope } = await start(repo)
    expect(code).toBe(0)
    expect(envelope.success).toBe(true)
    expect(envelope.data.no_op).toBe(true)
    expect(git(repo, 'rev-parse', 'HEAD')).toBe(head)
  })

  it('50: a claim by someone else is WP_ALREADY_CLAIMED; placeholders may be taken over', async () => {
    const repo = makeRepo([
      {
        wps: [
          { id: 'WP01', lane: 'claimed', assignee: 'other-agent' },
          { id: 'WP02', lane: 'claimed', assignee: 'unknown' },
        ],
      },
    ])
    const { code, envelope } = await start(repo)
    expect(code).toBe(1)
    expect(envelope.error_code).toBe('WP_ALREADY_CLAIMED')
    expect(envelope.data).toMatchObject({ claimed_by: 'other-agent', requesting_actor: 'claude' })
    expect(envelope.data.message).toBe("WP WP01 is already claimed for implementation by 'other-agent'")
    expect((await start(repo, 'WP02')).code).toBe(0)
  })

  it('51: an unknown WP is WP_NOT_FOUND', async () => {
    const { code, envelope } = await start(makeRepo(), 'WP99')
    expect(code).toBe(1)
    expect(envelope.error_code).toBe('WP_NOT_FOUND')
  })

  it('52: a suffixed WP file is found and is the prompt', async () => {
    const repo = makeRepo([{ wps: [{ id: 'WP07', lane: 'planned', fileName: 'WP07-adapter-implementations.md' }] }])
    const { code, envelope } = await start(repo, 'WP07')
    expect(code).toBe(0)
    expect(envelope.data.wp_id).toBe('WP07')
    expect(envelope.data.prompt_path).toContain('WP07-adapter-implementations')
  })

  it('53: stdout is exactly one JSON line', async () => {
    const { stdout, envelope } = await start(makeRepo())
    expect(stdout.endsWith('\n')).toBe(true)
    expect(stdout.trim().split('\n')).toHaveLength(1)
    expect(envelope.command).toBe('orchestrator-api.start-implementation')
    expect(envelope.data.wp_id).toBe('WP01')
  })

  it('54: identity comes from meta.json', async () => {
    const { envelope } = await start(makeRepo())
    expect(envelope.data).toMatchObject({ mission_slug: M, mission_number: 99, mission_type: 'software-dev' })
  })

  it('55: creates the WP branch and a worktree on it, and only then reports lane fields', async () => {
    const repo = makeRepo()
    const { envelope } = await start(repo)
    const workspace = join(repo, '.worktrees', `${M}-WP01`)
    expect(envelope.data.workspace_path).toBe(workspace)
    expect(envelope.data).toMatchObject({ lane_id: 'WP01', lane_branch: `${M}-WP01`, lane_base_ref: 'main' })
    expect(git(workspace, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe(`${M}-WP01`)
    // The main checkout does not see the worktree folder as untracked.
    expect(git(repo, 'status', '--porcelain')).toBe('')
    const again = await start(repo)
    expect(again.envelope.data).toMatchObject({ no_op: true, lane_branch: `${M}-WP01` })
  })

  it('re-creates a worktree deleted by hand (stale git registration) on the next start', async () => {
    const repo = makeRepo()
    await start(repo)
    const { rmSync } = await import('node:fs')
    rmSync(join(repo, '.worktrees'), { recursive: true, force: true })
    const again = await start(repo)
    expect(again.envelope.data).toMatchObject({ no_op: true, lane_branch: `${M}-WP01` })
    expect(git(join(repo, '.worktrees', `${M}-WP01`), 'rev-parse', '--abbrev-ref', 'HEAD')).toBe(`${M}-WP01`)
  })

  it('keeps working from inside the WP worktree (the agent’s cwd)', async () => {
    const repo = makeRepo()
    await start(repo)
    const workspace = join(repo, '.worktrees', `${M}-WP01`)
    const { code, envelope } = await api(workspace, 'mission-state', { mission: M })
    expect(code).toBe(0)
    expect(envelope.data.work_packages[0].lane).toBe('in_progress')
  })

  it('refuses, writing nothing, when the WP file has uncommitted edits', async () => {
    const repo = makeRepo()
    const path = join(repo, 'kitty-specs', M, 'tasks', 'WP01.md')
    writeFileSync(path, readFileSync(path, 'utf8') + '\nlocal edit\n')
    const head = git(repo, 'rev-parse', 'HEAD')
    const { code, envelope } = await start(repo)
    expect(code).toBe(1)
    expect(envelope.error_code).toBe('WORKTREE_DIRTY')
    expect(envelope.data.paths).toEqual([`kitty-specs/${M}/tasks/WP01.md`])
    expect(git(repo, 'rev-parse', 'HEAD')).toBe(head)
    expect(readFileSync(path, 'utf8')).toContain('local edit')
    // Not even the worktree start-implementation makes alongside the claim, nor its branch.
    expect(existsSync(join(repo, '.worktrees', `${M}-WP01`))).toBe(false)
    expect(git(repo, 'branch', '--list', `${M}-WP01`)).toBe('')
    expect(git(repo, 'worktree', 'list', '--porcelain').match(/^worktree /gm)).toHaveLength(1)
  })
})

describe('start-review (upstream behaviours 60, 62, 63)', () => {
  const review = (repo: string, wp = 'WP01', extra: Record<string, string> = {}) =>
    api(repo, 'start-review', { mission: M, wp, actor: 'reviewer', policy: POLICY_JSON, ...extra })

  it('60: a planned WP cannot start review', async () => {
    const { code, envelope } = await review(makeRepo())
    expect(code).toBe(1)
    expect(envelope.error_code).toBe('TRANSITION_REJECTED')
    expect(envelope.data.message).toBe(
      "WP WP01 is in 'planned', cannot start review: a review starts from for_review. Run 'kitty orchestrator-api transitions --mission 099-test-mission --wp WP01' to see each move and what it needs.",
    )
  })

  it('62: for_review → in_review; again is a no-op', async () => {
    const repo = makeRepo([{ wps: [{ id: 'WP01', lane: 'for_review', assignee: 'claude' }] }])
    const { code, envelope } = await review(repo, 'WP01', { 'review-ref': 'review-feedback-001' })
    expect(code).toBe(0)
    expect(envelope.data).toMatchObject({
      from_lane: 'for_review',
      to_lane: 'in_review',
      policy_metadata_recorded: true,
      no_op: false,
    })
    expect(envelope.data.prompt_path).toBe(join(repo, 'kitty-specs', M, 'tasks', 'WP01.md'))
    const wp = readWp(repo, 'WP01')
    expect(laneOf(wp)).toBe('in_review')
    expect(wp).toContain('reviewer: reviewer')
    expect(wp).toContain('assignee: claude')
    expect(git(repo, 'log', '-1', '--format=%(trailers:key=Kitty-Review-Ref,valueonly)')).toBe('review-feedback-001')
    const head = git(repo, 'rev-parse', 'HEAD')
    const again = await review(repo)
    expect(again.envelope.data).toMatchObject({ from_lane: 'in_review', to_lane: 'in_review', no_op: true })
    expect(git(repo, 'rev-parse', 'HEAD')).toBe(head)
  })

  it('63: an unknown WP is WP_NOT_FOUND; no policy is POLICY_METADATA_REQUIRED', async () => {
    const repo = makeRepo()
    expect((await review(repo, 'WP99', { 'review-ref': 'r' })).envelope.error_code).toBe('WP_NOT_FOUND')
    expect((await api(repo, 'start-review', { mission: M, wp: 'WP01', actor: 'r' })).envelope.error_code).toBe(
      'POLICY_METADATA_REQUIRED',
    )
  })
})
