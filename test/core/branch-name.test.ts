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
  'main',
  'feature/x',
  'a.b',
  'WP01',
  'é-branch',
  'x@y',
  'x.',
  'x.lock',
  'a/.b',
  '.a',
  'a..b',
  'a//b',
  '/a',
  'a/',
  'a b',
  'a~1',
  'a^',
  'a:b',
  'a?',
  'a*',
  'a[b',
  'a\\b',
  'a@{1}',
  'a\tb',
  'a/b.lock/c',
  'x\x7f',
]

describe('branchNameProblem', () => {
  it.each(NAMES)('agrees with git check-ref-format on %j', (name) => {
    expect(branchNameProblem(name) === null).toBe(gitAccepts(name))
  })

  it.each(['HEAD', '@', 'refs/heads/main', '-x', ''])('refuses %j, which git would take but nobody means', (name) => {
    expect(branchNameProblem(name)).not.toBeNull()
  })
})

describe('branchNameProblem says why, as a phrase the error message is built from', () => {
  it.each([
    ['', 'is empty'],
    ['HEAD', 'is HEAD, which git reserves for the checked-out commit'],
    ['refs/heads/main', 'is a full ref name; give the branch name alone (main, not refs/heads/main)'],
    ['-x', "starts with '-', which git would read as an option"],
    ['a b', 'contains a space, a control character or one of ~ ^ : ? * [ \\'],
    ['a..b', "contains '..'"],
    ['a@{1', "contains '@{'"],
    ['@', "is '@', which git reads as HEAD"],
    ['a//b', "has an empty path component ('/' at an end or '//')"],
    ['a/', "has an empty path component ('/' at an end or '//')"],
    ['/a', "has an empty path component ('/' at an end or '//')"],
    ['x.', "ends with '.'"],
    ['a/.b', "has a component starting with '.' (.b)"],
    ['a/b.lock/c', "has a component ending with '.lock' (b.lock)"],
  ])('%j %s', (name, why) => expect(branchNameProblem(name)).toBe(why))
})
