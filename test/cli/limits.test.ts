import { execFileSync } from 'node:child_process'
import { cpSync, existsSync, writeFileSync } from 'node:fs'
import { syncBuiltinESMExports } from 'node:module'
import { join } from 'node:path'
import zlib from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { commitBlobs, deltaBomb, measuredKitty, zeroBlob } from '../helpers/bombs.ts'
import { cleanupTempDirs, git, makeRepo, POLICY, tempDir } from '../helpers/git-repo.ts'
import { cliInProcess, envelopeProblems, fingerprint } from '../helpers/in-process.ts'

afterAll(cleanupTempDirs)

const M = '099-test-mission'

/**
 * Hostile sizes and shapes are refused with a clear code and nothing changed. What bounds their cost
 * is asserted as work, not time or memory (which depend on the machine): bytes inflated here, the
 * alias and nesting limits by the refusal's own reason; a hang is caught by the test timeout, and
 * speed is measured by `npm run bench`.
 */
async function refusedWithin(repo: string, argv: string[], code: string) {
  const before = fingerprint(repo)
  const { result: out, inflated } = await countingInflation(() => cliInProcess(repo, argv))
  expect(envelopeProblems(out.envelope, out.exitCode)).toEqual([])
  expect(out.envelope.error_code, out.line.slice(0, 300)).toBe(code)
  expect(fingerprint(repo)).toBe(before)
  // Nothing near the oversized input is inflated: sizes are read from object headers first.
  expect(inflated, `${inflated} bytes inflated`).toBeLessThan(256 * 1024)
  return out
}

/** Run `fn` counting the bytes zlib inflates in this process meanwhile (the object reader's reads). */
async function countingInflation<T>(fn: () => Promise<T>): Promise<{ result: T; inflated: number }> {
  const original = zlib.inflateSync
  let inflated = 0
  zlib.inflateSync = ((...args: Parameters<typeof original>) => {
    const out = original(...args)
    inflated += out.length
    return out
  }) as typeof original
  syncBuiltinESMExports()
  try {
    return { result: await fn(), inflated }
  } finally {
    zlib.inflateSync = original
    syncBuiltinESMExports()
  }
}

function commitWp(repo: string, text: string): void {
  writeFileSync(join(repo, 'kitty-specs', M, 'tasks', 'WP01.md'), text)
  execFileSync('git', ['add', '-A'], { cwd: repo })
  execFileSync('git', ['commit', '-qm', 'hostile input'], { cwd: repo })
}

describe('limits: bombs and oversized input', () => {
  it('the inflation counters see what a command reads (so the bounds below are not vacuous)', async () => {
    const repo = makeRepo()
    const { result, inflated } = await countingInflation(() =>
      cliInProcess(repo, ['orchestrator-api', 'mission-state', '--mission', M]),
    )
    expect(result.envelope.success).toBe(true)
    expect(inflated).toBeGreaterThan(500)
    const run = await measuredKitty(repo, ['orchestrator-api', 'mission-state', '--mission', M])
    expect(run.envelope.success).toBe(true)
    expect(run.inflatedBytes).toBeGreaterThan(500)
  })

  it('a YAML alias bomb ("billion laughs") is WP_FILE_INVALID', async () => {
    const repo = makeRepo()
    const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for (let i = 1; i < 9; i++)
      levels.push(
        `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9)
          .fill(`*${String.fromCharCode(96 + i)}`)
          .join(',')}]`,
      )
    commitWp(repo, `---\nlane: planned\n${levels.join('\n')}\n---\n`)
    const out = await refusedWithin(repo, ['orchestrator-api', 'mission-state', '--mission', M], 'WP_FILE_INVALID')
    expect(out.envelope.data['reason']).toMatch(/alias/i)
  })

  it('a WP file over 1 MiB is INPUT_TOO_LARGE, for reads and writes', async () => {
    const repo = makeRepo()
    commitWp(repo, `---\nlane: planned\ntitle: ${'x'.repeat(2 * 1024 * 1024)}\n---\n`)
    await refusedWithin(repo, ['orchestrator-api', 'mission-state', '--mission', M], 'INPUT_TOO_LARGE')
    await refusedWithin(
      repo,
      ['orchestrator-api', 'transition', '--mission', M, '--wp', 'WP01', '--to', 'blocked', '--actor', 'a'],
      'INPUT_TOO_LARGE',
    )
  })

  it('a policy over 64 KiB, or nested 10,000 deep, is POLICY_VALIDATION_FAILED', async () => {
    const repo = makeRepo()
    const big = JSON.stringify({ ...POLICY, notes: 'n'.repeat(100_000) })
    await refusedWithin(
      repo,
      ['orchestrator-api', 'start-implementation', '--mission', M, '--wp', 'WP01', '--actor', 'a', '--policy', big],
      'POLICY_VALIDATION_FAILED',
    )
    const deep = JSON.stringify(POLICY).slice(0, -1) + `,"x":${'['.repeat(10_000)}${']'.repeat(10_000)}}`
    const out = await refusedWithin(
      repo,
      ['orchestrator-api', 'start-implementation', '--mission', M, '--wp', 'WP01', '--actor', 'a', '--policy', deep],
      'POLICY_VALIDATION_FAILED',
    )
    expect(out.envelope.data['message']).toContain('nested deeper than')
  })

  it('deeply nested review JSON and huge selectors are refused cleanly', async () => {
    const repo = makeRepo()
    const deep = `{"review":${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}}`
    const out = await cliInProcess(repo, [
      'orchestrator-api',
      'transition',
      '--mission',
      M,
      '--wp',
      'WP01',
      '--to',
      'canceled',
      '--actor',
      'a',
      '--evidence-json',
      deep,
    ])
    expect(envelopeProblems(out.envelope, out.exitCode)).toEqual([])
    expect(out.envelope.success).toBe(false)
    await refusedWithin(repo, ['orchestrator-api', 'mission-state', '--mission', 'm'.repeat(100_000)], 'USAGE_ERROR')
  })
})

