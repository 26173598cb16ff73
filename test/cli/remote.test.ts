import { execFile } from 'node:child_process'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { GitHttpServer } from '../helpers/git-http-server.ts'
import { startGitHttpServer } from '../helpers/git-http-server.ts'
import { cleanupTempDirs, kitty, makeRepo, POLICY_JSON, tempDir } from '../helpers/git-repo.ts'

const run = promisify(execFile)
const gitCli = async (cwd: string, ...args: string[]) => (await run('git', args, { cwd })).stdout.trim()

const M = '099-test-mission'
const TOKEN = 'test-token-123'
let server: GitHttpServer
let bare: string

beforeEach(async () => {
  server = await startGitHttpServer({ auth: { username: 'x-access-token', password: TOKEN } })
  bare = server.createBareRepo('project', {
    from: makeRepo([
      { wps: Array.from({ length: 10 }, (_, i) => ({ id: `WP${String(i + 1).padStart(2, '0')}`, lane: 'planned' })) },
    ]),
  })
})
afterEach(async () => {
  await server.close()
  cleanupTempDirs()
})

/** One CLI process working on the remote, as a separate runner would: its own cache folder. */
function remoteKitty(args: string[], env: Record<string, string> = {}, repo = 'project') {
  return kitty(tempDir('kitty-cwd-'), ['orchestrator-api', ...args, '--remote', server.repoUrl(repo)], {
    KITTY_TOKEN: TOKEN,
    KITTY_CACHE_DIR: tempDir('kitty-cache-'),
    KITTY_REMOTE_TIMEOUT_MS: '20000',
    ...env,
  })
}
const claim = (wp: string, actor: string, extra: string[] = []) =>
  remoteKitty(['start-implementation', '--mission', M, '--wp', wp, '--actor', actor, '--policy', POLICY_JSON, ...extra])

/** 10–20 CLI processes on two cores, beside another test file: minutes, not the default minute, under load. */
const MANY_PROCESSES_MS = 240_000

