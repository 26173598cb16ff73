import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { pythonJsonLine } from '../../src/core/python-json.ts'
import { api, cleanupTempDirs, git, kitty, makeRepo, POLICY_JSON } from '../helpers/git-repo.ts'

/**
 * Issue 21, the two gaps docs/upstream-interop.md listed: in a mission with upstream's event log, a
 * WP only the log knows has no dependencies (upstream reads them from the WP file alone), and a WP
 * file with no `subtasks:` key fails the in_progress → for_review gate closed, as upstream's
 * `authored_subtask_roster` does (core/subtask_rows.py, HEAD e6e3b73).
 */

afterAll(cleanupTempDirs)

const M = '099-test-mission'
const dir = (repo: string) => join(repo, 'kitty-specs', M)
let n = 0

function seed(wp: string): string {
  n++
  return pythonJsonLine({
    actor: 'finalize-tasks',
    at: `2026-01-01T10:00:${String(n % 60).padStart(2, '0')}.000000+00:00`,
    event_id: `01M95F0000000000000000${String(n).padStart(4, '0')}`,
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

const TASKS_MD = [
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
].join('\n')

function withLog(repo: string, ids: string[]): string {
  writeFileSync(join(dir(repo), 'status.events.jsonl'), `${ids.map(seed).join('\n')}\n`)
  git(repo, 'add', '-A')
  git(repo, 'commit', '-qm', 'upstream finalized')
  return repo
}

async function ok(run: ReturnType<typeof api>) {
  const r = await run
  expect(r.code, JSON.stringify(r.envelope)).toBe(0)
  return r.envelope.data as Record<string, any>
}

describe('a WP only the event log knows has no dependencies, as upstream reads it', () => {
  it('tasks.md’s dependencies are not its; migrate --to frontmatter writes them into the file it makes', async () => {
    const repo = withLog(makeRepo([{ wps: [], tasksMd: TASKS_MD }]), ['WP01', 'WP02'])
    const state = await ok(api(repo, 'mission-state', { mission: M }))
    expect(state.work_packages.map((w: any) => [w.wp_id, w.dependencies])).toEqual([
      ['WP01', []],
      ['WP02', []],
    ])
    expect((await ok(api(repo, 'list-ready', { mission: M }))).ready_work_packages).toEqual([])
    const migrated = await kitty(repo, ['migrate', '--mission', M, '--to', 'frontmatter'])
    expect(migrated.code, JSON.stringify(migrated.envelope)).toBe(0)
    const after = await ok(api(repo, 'mission-state', { mission: M }))
    expect(after.work_packages.map((w: any) => [w.wp_id, w.dependencies])).toEqual([
      ['WP01', []],
      ['WP02', ['WP01']],
    ])
  })
})

describe('a WP file with no subtasks: key fails the for_review gate closed in a log mission', () => {
  function dropRosterKey(repo: string): void {
    const file = join(dir(repo), 'tasks', 'WP01.md')
    writeFileSync(file, readFileSync(file, 'utf8').replace(/^subtasks: .*\n/m, ''))
    git(repo, 'commit', '-qam', 'no roster key')
  }
  const start = (repo: string) =>
    ok(api(repo, 'start-implementation', { mission: M, wp: 'WP01', actor: 'impl', policy: POLICY_JSON }))
  const submit = (repo: string) =>
    api(repo, 'transition', { mission: M, wp: 'WP01', to: 'for_review', actor: 'impl', policy: POLICY_JSON })

  it('refused in upstream’s words with the fix; nothing written; subtasks: [] then passes', async () => {
    const repo = withLog(makeRepo([{ wps: [{ id: 'WP01', lane: 'planned' }], tasksMd: TASKS_MD }]), ['WP01'])
    dropRosterKey(repo)
    await start(repo)
    const head = git(repo, 'rev-parse', 'HEAD')
    const refused = await submit(repo)
    expect(refused.envelope.error_code).toBe('TRANSITION_REJECTED')
    expect(refused.envelope.data.message).toContain('Cannot resolve subtask roster for WP01: subtasks key is missing')
    expect(refused.envelope.data.message).toContain('subtasks: []')
    expect(git(repo, 'rev-parse', 'HEAD')).toBe(head)
    const forced = await api(repo, 'transition', {
      mission: M,
      wp: 'WP01',
      to: 'for_review',
      actor: 'impl',
      policy: POLICY_JSON,
      force: true,
      note: 'roster added later',
    })
    expect(forced.code, JSON.stringify(forced.envelope)).toBe(0)
  })

  it('an explicit empty roster is nothing to block on', async () => {
    const repo = withLog(makeRepo([{ wps: [{ id: 'WP01', lane: 'planned' }], tasksMd: TASKS_MD }]), ['WP01'])
    await start(repo)
    expect((await submit(repo)).code).toBe(0)
  })

  it('a mission without a log keeps the tasks.md rule: a missing key is no roster', async () => {
    const repo = makeRepo([{ wps: [{ id: 'WP01', lane: 'planned' }], tasksMd: TASKS_MD }])
    dropRosterKey(repo)
    await start(repo)
    const moved = await submit(repo)
    expect(moved.code, JSON.stringify(moved.envelope)).toBe(0)
    expect(git(repo, 'fsck', '--no-progress')).toBe('')
  })
})
