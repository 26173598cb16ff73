import { afterAll, describe, expect, it } from 'vitest'
import { locateRepository, readRef } from '../../../src/store/repository.ts'
import { compareAndSwapRef } from '../../../src/store/history/update-ref.ts'
import { cleanupTempDirs, git, makeRepo, twoCommits } from '../../helpers/git-repo.ts'
import { cliInProcess } from '../../helpers/in-process.ts'

afterAll(cleanupTempDirs)

const M = '099-test-mission'
const WP01 = `kitty-specs/${M}/tasks/WP01.md`

describe('compareAndSwapRef', () => {
  it('moves the ref only from the expected value, and says whether it did', async () => {
    const dir = makeRepo()
    const [first, second] = twoCommits(dir)
    git(dir, 'branch', 'state', first)
    const repo = locateRepository(dir)
    const update = { ref: 'refs/heads/state', who: 'T <t@example.com>', message: 'test' }
    expect(await compareAndSwapRef(repo, { ...update, expected: second, next: first })).toBe(false)
    expect(await readRef(repo, 'refs/heads/state')).toBe(first)
    expect(await compareAndSwapRef(repo, { ...update, expected: null, next: second })).toBe(false)
    expect(await readRef(repo, 'refs/heads/state')).toBe(first)
    expect(await compareAndSwapRef(repo, { ...update, expected: first, next: second })).toBe(true)
    expect(git(dir, 'rev-parse', 'state')).toBe(second)
    // A stale expectation (the ref moved meanwhile) is refused, not applied on top.
    expect(await compareAndSwapRef(repo, { ...update, expected: first, next: first })).toBe(false)
    expect(git(dir, 'rev-parse', 'state')).toBe(second)
    // A ref that must not exist yet is created only while it does not.
    expect(await compareAndSwapRef(repo, { ...update, ref: 'refs/heads/fresh', expected: null, next: first })).toBe(
      true,
    )
    expect(await compareAndSwapRef(repo, { ...update, ref: 'refs/heads/fresh', expected: null, next: second })).toBe(
      false,
    )
    expect(git(dir, 'rev-parse', 'fresh')).toBe(first)
    expect(git(dir, 'reflog', 'show', '--format=%H %gs', 'state').split('\n')[0]).toBe(`${second} test`)
  })

  it.each([
    ['a branch that is not checked out', 'state'],
    ['the checked-out branch', 'main'],
  ])('concurrent writers in one process on %s: one commit per success', async (_name, branch) => {
    const repo = makeRepo()
    if (branch !== 'main') git(repo, 'branch', branch, 'main')
    const base = git(repo, 'rev-parse', branch)
    const runs = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        cliInProcess(repo, [
          'orchestrator-api',
          'append-history',
          '--mission',
          M,
          '--wp',
          'WP01',
          '--actor',
          'w',
          '--note',
          `writer ${i}`,
          '--branch',
          branch,
        ]),
      ),
    )
    const succeeded = runs.flatMap((run, i) => (run.envelope.success ? [`writer ${i}`] : []))
    for (const run of runs.filter((r) => !r.envelope.success))
      expect(run.envelope.error_code, run.line).toBe('STATE_CONFLICT')
    expect(succeeded.length).toBeGreaterThan(0)
    expect(Number(git(repo, 'rev-list', '--count', `${base}..${branch}`))).toBe(succeeded.length)
    const final = git(repo, 'show', `${branch}:${WP01}`)
    for (const note of succeeded) expect(final.split(`w: ${note}`).length - 1, note).toBe(1)
    git(repo, 'fsck', '--strict', '--no-dangling')
  })
})
