import { spawn } from 'node:child_process'
import { afterAll, describe, expect, it } from 'vitest'
import { api, CLI, cleanupTempDirs, git, makeRepo, POLICY_JSON } from '../helpers/git-repo.ts'

afterAll(cleanupTempDirs)

const M = '099-test-mission'
const KILLS = Number(process.env['KITTY_CRASH_RUNS'] ?? 40)

/** Start a mutation and SIGKILL it after `delayMs`; resolves when the process is gone. */
function killDuring(repo: string, args: string[], delayMs: number): Promise<'killed' | 'finished'> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: repo, stdio: 'ignore', env: { ...process.env, HOME: repo } })
    const timer = setTimeout(() => child.kill('SIGKILL'), delayMs)
    child.on('exit', (_code, signal) => {
      clearTimeout(timer)
      resolve(signal === 'SIGKILL' ? 'killed' : 'finished')
    })
  })
}

const MUTATIONS = [
  ['orchestrator-api', 'transition', '--mission', M, '--wp', 'WP01', '--to', 'blocked', '--actor', 'k', '--force', '--note', 'crash test'],
  ['orchestrator-api', 'append-history', '--mission', M, '--wp', 'WP01', '--actor', 'k', '--note', 'crash test'],
  ['orchestrator-api', 'transition', '--mission', M, '--wp', 'WP02', '--to', 'claimed', '--actor', 'k', '--policy', POLICY_JSON, '--force', '--note', 'crash test'],
]

describe('crash safety: SIGKILL at random points of a mutation', () => {
  it(`leaves a consistent repository every time, and the next command succeeds (${KILLS} kills)`, async () => {
    const repo = makeRepo()
    // How long one mutation takes here, so kill points spread over its whole life.
    const started = Date.now()
    await api(repo, 'append-history', { mission: M, wp: 'WP02', actor: 'k', note: 'warm-up' })
    const span = Math.max(Date.now() - started, 80)
    let killed = 0
    let killedAfterRefMoved = 0
    for (let i = 0; i < KILLS; i++) {
      const args = MUTATIONS[i % MUTATIONS.length]!
      const before = git(repo, 'rev-parse', 'main')
      const outcome = await killDuring(repo, args, Math.floor(Math.random() * span * 1.2))
      // The ref points at a complete commit and the object database is sound.
      const head = git(repo, 'rev-parse', 'main')
      if (outcome === 'killed') killed++
      if (outcome === 'killed' && head !== before) killedAfterRefMoved++
      git(repo, 'cat-file', '-e', `${head}^{tree}`)
      git(repo, 'fsck', '--strict', '--no-dangling')
      // The next command works (stale locks of the dead process are taken over, half-done syncs finished).
      const next = await api(repo, 'append-history', { mission: M, wp: 'WP02', actor: 'k', note: `after kill ${i}` })
      expect(next.envelope.error_code, JSON.stringify(next.envelope.data)).toBeNull()
      expect(git(repo, 'status', '--porcelain', '--untracked-files=no'), `after kill ${i}`).toBe('')
      const state = await api(repo, 'mission-state', { mission: M })
      expect(state.envelope.success).toBe(true)
    }
    if (process.env['KITTY_FUZZ_REPORT']) console.error(`kills: ${killed}/${KILLS}, of which after the ref moved: ${killedAfterRefMoved}; mutation span ${span} ms`)
    expect(killed).toBeGreaterThan(KILLS / 4)
  }, 600_000)
})
