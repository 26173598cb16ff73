import { existsSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { api, cleanupTempDirs, git, makeRepo, POLICY_JSON, tempDir } from '../helpers/git-repo.ts'

afterAll(cleanupTempDirs)

const M = '099-test-mission'

describe('mission-state (upstream behaviours 24–33)', () => {
  it('26: reflects a claim and echoes the resolved slug', async () => {
    const repo = makeRepo()
    expect(
      (
        await api(repo, 'transition', {
          mission: M,
          wp: 'WP01',
          to: 'claimed',
          actor: 'test-actor',
          policy: POLICY_JSON,
        })
      ).code,
    ).toBe(0)
    const { code, envelope } = await api(repo, 'mission-state', { mission: M })
    expect(code).toBe(0)
    expect(envelope.success).toBe(true)
    expect(envelope.data.mission_slug).toBe(M)
    const wp01 = envelope.data.work_packages.find((w: { wp_id: string }) => w.wp_id === 'WP01')
    expect(wp01.lane).toBe('claimed')
    expect(wp01.last_actor).toBe('test-actor')
    expect(envelope.data.summary.claimed).toBe(1)
  })

  it('27/28: an unknown mission is MISSION_NOT_FOUND, never a FEATURE_* code, with or without kitty-specs/', async () => {
    const empty = tempDir()
    git(empty, 'init', '-q', '-b', 'main')
    git(empty, 'commit', '-q', '--allow-empty', '-m', 'empty')
    for (const [repo, handle] of [
      [empty, 'nonexistent-mission'],
      [makeRepo(), '999-does-not-exist'],
    ] as const) {
      const { code, envelope } = await api(repo, 'mission-state', { mission: handle })
      expect(code).toBe(1)
      expect(envelope.success).toBe(false)
      expect(envelope.error_code).toBe('MISSION_NOT_FOUND')
      expect(envelope.data.message.startsWith(`Mission '${handle}' not found in kitty-specs/`)).toBe(true)
    }
  })

  it('29: payload names the mission, never feature_slug; command is mission-state', async () => {
    const { envelope } = await api(makeRepo(), 'mission-state', { mission: M })
    expect(envelope.data.mission_slug).toBe(M)
    expect(envelope.data).not.toHaveProperty('feature_slug')
    expect(envelope.command).toBe('orchestrator-api.mission-state')
  })

  it('30: mission-state and list-ready write nothing (no status.json, ref and tree unchanged)', async () => {
    const repo = makeRepo()
    const before = git(repo, 'rev-parse', 'HEAD')
    const objects = git(repo, 'count-objects', '-v')
    await api(repo, 'mission-state', { mission: M })
    await api(repo, 'list-ready', { mission: M })
    expect(existsSync(join(repo, 'kitty-specs', M, 'status.json'))).toBe(false)
    expect(git(repo, 'rev-parse', 'HEAD')).toBe(before)
    expect(git(repo, 'status', '--porcelain')).toBe('')
    expect(git(repo, 'count-objects', '-v')).toBe(objects)
  })

  it('31: WPs with no lane are planned', async () => {
    const repo = makeRepo([{ wps: [{ id: 'WP01' }, { id: 'WP02' }] }])
    const { envelope } = await api(repo, 'mission-state', { mission: M })
    expect(envelope.data.work_packages.map((w: { lane: string }) => w.lane)).toEqual(['planned', 'planned'])
  })

  it('32: ids come from file stems; README.md is skipped', async () => {
    const repo = makeRepo([
      {
        wps: [
          { id: 'WP01', fileName: 'WP01-core-setup.md' },
          { id: 'WP07', fileName: 'WP07-adapter-implementations.md' },
        ],
      },
    ])
    const { writeFileSync } = await import('node:fs')
    writeFileSync(join(repo, 'kitty-specs', M, 'tasks', 'README.md'), '# tasks\n')
    git(repo, 'add', '-A')
    git(repo, 'commit', '-qm', 'readme')
    const { envelope } = await api(repo, 'mission-state', { mission: M })
    expect(envelope.data.work_packages.map((w: { wp_id: string }) => w.wp_id)).toEqual(['WP01', 'WP07'])
  })

  it('33: mission_number "064" is reported as 64 with type and slug, by mission-state and list-ready', async () => {
    const slug = '064-numbered'
    const repo = makeRepo([
      { slug, meta: { mission_number: '064', slug, mission_slug: slug, mission_type: 'software-dev' } },
    ])
    for (const cmd of ['mission-state', 'list-ready']) {
      const { envelope } = await api(repo, cmd, { mission: slug })
      expect(envelope.data).toMatchObject({ mission_number: 64, mission_type: 'software-dev', mission_slug: slug })
    }
  })

  it('legacy layouts: lane folders, doing, quoted lanes, comments, CRLF, BOM, no meta.json', async () => {
    const repo = makeRepo([{ slug: '001-legacy', meta: null, wps: [] }])
    const { mkdirSync, writeFileSync } = await import('node:fs')
    const tasks = join(repo, 'kitty-specs', '001-legacy', 'tasks')
    mkdirSync(join(tasks, 'doing', 'phase-1'), { recursive: true })
    mkdirSync(join(tasks, 'done'), { recursive: true })
    writeFileSync(
      join(tasks, 'doing', 'phase-1', 'WP01-old.md'),
      '---\nwork_package_id: "WP01"\ntitle: "Old"\n---\nbody\n',
    )
    writeFileSync(join(tasks, 'done', 'WP02.md'), '---\nwork_package_id: WP02\nlane: "done"  # finished\n---\n')
    writeFileSync(
      join(tasks, 'WP03-crlf.md'),
      '\uFEFF---\r\nwork_package_id: WP03\r\nlane: doing\r\ndependencies: "WP01, WP02"\r\n---\r\nx\r\n',
    )
    git(repo, 'add', '-A')
    git(repo, 'commit', '-qm', 'legacy')
    const { code, envelope } = await api(repo, 'mission-state', { mission: '001-legacy' })
    expect(code).toBe(0)
    expect(envelope.data).toMatchObject({
      mission_id: null,
      mission_slug: '001-legacy',
      mission_number: null,
      mission_type: '',
    })
    expect(envelope.data.work_packages).toEqual([
      expect.objectContaining({ wp_id: 'WP01', lane: 'in_progress', dependencies: [] }),
      expect.objectContaining({ wp_id: 'WP02', lane: 'done' }),
      expect.objectContaining({ wp_id: 'WP03', lane: 'in_progress', dependencies: ['WP01', 'WP02'] }),
    ])
  })

  it('reads the committed state, not uncommitted edits in the working tree', async () => {
    const repo = makeRepo()
    const { writeFileSync, readFileSync } = await import('node:fs')
    const path = join(repo, 'kitty-specs', M, 'tasks', 'WP01.md')
    writeFileSync(path, readFileSync(path, 'utf8').replace('lane: planned', 'lane: done'))
    const { envelope } = await api(repo, 'mission-state', { mission: M })
    expect(envelope.data.work_packages[0].lane).toBe('planned')
  })

  it('resolves selectors: number, stripped prefix, mid8, ambiguous', async () => {
    const id = '01KXWN13GH4QCRMS28N448V7CR'
    const repo = makeRepo([
      { slug: '041-alpha' },
      { slug: '041-beta' },
      { slug: 'gamma-01KXWN13', meta: { mission_id: id, mission_slug: 'gamma-01KXWN13', mission_type: 'research' } },
    ])
    expect((await api(repo, 'mission-state', { mission: 'alpha' })).envelope.data.mission_slug).toBe('041-alpha')
    expect((await api(repo, 'mission-state', { mission: '01KXWN13' })).envelope.data).toMatchObject({
      mission_slug: 'gamma-01KXWN13',
      mission_id: id,
    })
    expect((await api(repo, 'mission-state', { mission: id })).envelope.data.mission_slug).toBe('gamma-01KXWN13')
    expect((await api(repo, 'mission-state', { mission: 'gamma' })).envelope.data.mission_slug).toBe('gamma-01KXWN13')
    const amb = await api(repo, 'mission-state', { mission: '041' })
    expect(amb.code).toBe(1)
    expect(amb.envelope.error_code).toBe('MISSION_AMBIGUOUS_SELECTOR')
    expect(amb.envelope.data.candidates.map((c: { slug: string }) => c.slug)).toEqual(['041-alpha', '041-beta'])
  })
})

describe('list-ready (36–39)', () => {
  const ready = async (repo: string) =>
    (await api(repo, 'list-ready', { mission: M })).envelope.data.ready_work_packages.map(
      (w: { wp_id: string }) => w.wp_id,
    )

  it('36: two planned WPs without dependencies are both ready', async () => {
    const repo = makeRepo()
    const { envelope } = await api(repo, 'list-ready', { mission: M })
    expect(envelope.data.mission_slug).toBe(M)
    expect(envelope.data.ready_work_packages).toEqual([
      { wp_id: 'WP01', lane: 'planned', dependencies: [], dependencies_satisfied: true },
      { wp_id: 'WP02', lane: 'planned', dependencies: [], dependencies_satisfied: true },
    ])
  })
  it('37: a started WP is no longer ready', async () => {
    const repo = makeRepo()
    await api(repo, 'start-implementation', { mission: M, wp: 'WP01', actor: 'claude', policy: POLICY_JSON })
    expect(await ready(repo)).toEqual(['WP02'])
  })
  it('38: a dependency in progress blocks', async () => {
    const repo = makeRepo([
      {
        wps: [
          { id: 'WP01', lane: 'in_progress', assignee: 'claude' },
          { id: 'WP02', lane: 'planned', dependencies: ['WP01'] },
        ],
      },
    ])
    expect(await ready(repo)).toEqual([])
  })
  it('39: an approved dependency satisfies', async () => {
    const repo = makeRepo([
      {
        wps: [
          { id: 'WP01', lane: 'approved' },
          { id: 'WP02', lane: 'planned', dependencies: ['WP01'] },
        ],
      },
    ])
    expect(await ready(repo)).toEqual(['WP02'])
  })
  it('a dependency on a WP that does not exist is never satisfied', async () => {
    const repo = makeRepo([{ wps: [{ id: 'WP01', lane: 'planned', dependencies: ['WP09'] }] }])
    expect(await ready(repo)).toEqual([])
  })
})

describe('resolve-workspace (99–101)', () => {
  it('99/100: answers absolute paths and writes nothing', async () => {
    const repo = makeRepo()
    const before = git(repo, 'rev-parse', 'HEAD')
    const { code, envelope } = await api(repo, 'resolve-workspace', { mission: M, wp: 'WP01' })
    expect(code).toBe(0)
    expect(envelope.data).toMatchObject({ mission_slug: M, wp_id: 'WP01' })
    expect(envelope.data.workspace_path).toBe(join(repo, '.worktrees', `${M}-WP01`))
    expect(envelope.data.prompt_path).toBe(join(repo, 'kitty-specs', M, 'tasks', 'WP01.md'))
    expect(envelope.data).not.toHaveProperty('lane_branch')
    expect(existsSync(join(repo, '.worktrees'))).toBe(false)
    expect(git(repo, 'rev-parse', 'HEAD')).toBe(before)
    const state = await api(repo, 'mission-state', { mission: M })
    expect(state.envelope.data.work_packages[0].lane).toBe('planned')
  })
  it('101: an unknown WP is WP_NOT_FOUND', async () => {
    const { code, envelope } = await api(makeRepo(), 'resolve-workspace', { mission: M, wp: 'WP99' })
    expect(code).toBe(1)
    expect(envelope.error_code).toBe('WP_NOT_FOUND')
  })
  it('reports the lane fields once the worktree exists on the WP branch', async () => {
    const repo = makeRepo()
    await api(repo, 'start-implementation', { mission: M, wp: 'WP01', actor: 'claude', policy: POLICY_JSON })
    const { envelope } = await api(repo, 'resolve-workspace', { mission: M, wp: 'WP01' })
    expect(envelope.data).toMatchObject({ lane_id: 'WP01', lane_branch: `${M}-WP01`, lane_base_ref: 'main' })
    rmSync(join(repo, '.worktrees'), { recursive: true, force: true })
    expect((await api(repo, 'resolve-workspace', { mission: M, wp: 'WP01' })).envelope.data).not.toHaveProperty(
      'lane_branch',
    )
  })
})

describe('WP ids: one file per WP, one spelling per id', () => {
  const tasks = (repo: string) => join(repo, 'kitty-specs', M, 'tasks')

  it.each([
    ['WP01-x.md', 'WP01-y.md'],
    ['WP1-a.md', 'WP01.md'],
    ['wp01.md', 'WP01-b.md'],
  ])('%s and %s are WP_FILE_INVALID naming both files', async (a, b) => {
    const repo = makeRepo([{ wps: [{ id: 'WP01', fileName: a }, { id: 'WP01', fileName: b }, { id: 'WP02' }] }])
    for (const command of ['mission-state', 'list-ready']) {
      const { code, envelope } = await api(repo, command, { mission: M })
      expect(code).toBe(1)
      expect(envelope.error_code, JSON.stringify(envelope.data)).toBe('WP_FILE_INVALID')
      expect(envelope.data.wp_id).toBe('WP01')
      expect(envelope.data.paths).toEqual([`kitty-specs/${M}/tasks/${a}`, `kitty-specs/${M}/tasks/${b}`].sort())
      expect(envelope.data.message).toContain(a)
      expect(envelope.data.message).toContain(b)
    }
    const claim = await api(repo, 'transition', { mission: M, wp: 'WP02', to: 'blocked', actor: 'a' })
    expect(claim.envelope.error_code).toBe('WP_FILE_INVALID')
    expect(existsSync(tasks(repo))).toBe(true)
  })

  it('WP1 and wp02 name WP01 and WP02; WP003 stays WP003 (as upstream keeps it) and --wp WP0003 finds it', async () => {
    const repo = makeRepo([
      {
        wps: [
          { id: 'WP01', fileName: 'WP1-setup.md', lane: 'approved' },
          { id: 'WP02', fileName: 'wp02.md', dependencies: ['wp1'] },
          { id: 'WP03', fileName: 'WP003-last.md', dependencies: ['WP2', 'WP01'] },
        ],
      },
    ])
    const state = (await api(repo, 'mission-state', { mission: M })).envelope
    expect(state.success, JSON.stringify(state.data)).toBe(true)
    expect(
      state.data.work_packages.map((w: { wp_id: string; dependencies: string[] }) => [w.wp_id, w.dependencies]),
    ).toEqual([
      ['WP01', []],
      ['WP02', ['WP01']],
      ['WP003', ['WP02', 'WP01']],
    ])
    expect(
      (await api(repo, 'list-ready', { mission: M })).envelope.data.ready_work_packages.map(
        (w: { wp_id: string }) => w.wp_id,
      ),
    ).toEqual(['WP02'])
    const moved = await api(repo, 'transition', { mission: M, wp: 'wp2', to: 'blocked', actor: 'a' })
    expect(moved.envelope, JSON.stringify(moved.envelope.data)).toMatchObject({
      success: true,
      data: { wp_id: 'WP02' },
    })
    expect(git(repo, 'show', '--name-only', '--format=', 'HEAD')).toBe(`kitty-specs/${M}/tasks/wp02.md`)
    expect(git(repo, 'log', '-1', '--format=%(trailers:key=Kitty-WP,valueonly)')).toBe('WP02')
    const history = await api(repo, 'history', { mission: M, wp: 'WP2' })
    expect(history.envelope.data.entries.map((e: { wp_id: string }) => e.wp_id)).toEqual(['WP02'])
    const where = await api(repo, 'resolve-workspace', { mission: M, wp: 'WP0003' })
    expect(where.envelope.data.prompt_path).toMatch(/WP003-last\.md$/)
  })
})
