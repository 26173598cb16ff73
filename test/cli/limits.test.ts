import { execFileSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { cleanupTempDirs, makeRepo, POLICY } from '../helpers/git-repo.ts'
import { cliInProcess, envelopeProblems, fingerprint } from '../helpers/in-process.ts'

afterAll(cleanupTempDirs)

const M = '099-test-mission'

/**
 * Hostile sizes and shapes are refused with a clear code, fast and without a memory spike. The bounds
 * asserted here are generous safety limits (a bomb must not take seconds or hundreds of MB), not
 * performance measurements: those live in `npm run bench`.
 */
async function refusedWithin(repo: string, argv: string[], code: string) {
  const before = fingerprint(repo)
  const rss = process.memoryUsage().rss
  const started = performance.now()
  const out = await cliInProcess(repo, argv)
  const elapsed = performance.now() - started
  expect(envelopeProblems(out.envelope, out.exitCode)).toEqual([])
  expect(out.envelope.error_code, out.line.slice(0, 300)).toBe(code)
  expect(fingerprint(repo)).toBe(before)
  expect(elapsed).toBeLessThan(3_000)
  expect(process.memoryUsage().rss - rss).toBeLessThan(200 * 1024 * 1024)
  return out
}

function commitWp(repo: string, text: string): void {
  writeFileSync(join(repo, 'kitty-specs', M, 'tasks', 'WP01.md'), text)
  execFileSync('git', ['add', '-A'], { cwd: repo })
  execFileSync('git', ['commit', '-qm', 'hostile input'], { cwd: repo })
}

describe('limits: bombs and oversized input', () => {
  it('a YAML alias bomb ("billion laughs") is WP_FILE_INVALID', async () => {
    const repo = makeRepo()
    const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for (let i = 1; i < 9; i++) levels.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${String.fromCharCode(96 + i)}`).join(',')}]`)
    commitWp(repo, `---\nlane: planned\n${levels.join('\n')}\n---\n`)
    const out = await refusedWithin(repo, ['orchestrator-api', 'mission-state', '--mission', M], 'WP_FILE_INVALID')
    expect(out.envelope.data['reason']).toMatch(/alias/i)
  })

  it('a WP file over 1 MiB is INPUT_TOO_LARGE, for reads and writes', async () => {
    const repo = makeRepo()
    commitWp(repo, `---\nlane: planned\ntitle: ${'x'.repeat(2 * 1024 * 1024)}\n---\n`)
    await refusedWithin(repo, ['orchestrator-api', 'mission-state', '--mission', M], 'INPUT_TOO_LARGE')
    await refusedWithin(repo, ['orchestrator-api', 'transition', '--mission', M, '--wp', 'WP01', '--to', 'blocked', '--actor', 'a'], 'INPUT_TOO_LARGE')
  })

  it('a policy over 64 KiB, or nested 10,000 deep, is POLICY_VALIDATION_FAILED', async () => {
    const repo = makeRepo()
    const big = JSON.stringify({ ...POLICY, notes: 'n'.repeat(100_000) })
    await refusedWithin(repo, ['orchestrator-api', 'start-implementation', '--mission', M, '--wp', 'WP01', '--actor', 'a', '--policy', big], 'POLICY_VALIDATION_FAILED')
    const deep = JSON.stringify(POLICY).slice(0, -1) + `,"x":${'['.repeat(10_000)}${']'.repeat(10_000)}}`
    const out = await refusedWithin(repo, ['orchestrator-api', 'start-implementation', '--mission', M, '--wp', 'WP01', '--actor', 'a', '--policy', deep], 'POLICY_VALIDATION_FAILED')
    expect(out.envelope.data['message']).toContain('nested deeper than')
  })

  it('deeply nested review JSON and huge selectors are refused cleanly', async () => {
    const repo = makeRepo()
    const deep = `{"review":${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}}`
    const out = await cliInProcess(repo, ['orchestrator-api', 'transition', '--mission', M, '--wp', 'WP01', '--to', 'canceled', '--actor', 'a', '--evidence-json', deep])
    expect(envelopeProblems(out.envelope, out.exitCode)).toEqual([])
    expect(out.envelope.success).toBe(false)
    await refusedWithin(repo, ['orchestrator-api', 'mission-state', '--mission', 'm'.repeat(100_000)], 'USAGE_ERROR')
  })
})
