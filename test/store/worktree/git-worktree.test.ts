import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { ensureBranch } from '../../../src/store/worktree/git-worktree.ts'
import { locateRepository } from '../../../src/store/repository.ts'
import { cleanupTempDirs, git, makeRepo } from '../../helpers/git-repo.ts'

afterAll(cleanupTempDirs)

const who = { name: 'Kitty Test', email: 'kitty@example.com' }

describe('ensureBranch: the WP branch start-implementation makes', () => {
  it('creates the branch at the start commit with the reflog line git writes for `git branch`', async () => {
    const dir = makeRepo()
    const start = git(dir, 'rev-parse', 'main')
    expect(await ensureBranch(locateRepository(dir), 'wp-branch', start, who)).toBe(true)
    expect(git(dir, 'rev-parse', 'refs/heads/wp-branch')).toBe(start)
    expect(readFileSync(join(dir, '.git', 'refs', 'heads', 'wp-branch'), 'utf8')).toBe(`${start}\n`)
    const reflog = readFileSync(join(dir, '.git', 'logs', 'refs', 'heads', 'wp-branch'), 'utf8')
    expect(reflog).toMatch(
      new RegExp(`^0{40} ${start} Kitty Test <kitty@example.com> \\d+ \\+0000\\tbranch: Created from ${start}\\n$`),
    )
    git(dir, 'fsck', '--strict', '--no-dangling')
  })

  it('never moves a branch that exists, and says it did not make it', async () => {
    const dir = makeRepo()
    const first = git(dir, 'rev-parse', 'main')
    git(dir, 'commit', '--allow-empty', '-m', 'later')
    const later = git(dir, 'rev-parse', 'main')
    git(dir, 'branch', 'wp-branch', first)
    expect(await ensureBranch(locateRepository(dir), 'wp-branch', later, who)).toBe(false)
    expect(git(dir, 'rev-parse', 'refs/heads/wp-branch')).toBe(first)
  })

  it('of several racing makers, exactly one made the branch', async () => {
    const dir = makeRepo()
    const start = git(dir, 'rev-parse', 'main')
    const made = await Promise.all(
      Array.from({ length: 6 }, () => ensureBranch(locateRepository(dir), 'raced', start, who)),
    )
    expect(made.filter(Boolean)).toHaveLength(1)
    expect(git(dir, 'rev-parse', 'refs/heads/raced')).toBe(start)
  })
})