describe('--remote: commands without a working copy', () => {
  it('reads and commits through the remote, and creates the WP branch there', async () => {
    const state = await remoteKitty(['mission-state', '--mission', M])
    expect(state.envelope.success).toBe(true)
    expect(state.envelope.data.work_packages).toHaveLength(10)
    const before = await gitCli(bare, 'rev-parse', 'main')
    const started = await claim('WP01', 'claude')
    expect(started.envelope).toMatchObject({ success: true, data: { from_lane: 'planned', to_lane: 'in_progress' } })
    expect(started.envelope.data).not.toHaveProperty('lane_branch')
    expect(await gitCli(bare, 'rev-parse', 'main^')).toBe(before)
    expect(await gitCli(bare, 'log', '-1', '--format=%(trailers:key=Kitty-Actor,valueonly)', 'main')).toBe('claude')
    expect(await gitCli(bare, 'rev-parse', `${M}-WP01`)).toBe(await gitCli(bare, 'rev-parse', 'main'))
    await gitCli(bare, 'fsck', '--strict')
  })

  it(
    '20 processes claim one WP at once: exactly one wins, 19 WP_ALREADY_CLAIMED, one claim commit',
    async () => {
      const before = await gitCli(bare, 'rev-parse', 'main')
      const runs = await Promise.all(Array.from({ length: 20 }, (_, i) => claim('WP01', `actor-${i}`)))
      const codes = runs.map((r) => r.envelope.error_code ?? 'ok')
      expect(codes.filter((c) => c === 'ok')).toHaveLength(1)
      expect(codes.filter((c) => c === 'WP_ALREADY_CLAIMED')).toHaveLength(19)
      const claims = (await gitCli(bare, 'log', '--format=%(trailers:key=Kitty-Command,valueonly)', `${before}..main`))
        .split('\n')
        .filter(Boolean)
      expect(claims).toEqual(['start-implementation'])
      await gitCli(bare, 'fsck', '--strict')
    },
    MANY_PROCESSES_MS,
  )

  it(
    '10 processes claim 10 different WPs at once: all succeed, 10 commits, none lost',
    async () => {
      // Every lost race is another writer's commit landing, and each of the other 9 writers lands once,
      // so a writer loses at most 9 times: max_attempts 10 makes "all succeed" certain rather than likely.
      // (With the default 5, 10 writers starting in the same instant sometimes exhaust their tries:
      // STATE_CONFLICT, nothing lost; docs/cli.md gives the measured rate.)
      const src = makeRepo([
        { wps: Array.from({ length: 10 }, (_, i) => ({ id: `WP${String(i + 1).padStart(2, '0')}`, lane: 'planned' })) },
      ])
      mkdirSync(join(src, '.github'))
      writeFileSync(join(src, '.github', 'kitty.yml'), 'max_attempts: 10\n')
      await gitCli(src, 'add', '-A')
      await gitCli(src, 'commit', '-q', '-m', 'allow 10 tries')
      bare = server.createBareRepo('busy', { from: src })
      const busy = (args: string[]) => remoteKitty(args, {}, 'busy')
      const before = await gitCli(bare, 'rev-parse', 'main')
      const ids = Array.from({ length: 10 }, (_, i) => `WP${String(i + 1).padStart(2, '0')}`)
      const runs = await Promise.all(
        ids.map((wp, i) =>
          busy(['start-implementation', '--mission', M, '--wp', wp, '--actor', `actor-${i}`, '--policy', POLICY_JSON]),
        ),
      )
      expect(runs.map((r) => r.envelope.error_code ?? 'ok')).toEqual(ids.map(() => 'ok'))
      const wps = (await gitCli(bare, 'log', '--format=%(trailers:key=Kitty-WP,valueonly)', `${before}..main`))
        .split('\n')
        .filter(Boolean)
      expect(wps.sort()).toEqual(ids)
      const state = await busy(['mission-state', '--mission', M])
      expect(state.envelope.data.summary.in_progress).toBe(10)
      await gitCli(bare, 'fsck', '--strict')
    },
    MANY_PROCESSES_MS,
  )

  it(
    '10 simultaneous claims with the default 5 tries: each lands or says STATE_CONFLICT, and every success is a commit',
    async () => {
      const before = await gitCli(bare, 'rev-parse', 'main')
      const ids = Array.from({ length: 10 }, (_, i) => `WP${String(i + 1).padStart(2, '0')}`)
      const runs = await Promise.all(ids.map((wp, i) => claim(wp, `actor-${i}`)))
      const landed = ids.filter((_, i) => runs[i]!.envelope.success)
      for (const r of runs) expect([null, 'STATE_CONFLICT']).toContain(r.envelope.error_code)
      const committed = (await gitCli(bare, 'log', '--format=%(trailers:key=Kitty-WP,valueonly)', `${before}..main`))
        .split('\n')
        .filter(Boolean)
      expect(committed.sort()).toEqual(landed)
      await gitCli(bare, 'fsck', '--strict')
    },
    MANY_PROCESSES_MS,
  )

  it('a refused push → PUSH_FAILED, remote unchanged; the next command succeeds', async () => {
    const before = await gitCli(bare, 'rev-parse', 'main')
    server.faults.refuseNextPush()
    const refused = await claim('WP01', 'claude')
    expect(refused.envelope.error_code).toBe('PUSH_FAILED')
    expect(refused.envelope.data.reason).toBe('pre-receive hook declined')
    expect(await gitCli(bare, 'rev-parse', 'main')).toBe(before)
    expect((await claim('WP01', 'claude')).envelope.success).toBe(true)
  })

  it('a protected state branch (GH006) → BRANCH_PROTECTED naming the fixes, one push, no retry; remote unchanged', async () => {
    const before = await gitCli(bare, 'rev-parse', 'main')
    server.protectBranch('project', 'main')
    const refused = await claim('WP01', 'claude')
    expect(refused.code).not.toBe(0)
    expect(refused.envelope.error_code).toBe('BRANCH_PROTECTED')
    expect(refused.envelope.data).toMatchObject({ branch: 'main', reason: 'pre-receive hook declined' })
    expect(refused.envelope.data.remote_messages).toContain(
      'error: GH006: Protected branch update failed for refs/heads/main.',
    )
    expect(refused.envelope.data.message).toMatch(/bypass actor.*KITTY_STATE_BRANCH/s)
    expect(refused.envelope.data.message).not.toContain('merge.via')
    expect(server.requests.filter((r) => r.service === 'receive-pack' && r.method === 'POST')).toHaveLength(1)
    expect(await gitCli(bare, 'rev-parse', 'main')).toBe(before)
    // The recommended way out: state on a branch no rule protects.
    await gitCli(bare, 'branch', 'kitty-state', 'main')
    expect((await claim('WP01', 'claude', ['--branch', 'kitty-state'])).envelope.success).toBe(true)
  })

  it('a connection dropped mid-push → REMOTE_UNREACHABLE, remote unchanged; the next command succeeds', async () => {
    const before = await gitCli(bare, 'rev-parse', 'main')
    server.faults.dropNextRequest('receive-pack', 'mid-body')
    const dropped = await claim('WP01', 'claude')
    expect(dropped.envelope.error_code).toBe('REMOTE_UNREACHABLE')
    expect(await gitCli(bare, 'rev-parse', 'main')).toBe(before)
    await gitCli(bare, 'fsck', '--strict')
    expect((await claim('WP01', 'claude')).envelope.success).toBe(true)
  })

  it('a wrong token → REMOTE_AUTH_FAILED (token never printed); server down → REMOTE_UNREACHABLE', async () => {
    const wrong = await remoteKitty(['mission-state', '--mission', M], { KITTY_TOKEN: 'wrong-token-xyz' })
    expect(wrong.envelope.error_code).toBe('REMOTE_AUTH_FAILED')
    expect(wrong.stdout + wrong.stderr).not.toContain('wrong-token-xyz')
    await server.close()
    const down = await remoteKitty(['mission-state', '--mission', M])
    expect(down.envelope.error_code).toBe('REMOTE_UNREACHABLE')
    server = await startGitHttpServer()
  })

  it('a redelivered idempotency key changes nothing and answers the original outcome as a no-op', async () => {
    const args = [
      'transition',
      '--mission',
      M,
      '--wp',
      'WP02',
      '--to',
      'blocked',
      '--actor',
      'bot',
      '--idempotency-key',
      'delivery-42',
    ]
    const first = await remoteKitty(args)
    expect(first.envelope.data).toMatchObject({ from_lane: 'planned', to_lane: 'blocked' })
    const after = await gitCli(bare, 'rev-parse', 'main')
    expect(await gitCli(bare, 'log', '-1', '--format=%(trailers:key=Kitty-Delivery,valueonly)', 'main')).toBe(
      'delivery-42',
    )
    const again = await remoteKitty(args)
    expect(again.envelope).toMatchObject({
      success: true,
      data: { no_op: true, duplicate_of: after, wp_id: 'WP02', from_lane: 'planned', to_lane: 'blocked' },
    })
    expect(await gitCli(bare, 'rev-parse', 'main')).toBe(after)
    // Even concurrent redeliveries of a new key commit once.
    const key = [
      'append-history',
      '--mission',
      M,
      '--wp',
      'WP03',
      '--actor',
      'bot',
      '--note',
      'once',
      '--idempotency-key',
      'delivery-43',
    ]
    const runs = await Promise.all(Array.from({ length: 5 }, () => remoteKitty(key)))
    expect(runs.map((r) => r.envelope.error_code)).toEqual(runs.map(() => null))
    expect(await gitCli(bare, 'rev-list', '--count', `${after}..main`)).toBe('1')
  })

  it('bad URLs: invalid ones are USAGE_ERROR (exit 2, no cache created), https to an http port is REMOTE_UNREACHABLE; none prints the userinfo', async () => {
    const port = new URL(server.url).port
    const usage = [
      'http://127.0.0.1:99999/x.git',
      'http://user:SECRET-1@127.0.0.1:99999/x.git',
      'http://127.0.0.1:0/x.git',
      'ftp://user:SECRET-2@127.0.0.1/x.git',
      'file:///tmp/x.git',
      'http://[::1/x.git',
      'not a url',
    ]
    for (const url of usage) {
      const cacheDir = join(tempDir('kitty-cache-'), 'never')
      const out = await kitty(
        tempDir('kitty-cwd-'),
        ['orchestrator-api', 'mission-state', '--mission', M, '--remote', url],
        { KITTY_CACHE_DIR: cacheDir },
      )
      expect(out.envelope.error_code, url).toBe('USAGE_ERROR')
      expect(out.code, url).toBe(2)
      expect(out.stdout.trim().split('\n'), url).toHaveLength(1)
      expect(out.stdout + out.stderr, url).not.toContain('SECRET')
      expect(existsSync(cacheDir), url).toBe(false)
    }
    const tls = await kitty(
      tempDir('kitty-cwd-'),
      [
        'orchestrator-api',
        'mission-state',
        '--mission',
        M,
        '--remote',
        `https://user:SECRET-3@127.0.0.1:${port}/project.git`,
      ],
      {
        KITTY_CACHE_DIR: tempDir('kitty-cache-'),
        KITTY_TOKEN: TOKEN,
      },
    )
    expect(tls.envelope.error_code).toBe('REMOTE_UNREACHABLE')
    expect(tls.code).toBe(1)
    expect(tls.envelope.data.message).toContain(`https://***@127.0.0.1:${port}/project.git`)
    expect(tls.stdout + tls.stderr).not.toMatch(/SECRET|test-token-123/)
  })
})
