import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { GitHttpServer } from '../helpers/git-http-server.ts'
import { startGitHttpServer } from '../helpers/git-http-server.ts'
import { cleanupTempDirs, kitty, tempDir } from '../helpers/git-repo.ts'
import { diamondRepo } from '../helpers/merge-repo.ts'

const run = promisify(execFile)
// The server lives in this process: drive git asynchronously so it can answer.
const gitCli = async (cwd: string, ...args: string[]) => (await run('git', args, { cwd })).stdout.trim()

const M = '099-test-mission'
const TOKEN = 'merge-pull-token'
const STAGING = `kitty/merge/${M}`
let server: GitHttpServer

beforeEach(async () => {
  server = await startGitHttpServer({ auth: { username: 'x-access-token', password: TOKEN } })
})
afterEach(async () => {
  await server.close()
  cleanupTempDirs()
})

/** As the Action or the App runs it: no checkout, a cache; kitty's state on `kitty-state`, main protected. */
function remoteKitty(repo: string, cache: string, args: string[]) {
  return kitty(tempDir('kitty-cwd-'), ['orchestrator-api', ...args, '--remote', server.repoUrl(repo)], {
    KITTY_TOKEN: TOKEN,
    KITTY_CACHE_DIR: cache,
    KITTY_REMOTE_TIMEOUT_MS: '20000',
    KITTY_STATE_BRANCH: 'kitty-state',
  })
}

const pushes = () => server.requests.filter((r) => r.service === 'receive-pack' && r.method === 'POST')

