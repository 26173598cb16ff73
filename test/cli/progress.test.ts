import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { describeProgress, progressLine } from '../../src/cli/progress-line.ts'
import { makeSampleRepo, MISSION, POLICY } from '../../scripts/demo-repo.ts'
import type { GitHttpServer } from '../helpers/git-http-server.ts'
import { startGitHttpServer } from '../helpers/git-http-server.ts'
import { cleanupTempDirs, kitty, tempDir } from '../helpers/git-repo.ts'
import { diamondRepo } from '../helpers/merge-repo.ts'
import { kittyInPty } from '../helpers/pty.ts'

const TOKEN = 'progress-token'
let server: GitHttpServer
beforeEach(async () => {
  server = await startGitHttpServer({ auth: { username: 'x-access-token', password: TOKEN } })
})
afterEach(async () => {
  await server.close()
  cleanupTempDirs()
})

/** stdout to a file, stderr on a real pty: what a person running kitty in a shell sees on stderr. */
async function onTerminal(cwd: string, args: string[], env: Record<string, string> = {}) {
  const out = join(tempDir('kitty-out-'), 'stdout.json')
  const { terminal, code } = await kittyInPty(cwd, args, { stdoutTo: out, env })
  const stdout = readFileSync(out, 'utf8')
  expect(stdout.endsWith('\n') && stdout.trim().split('\n').length === 1, stdout).toBe(true)
  return { terminal, code, envelope: JSON.parse(stdout) }
}

const start = [
  'orchestrator-api',
  'start-implementation',
  '--mission',
  MISSION,
  '--wp',
  'WP01',
  '--actor',
  'claude',
  '--policy',
  POLICY,
]

describe('progress on a terminal stderr, nothing otherwise', () => {
  it('a worktree checkout says what it checks out and how long it took; stdout stays one JSON line', async () => {
    const repo = makeSampleRepo(tempDir('kitty-demo-'))
    const { terminal, envelope } = await onTerminal(repo, start)
    expect(envelope.success).toBe(true)
    expect(terminal).toContain(`kitty: checking out ${MISSION}-WP01 into ${repo}/.worktrees/${MISSION}-WP01`)
    expect(terminal).toMatch(/: done in \d+\.\d s/)
  })

  it('--quiet, or a stderr that is not a terminal: not one byte of progress', async () => {
    const quiet = await onTerminal(makeSampleRepo(tempDir('kitty-demo-')), [...start, '--quiet'])
    expect(quiet.envelope.success).toBe(true)
    expect(quiet.terminal).toBe('')
    const piped = await kitty(makeSampleRepo(tempDir('kitty-demo-')), start)
    expect(piped.envelope.success).toBe(true)
    expect(piped.stderr).toBe('')
  })

  // A cold cache is filled by the git binary (clone --progress, parsed) or, without it, by isomorphic-git.
  it.each([
    ['git clone', '1'],
    ['isomorphic-git', '0'],
  ])('a cold --remote fetch (%s) shows its phases with counts', async (_how, native) => {
    server.createBareRepo('demo', { from: makeSampleRepo(tempDir('kitty-demo-')) })
    const env = { KITTY_TOKEN: TOKEN, KITTY_CACHE_DIR: tempDir('kitty-cache-'), KITTY_NATIVE_GIT: native! }
    const args = ['orchestrator-api', 'mission-state', '--mission', MISSION, '--remote', server.repoUrl('demo')]
    const { terminal, envelope } = await onTerminal(tempDir(), args, env)
    expect(envelope.success).toBe(true)
    expect(terminal).toMatch(
      /kitty: fetching the default branch: (Receiving|Resolving|Counting|Compressing) (objects|deltas) \d+% \(\d+\/\d+\)/,
    )
    const piped = await kitty(tempDir(), args, { ...env, KITTY_CACHE_DIR: tempDir('kitty-cache-') })
    expect(piped.envelope.success).toBe(true)
    expect(piped.stderr).toBe('')
  })

  it('a merge over --remote shows each step of deepening history', async () => {
    server.createBareRepo('diamond', { from: diamondRepo() })
    const env = { KITTY_TOKEN: TOKEN, KITTY_CACHE_DIR: tempDir('kitty-cache-') }
    const args = [
      'orchestrator-api',
      'merge-mission',
      '--mission',
      '099-test-mission',
      '--remote',
      server.repoUrl('diamond'),
    ]
    const { terminal, envelope } = await onTerminal(tempDir(), args, env)
    expect(envelope.success, JSON.stringify(envelope)).toBe(true)
    expect(terminal).toContain('kitty: merge history: 200 commits deep (step 1 of 3)')
    expect(terminal).toMatch(/kitty: fetching 099-test-mission-WP01: [A-Z][a-z]+ objects \d+% \(\d+\/\d+\)/)
  })
})

describe('the progress line', () => {
  it('redraws one line at most every 100 ms per step, every new step at once, and clears it at the end', () => {
    let out = ''
    let clock = 0
    const line = progressLine(
      (t) => (out += t),
      () => clock,
    )
    line.sink({ task: 'fetching', loaded: 1, total: 10 })
    clock = 50
    line.sink({ task: 'fetching', loaded: 2, total: 10 })
    line.sink({ task: 'resolving', loaded: 1, total: 4 })
    clock = 200
    line.sink({ task: 'resolving', loaded: 4, total: 4 })
    line.finish()
    expect(out).toBe(
      '\r\x1b[2Kkitty: fetching 10% (1/10)\r\x1b[2Kkitty: resolving 25% (1/4)\r\x1b[2Kkitty: resolving 100% (4/4)\r\x1b[2K',
    )
    expect(describeProgress({ task: 'checking out' })).toBe('checking out')
  })
  it('prints nothing at all when nothing was reported', () => {
    let out = ''
    progressLine((t) => (out += t)).finish()
    expect(out).toBe('')
  })
})
