import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { api, cleanupTempDirs, git, makeRepo, POLICY_JSON, tempDir } from '../helpers/git-repo.ts'

/**
 * Repositories arranged against kitty (issue 9, "Hardening"): symbolic links that would lead writes
 * outside the checkout, and git settings and states kitty must agree with. Every refusal is one
 * envelope and leaves refs, index and files exactly as they were.
 */

afterAll(cleanupTempDirs)

const M = '099-test-mission'
const TASKS = `kitty-specs/${M}/tasks`
const start = (repo: string, wp = 'WP01', extra: Record<string, string> = {}) =>
  api(repo, 'start-implementation', { mission: M, wp, actor: 'claude', policy: POLICY_JSON, ...extra })

/** Everything a refusal must leave alone: refs, index and working tree as git sees them, and a folder outside. */
function state(repo: string, outside?: string): string {
  const files = outside ? readdirSync(outside, { recursive: true }).map(String).sort().map((f) => `${f}:${safeRead(join(outside, f))}`) : []
  return [git(repo, 'for-each-ref'), git(repo, 'status', '--porcelain', '--untracked-files=all'), git(repo, 'worktree', 'list'), ...files].join('\n')
}

function safeRead(path: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return '<dir>'
  }
}

describe('symbolic links never lead writes outside the repository', () => {
  it('a committed .worktrees link to a folder outside: LANE_ALLOCATION_FAILED naming it, no worktree, no commit', async () => {
    const repo = makeRepo()
    const outside = tempDir('kitty-outside-')
    symlinkSync(outside, join(repo, '.worktrees'))
    git(repo, 'add', '.worktrees')
    git(repo, 'commit', '-q', '-m', 'worktrees link')
    const before = state(repo, outside)

    const run = await start(repo)
    expect(run.code).toBe(1)
    expect(run.envelope.error_code).toBe('LANE_ALLOCATION_FAILED')
    expect(run.envelope.data.message).toContain('.worktrees is a symbolic link')
    expect(run.envelope.data.message).toContain(outside)
    expect(state(repo, outside)).toBe(before)
    expect(readdirSync(outside)).toEqual([])
  })

  it('a working-tree tasks folder replaced by a link outside: WORKTREE_DIRTY naming the link, nothing written anywhere', async () => {
    const repo = makeRepo()
    const outside = join(tempDir('kitty-outside-'), 'tasks')
    cpSync(join(repo, TASKS), outside, { recursive: true })
    rmSync(join(repo, TASKS), { recursive: true })
    symlinkSync(outside, join(repo, TASKS))
    const before = state(repo, outside)

    const run = await start(repo)
    expect(run.code).toBe(1)
    expect(run.envelope.error_code).toBe('WORKTREE_DIRTY')
    expect(run.envelope.data.symlinks).toEqual([TASKS])
    expect(run.envelope.data.message).toContain(`${TASKS} -> ${outside}`)
    expect(state(repo, outside)).toBe(before)

    // Once the link gives way to the real folder, the same command works: nothing was left half done.
    rmSync(join(repo, TASKS))
    git(repo, 'checkout', '--', TASKS)
    const again = await start(repo)
    expect(again.envelope.success).toBe(true)
    expect(git(repo, 'status', '--porcelain')).toBe('')
  })
})