describe('merge-mission through a pull request on a protected target', () => {
  it('push is refused naming merge.via; pull_request stages the merge; the merged pull request is recorded once', async () => {
    const bare = server.createBareRepo('protected', { from: diamondRepo() })
    await gitCli(bare, 'branch', 'kitty-state', 'main')
    server.protectBranch('protected', 'main')
    const main = await gitCli(bare, 'rev-parse', 'main')
    const cache = tempDir('kitty-cache-')

    const refused = await remoteKitty('protected', cache, ['merge-mission', '--mission', M])
    expect(refused.envelope.error_code).toBe('BRANCH_PROTECTED')
    expect(refused.envelope.data.message).toContain('merge.via: pull_request')

    const staged = await remoteKitty('protected', cache, ['merge-mission', '--mission', M, '--via', 'pull_request'])
    expect(staged.code, JSON.stringify(staged.envelope)).toBe(0)
    expect(staged.envelope.data).toMatchObject({
      via: 'pull_request',
      merged: false,
      merged_wps: [],
      would_merge: ['WP01', 'WP02', 'WP03', 'WP04'],
      target_branch: 'main',
      staging_branch: STAGING,
      pushed: true,
      state_commit: null,
      pull_request: { head: STAGING, base: 'main' },
    })
    const plan = staged.envelope.data.pull_request.work_packages as Array<{ wp_id: string }>
    expect(plan.map((w) => w.wp_id)).toEqual(['WP01', 'WP02', 'WP03', 'WP04'])
    // The target never moved; the staging branch is the merge built on it.
    expect(await gitCli(bare, 'rev-parse', 'main')).toBe(main)
    const staging = await gitCli(bare, 'rev-parse', STAGING)
    expect(staging).toBe(staged.envelope.data.staging_commit)
    await gitCli(bare, 'merge-base', '--is-ancestor', main, STAGING)
    expect(await gitCli(bare, 'show', `${STAGING}:src/core.ts`)).toBe('export const core = 2')
    expect(await gitCli(bare, 'show', `${STAGING}:src/b.ts`)).toBe('export const b = 1')
    const pushed = pushes().length

    // A redelivered label (or a second replica): the same merge is already staged, nothing is pushed.
    const again = await remoteKitty('protected', tempDir('kitty-cache-'), [
      'merge-mission',
      '--mission',
      M,
      '--via',
      'pull_request',
    ])
    expect(again.envelope.data).toMatchObject({ pushed: false, staging_commit: staging })
    expect(pushes()).toHaveLength(pushed)

    // GitHub merges the pull request (the hook guards pushes, not GitHub's own merge).
    const tree = await gitCli(bare, 'rev-parse', `${STAGING}^{tree}`)
    const merge = await gitCli(bare, 'commit-tree', tree, '-p', main, '-p', staging, '-m', 'Merge pull request #7')
    await gitCli(bare, 'update-ref', 'refs/heads/main', merge, main)

    const key = `github-pull-merged:7:${merge}`
    const recorded = await remoteKitty('protected', cache, [
      'merge-mission',
      '--mission',
      M,
      '--merged-commit',
      merge,
      '--idempotency-key',
      key,
    ])
    expect(recorded.code, JSON.stringify(recorded.envelope)).toBe(0)
    expect(recorded.envelope.data).toMatchObject({
      merged: true,
      merged_wps: ['WP01', 'WP02', 'WP03', 'WP04'],
      merge_commit: merge,
      no_op: false,
    })
    const state = await gitCli(bare, 'rev-parse', 'kitty-state')
    expect(recorded.envelope.data.state_commit).toBe(state)
    const meta = JSON.parse(await gitCli(bare, 'show', `kitty-state:kitty-specs/${M}/meta.json`))
    expect(meta).toMatchObject({ merge_commit: merge, merged_wps: ['WP01', 'WP02', 'WP03', 'WP04'] })
    for (const wp of ['WP01', 'WP02', 'WP03', 'WP04']) {
      const files = await gitCli(bare, 'ls-tree', '--name-only', `kitty-state:kitty-specs/${M}/tasks`)
      const file = files.split('\n').find((f) => f.startsWith(wp))!
      expect(await gitCli(bare, 'show', `kitty-state:kitty-specs/${M}/tasks/${file}`)).toMatch(/^lane: "?done"?$/m)
    }

    // The close event redelivered: recorded once.
    const twice = await remoteKitty('protected', tempDir('kitty-cache-'), [
      'merge-mission',
      '--mission',
      M,
      '--merged-commit',
      merge,
      '--idempotency-key',
      key,
    ])
    expect(twice.envelope.data).toMatchObject({ no_op: true })
    expect(await gitCli(bare, 'rev-parse', 'kitty-state')).toBe(state)
    await gitCli(bare, 'fsck', '--strict')
  })

  it('a target that moved: the re-run rebuilds the staging branch on the new tip (compare-and-swap from the old one)', async () => {
    const bare = server.createBareRepo('moving', { from: diamondRepo() })
    await gitCli(bare, 'branch', 'kitty-state', 'main')
    server.protectBranch('moving', 'main')
    const cache = tempDir('kitty-cache-')
    const first = await remoteKitty('moving', cache, ['merge-mission', '--mission', M, '--via', 'pull_request'])
    expect(first.envelope.data).toMatchObject({ pushed: true, staging_branch: STAGING })
    // Someone lands an unrelated change on main (through a pull request, past the hook).
    const main = await gitCli(bare, 'rev-parse', 'main')
    const tree = await gitCli(bare, 'rev-parse', 'main^{tree}')
    const moved = await gitCli(bare, 'commit-tree', tree, '-p', main, '-m', 'someone else landed first')
    await gitCli(bare, 'update-ref', 'refs/heads/main', moved, main)
    const again = await remoteKitty('moving', cache, ['merge-mission', '--mission', M, '--via', 'pull_request'])
    expect(again.envelope.data).toMatchObject({ pushed: true, staging_branch: STAGING })
    expect(again.envelope.data.staging_commit).not.toBe(first.envelope.data.staging_commit)
    expect(await gitCli(bare, 'rev-parse', STAGING)).toBe(again.envelope.data.staging_commit)
    await gitCli(bare, 'merge-base', '--is-ancestor', moved, STAGING)
  })
})