/**
 * Bombs: blobs of many megabytes that git stores in a few kilobytes. Their size is in the object's
 * header (loose), the pack entry's header (packed) or the delta's header (deltified); kitty must read
 * it there and refuse before inflating anything. Each run is the real CLI, its peak RSS measured.
 */
describe('limits: compressed bombs are refused before inflation', () => {
  const BOMB = 160 * 1024 * 1024
  const W = `kitty-specs/${M}/tasks/WP01.md`
  let repo: string
  let zeros: string

  beforeAll(() => {
    repo = makeRepo()
    zeros = zeroBlob(repo, BOMB)
    commitBlobs(repo, 'wp-bomb', { [W]: zeros })
    commitBlobs(repo, 'meta-bomb', { [`kitty-specs/${M}/meta.json`]: zeros })
    commitBlobs(repo, 'tasks-bomb', { [`kitty-specs/${M}/tasks.md`]: zeros })
    commitBlobs(repo, 'config-bomb', { '.github/kitty.yml': zeros })
  }, 120_000)

  async function refusedCheaply(cwd: string, args: string[], path: string) {
    const run = await measuredKitty(cwd, ['orchestrator-api', ...args])
    expect(run.code, run.stdout.slice(0, 300)).toBe(1)
    expect(run.envelope.error_code, run.stdout.slice(0, 300)).toBe('INPUT_TOO_LARGE')
    expect(run.envelope.data).toMatchObject({ path, size_bytes: BOMB })
    // Without the header check these runs inflated 160 MB (then a 160 MB string): > 400 MB peak, seconds.
    expect(run.inflatedBytes, `${run.inflatedBytes} bytes inflated`).toBeLessThan(1024 * 1024)
    console.info(
      `bomb refused: ${args[0]} ${path}, ${run.inflatedBytes} bytes inflated, in ${run.ms.toFixed(0)} ms, peak RSS ${run.peakRssMb.toFixed(0)} MB`,
    )
    return run
  }

  it('a loose WP blob, meta.json, tasks.md and .github/kitty.yml', async () => {
    await refusedCheaply(repo, ['mission-state', '--mission', M, '--branch', 'wp-bomb'], W)
    await refusedCheaply(repo, ['mission-state', '--mission', M, '--branch', 'meta-bomb'], `kitty-specs/${M}/meta.json`)
    await refusedCheaply(repo, ['mission-state', '--mission', M, '--branch', 'config-bomb'], '.github/kitty.yml')
    const tasks = await measuredKitty(repo, [
      'agent',
      'tasks',
      'mark-status',
      'T001',
      '--status',
      'done',
      '--mission',
      M,
      '--branch',
      'tasks-bomb',
    ])
    expect(tasks.envelope.error_code, tasks.stdout.slice(0, 300)).toBe('INPUT_TOO_LARGE')
    expect(tasks.envelope.data.path).toBe(`kitty-specs/${M}/tasks.md`)
    expect(tasks.inflatedBytes).toBeLessThan(1024 * 1024)
    // A mission is found by its meta.json's id only when that file is readable: the bomb hides it.
    const byId = await measuredKitty(repo, [
      'orchestrator-api',
      'mission-state',
      '--mission',
      '01ARZ3NDEKTSV4RRFFQ69G5FAV',
      '--branch',
      'meta-bomb',
    ])
    expect(byId.envelope.error_code).toBe('MISSION_NOT_FOUND')
    expect(byId.inflatedBytes).toBeLessThan(1024 * 1024)
  })

  it('the same WP blob packed by git gc', async () => {
    const packed = tempDir()
    cpSync(repo, packed, { recursive: true })
    git(packed, 'gc', '-q', '--prune=now')
    expect(existsSync(join(packed, '.git', 'objects', zeros.slice(0, 2), zeros.slice(2)))).toBe(false)
    await refusedCheaply(packed, ['mission-state', '--mission', M, '--branch', 'wp-bomb'], W)
    await refusedCheaply(packed, ['mission-state', '--mission', M, '--branch', 'config-bomb'], '.github/kitty.yml')
  })

  it('a WP blob stored as a 3 KB delta against a 64 KiB base', async () => {
    const deltas = makeRepo()
    const oid = deltaBomb(deltas, BOMB)
    expect(git(deltas, 'cat-file', '-s', oid)).toBe(String(BOMB))
    const stored = git(
      deltas,
      'cat-file',
      '--batch-all-objects',
      '--batch-check=%(objectname) %(deltabase) %(objectsize:disk)',
    )
    const [, base, onDisk] = stored
      .split('\n')
      .find((l) => l.startsWith(oid))!
      .split(' ')
    expect(base).not.toMatch(/^0+$/)
    expect(Number(onDisk)).toBeLessThan(4096)
    commitBlobs(deltas, 'wp-bomb', { [W]: oid })
    await refusedCheaply(deltas, ['mission-state', '--mission', M, '--branch', 'wp-bomb'], W)
  })
})
