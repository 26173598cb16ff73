import { execFileSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { branchNameProblem } from '../../src/core/branch-name.ts'

function gitAccepts(name: string): boolean {
  try {
    execFileSync('git', ['check-ref-format', `refs/heads/${name}`], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

const NAMES = [
  'main', 'feature/x', 'a.b', 'WP01', 'é-branch', 'x@y', 'x.', 'x.lock', 'a/.b', '.a', 'a..b', 'a//b', '/a', 'a/',
  'a b', 'a~1', 'a^', 'a:b', 'a?', 'a*', 'a[b', 'a\\b', 'a@{1}', 'a\tb', 'a/b.lock/c', 'x\x7f',
]

describe('branchNameProblem', () => {
  it.each(NAMES)('agrees with git check-ref-format on %j', (name) => {
    expect(branchNameProblem(name) === null).toBe(gitAccepts(name))
  })

  it.each(['HEAD', '@', 'refs/heads/main', '-x', ''])('refuses %j, which git would take but nobody means', (name) => {
    expect(branchNameProblem(name)).not.toBeNull()
  })
})
