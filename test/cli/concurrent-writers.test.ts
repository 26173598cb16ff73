import { afterAll, describe, expect, it } from 'vitest'
import { api, cleanupTempDirs, git, makeRepo } from '../helpers/git-repo.ts'

afterAll(cleanupTempDirs)

const M = '099-test-mission'
const WP01 = `kitty-specs/${M}/tasks/WP01.md`
const WRITERS = 10

/**
 * The local compare-and-swap (issue 15): writers racing on one branch may be refused, never lost.
 * Without the CAS check in store/history/update-ref.ts, 10 writers on a branch that is not checked out all
 * answered success and left 1–3 commits; on the checked-out branch the working-tree lock hid it.
 */
describe('concurrent local writers, as separate processes', () => {
  it.each([
    ['a branch that is not checked out', 'state'],
    ['the checked-out branch', 'main'],
  ])('on %s: exactly one commit per success, every successful note kept', async (_name, branch) => {
    const repo = makeRepo()
    if (branch !== 'main') git(repo, 'branch', branch, 'main')
    const base = git(repo, 'rev-parse', branch)
    const runs = await Promise.all(
      Array.from({ length: WRITERS }, (_, i) =>
        api(repo, 'append-history', { mission: M, wp: 'WP01', actor: 'w', note: `writer ${i}`, branch }),
      ),
    )
    const succeeded = runs.flatMap((run, i) => (run.envelope.success ? [`writer ${i}`] : []))
    for (const run of runs.filter((r) => !r.envelope.success))
      expect(run.envelope.error_code, run.stdout).toBe('STATE_CONFLICT')
    expect(succeeded.length).toBeGreaterThan(0)
    expect(Number(git(repo, 'rev-list', '--count', `${base}..${branch}`))).toBe(succeeded.length)
    // Linear: each commit's parent is the previous one, and each success's note is in the final file once.
    expect(git(repo, 'rev-list', '--merges', `${base}..${branch}`)).toBe('')
    const final = git(repo, 'show', `${branch}:${WP01}`)
    for (const note of succeeded) expect(final.split(`w: ${note}`).length - 1, note).toBe(1)
    if (branch !== 'main') expect(git(repo, 'rev-parse', 'main')).toBe(base)
    expect(git(repo, 'status', '--porcelain', '--untracked-files=no')).toBe('')
    git(repo, 'fsck', '--strict', '--no-dangling')
  })
})
