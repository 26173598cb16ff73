import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { pythonJsonLine } from '../../src/core/python-json.ts'
import { api, cleanupTempDirs, git, makeRepo, POLICY_JSON } from '../helpers/git-repo.ts'

/**
 * Issue 21, D11: upstream keeps WP ids as written (`^WP\d{2,}$` in status/wp_metadata.py, `^WP\d+$` in
 * its event store), so a mission whose WPs are WP001… is answered and written as WP001…; a selector
 * naming the same number another way (`WP1`, `WP01`) still finds the one WP with that number.
 */

afterAll(cleanupTempDirs)

const M = '099-test-mission'
const logFile = (repo: string) => join(repo, 'kitty-specs', M, 'status.events.jsonl')

function seed(wp: string, n: number): string {
  return pythonJsonLine({
    actor: 'finalize-tasks',
    at: `2026-01-01T10:00:0${n}.000000+00:00`,
    event_id: `01M95E00000000000000000${String(n).padStart(3, '0')}`,
    evidence: null,
    execution_mode: 'worktree',
    force: false,
    from_lane: 'genesis',
    mission_slug: M,
    policy_metadata: null,
    reason: 'canonical bootstrap',
    review_ref: null,
    to_lane: 'planned',
    wp_id: wp,
  })
}

function threeDigitMission(): string {
  const repo = makeRepo([
    {
      wps: [
        { id: 'WP001', fileName: 'WP001-setup.md', lane: 'planned', subtasks: ['T001'] },
        { id: 'WP002', fileName: 'WP002-build.md', lane: 'planned', dependencies: ['WP001'] },
      ],
    },
  ])
  writeFileSync(logFile(repo), `${seed('WP001', 1)}\n${seed('WP002', 2)}\n`)
  git(repo, 'add', '-A')
  git(repo, 'commit', '-qm', 'upstream finalized WP001 and WP002')
  return repo
}

async function ok(run: ReturnType<typeof api>) {
  const r = await run
  expect(r.code, JSON.stringify(r.envelope)).toBe(0)
  return r.envelope.data as Record<string, any>
}

describe('D11: WP ids are kept as written', () => {
  it('WP001… are reported, written on event lines and trailers as WP001…, selected as WP1 or WP01', async () => {
    const repo = threeDigitMission()
    const state = await ok(api(repo, 'mission-state', { mission: M }))
    expect(state.work_packages.map((w: any) => [w.wp_id, w.lane, w.dependencies])).toEqual([
      ['WP001', 'planned', []],
      ['WP002', 'planned', ['WP001']],
    ])
    expect(state.warnings ?? []).toEqual([])
    const ready = await ok(api(repo, 'list-ready', { mission: M }))
    expect(ready.ready_work_packages.map((w: any) => w.wp_id)).toEqual(['WP001'])

    const started = await ok(
      api(repo, 'start-implementation', { mission: M, wp: 'WP1', actor: 'impl', policy: POLICY_JSON }),
    )
    expect(started.wp_id).toBe('WP001')
    const noted = await ok(api(repo, 'append-history', { mission: M, wp: 'WP01', actor: 'impl', note: 'hi' }))
    expect(noted.wp_id).toBe('WP001')
    const moved = await ok(
      api(repo, 'transition', { mission: M, wp: 'WP01', to: 'blocked', actor: 'impl', note: 'waiting' }),
    )
    expect(moved.wp_id).toBe('WP001')
    expect(git(repo, 'log', '-1', '--format=%(trailers:key=Kitty-WP,valueonly)')).toBe('WP001')

    const lines = readFileSync(logFile(repo), 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l))
    expect(new Set(lines.map((l) => l.wp_id))).toEqual(new Set(['WP001', 'WP002']))
    expect(lines.at(-1)).toMatchObject({ wp_id: 'WP001', to_lane: 'blocked' })
    const status = JSON.parse(readFileSync(join(repo, 'kitty-specs', M, 'status.json'), 'utf8'))
    expect(Object.keys(status.work_packages).sort()).toEqual(['WP001', 'WP002'])

    const after = await ok(api(repo, 'mission-state', { mission: M }))
    expect(after.work_packages.map((w: any) => [w.wp_id, w.lane])).toEqual([
      ['WP001', 'blocked'],
      ['WP002', 'planned'],
    ])
    const history = await ok(api(repo, 'history', { mission: M, wp: 'WP1' }))
    expect(new Set(history.entries.map((e: any) => e.wp_id))).toEqual(new Set(['WP001']))
    expect(history.entries.filter((e: any) => e.source === 'kitty-commit')).toHaveLength(3)
    expect(git(repo, 'fsck', '--no-progress')).toBe('')
  })

  it('two WPs of one number are two WPs; a selector naming only the number is not guessed', async () => {
    const repo = makeRepo([
      {
        wps: [
          { id: 'WP01', lane: 'planned' },
          { id: 'WP001', fileName: 'WP001-other.md', lane: 'planned' },
        ],
      },
    ])
    const state = await ok(api(repo, 'mission-state', { mission: M }))
    expect(state.work_packages.map((w: any) => w.wp_id)).toEqual(['WP001', 'WP01'])
    expect((await ok(api(repo, 'resolve-workspace', { mission: M, wp: 'WP001' }))).wp_id).toBe('WP001')
    expect((await ok(api(repo, 'resolve-workspace', { mission: M, wp: 'wp01' }))).wp_id).toBe('WP01')
    const guess = await api(repo, 'resolve-workspace', { mission: M, wp: 'WP0001' })
    expect(guess.envelope.error_code).toBe('WP_NOT_FOUND')
  })
})
