import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from '../../src/cli/run-cli.ts'
import type { GitHttpServer } from '../helpers/git-http-server.ts'
import { startGitHttpServer } from '../helpers/git-http-server.ts'
import { cleanupTempDirs, makeRepo, POLICY_JSON, tempDir } from '../helpers/git-repo.ts'
import { envelopeProblems } from '../helpers/in-process.ts'

/**
 * Flaky networks, as a property: any command, any one fault on the way (a dropped connection before
 * or during any exchange, a refused push, a server too slow for the deadline, another writer moving
 * the branch just before the push). Each ends in one valid envelope; a failure leaves the remote as
 * it was; a success moved it by exactly its own commit; and the next command on the same cache works.
 */

const run = promisify(execFile)
const gitCli = async (cwd: string, ...args: string[]) => (await run('git', args, { cwd })).stdout.trim()

const M = '099-test-mission'
const TOKEN = 'fault-token'
const RUNS = Math.max(10, Math.round(Number(process.env['KITTY_FUZZ_RUNS'] ?? 100) / 2))
let server: GitHttpServer
let bare: string
let writer: string
const cache = () => tempDir('kitty-fault-cache-')

beforeAll(async () => {
  server = await startGitHttpServer({ auth: { username: 'x-access-token', password: TOKEN } })
  const wps = Array.from({ length: 6 }, (_, i) => ({ id: `WP0${i + 1}`, lane: 'planned' }))
  bare = server.createBareRepo('project', { from: makeRepo([{ wps }]) })
  // Another writer with its own clone, for the "moved just before the push" fault.
  writer = tempDir('kitty-fault-writer-')
  await gitCli(writer, 'clone', '-q', bare, '.')
  await gitCli(writer, 'config', 'user.name', 'Other')
  await gitCli(writer, 'config', 'user.email', 'other@example.com')
})
afterAll(async () => {
  await server.close()
  cleanupTempDirs()
})

type Fault =
  | { kind: 'none' }
  | { kind: 'drop'; target: 'any' | 'upload-pack' | 'receive-pack'; at: 'before-headers' | 'mid-body' }
  | { kind: 'refuse' }
  | { kind: 'slow' }
  | { kind: 'race' }

const faultArb: fc.Arbitrary<Fault> = fc.oneof(
  fc.constant({ kind: 'none' as const }),
  fc.record({
    kind: fc.constant('drop' as const),
    target: fc.constantFrom('any' as const, 'upload-pack' as const, 'receive-pack' as const),
    at: fc.constantFrom('before-headers' as const, 'mid-body' as const),
  }),
  fc.constant({ kind: 'refuse' as const }),
  fc.constant({ kind: 'slow' as const }),
  fc.constant({ kind: 'race' as const }),
)

const wpArb = fc.constantFrom('WP01', 'WP02', 'WP03', 'WP04', 'WP05', 'WP06')
const commandArb = fc.oneof(
  wpArb.map((wp) => ['append-history', '--mission', M, '--wp', wp, '--actor', 'fuzz', '--note', 'fault run']),
  fc
    .tuple(wpArb, fc.constantFrom('blocked', 'planned', 'canceled', 'in_progress'))
    .map(([wp, to]) => [
      'transition',
      '--mission',
      M,
      '--wp',
      wp,
      '--to',
      to,
      '--actor',
      'fuzz',
      '--force',
      '--note',
      'fault run',
    ]),
  wpArb.map((wp) => ['start-implementation', '--mission', M, '--wp', wp, '--actor', 'fuzz', '--policy', POLICY_JSON]),
  fc.constant(['mission-state', '--mission', M] as string[]),
  fc.constant(['list-ready', '--mission', M] as string[]),
)

async function kittyRemote(argv: string[], cacheDir: string, timeoutMs: number) {
  return runCli(['orchestrator-api', ...argv, '--remote', server.repoUrl('project')], {
    cwd: tempDir('kitty-fault-cwd-'),
    env: {
      HOME: '/nonexistent',
      KITTY_TOKEN: TOKEN,
      KITTY_CACHE_DIR: cacheDir,
      KITTY_REMOTE_TIMEOUT_MS: String(timeoutMs),
      GIT_AUTHOR_NAME: 'Fuzz',
      GIT_AUTHOR_EMAIL: 'fuzz@example.com',
    },
  })
}

async function otherWriterPushes(): Promise<string> {
  await gitCli(writer, 'pull', '-q', '--rebase', 'origin', 'main')
  await gitCli(writer, 'commit', '-q', '--allow-empty', '-m', 'other writer')
  await gitCli(writer, 'push', '-q', 'origin', 'HEAD:main')
  return gitCli(writer, 'rev-parse', 'HEAD')
}

function arm(fault: Fault, raced: { oid: string | null }): void {
  server.faults.reset()
  if (fault.kind === 'drop') server.faults.dropNextRequest(fault.target, fault.at)
  if (fault.kind === 'refuse') server.faults.refuseNextPush()
  if (fault.kind === 'slow') server.faults.slow(400)
  if (fault.kind === 'race') server.faults.beforeNextPush(async () => void (raced.oid = await otherWriterPushes()))
}

describe('property: remote commands under network faults', () => {
  it(`one envelope; failure leaves the remote as it was; success adds exactly its commit; the cache recovers (${RUNS} runs)`, async () => {
    const seen = new Map<string, number>()
    const myCache = cache()
    await fc.assert(
      fc.asyncProperty(commandArb, faultArb, async (argv, fault) => {
        const before = await gitCli(bare, 'rev-parse', 'main')
        const raced = { oid: null as string | null }
        arm(fault, raced)
        const { envelope, exitCode } = await kittyRemote(argv, myCache, fault.kind === 'slow' ? 200 : 20_000)
        server.faults.reset()
        const problems = envelopeProblems(envelope, exitCode)
        expect(problems, JSON.stringify(envelope)).toEqual([])
        const key = `${fault.kind}:${envelope.error_code ?? 'ok'}`
        seen.set(key, (seen.get(key) ?? 0) + 1)

        const after = await gitCli(bare, 'rev-parse', 'main')
        const base = raced.oid ?? before
        if (!envelope.success || after === base) {
          // Nothing of ours landed (a failure, a read, a no-op): the remote is where it was, or
          // where the other writer put it.
          expect(after, JSON.stringify(envelope)).toBe(base)
          if (envelope.success && ['append-history', 'transition'].includes(argv[0]!))
            expect(envelope.data['no_op'], JSON.stringify(envelope)).toBe(true)
        } else {
          // Exactly one commit of ours, on top of what the remote held when it landed.
          expect(await gitCli(bare, 'rev-parse', 'main^'), JSON.stringify(envelope)).toBe(base)
          expect(await gitCli(bare, 'log', '-1', '--format=%(trailers:key=Kitty-Command,valueonly)', 'main')).toBe(
            argv[0],
          )
        }
        // The same cache answers the next command.
        const next = await kittyRemote(['mission-state', '--mission', M], myCache, 20_000)
        expect(next.envelope.error_code, JSON.stringify(next.envelope)).toBeNull()
      }),
      { numRuns: RUNS },
    )
    await gitCli(bare, 'fsck', '--strict')
    // The faults really fired: some runs failed for them, and some succeeded through a race.
    const failed = [...seen].filter(([k]) => !k.endsWith(':ok')).reduce((n, [, c]) => n + c, 0)
    expect(failed).toBeGreaterThan(0)
    if (process.env['KITTY_FUZZ_REPORT']) console.log('remote fault outcomes', Object.fromEntries(seen))
  })
})
