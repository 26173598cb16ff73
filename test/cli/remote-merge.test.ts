import { execFile } from 'node:child_process'
import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { GitHttpServer } from '../helpers/git-http-server.ts'
import { startGitHttpServer } from '../helpers/git-http-server.ts'
import { api, cleanupTempDirs, kitty, laneOf, tempDir } from '../helpers/git-repo.ts'
import { branchOf, commit, diamondRepo, emptyCommits } from '../helpers/merge-repo.ts'

const run = promisify(execFile)
// The server lives in this process: drive git asynchronously so it can answer.
const gitCli = async (cwd: string, ...args: string[]) => (await run('git', args, { cwd })).stdout.trim()

const M = '099-test-mission'
const TOKEN = 'merge-remote-token'
const META = `kitty-specs/${M}/meta.json`
let server: GitHttpServer

beforeEach(async () => {
  server = await startGitHttpServer({ auth: { username: 'x-access-token', password: TOKEN } })
})
afterEach(async () => {
  await server.close()
  cleanupTempDirs()
})

/** merge-mission as the Action or the App runs it: no checkout, only the remote and a cache. */
function remoteMerge(repo: string, cache: string, extra: string[] = []) {
  return kitty(
    tempDir('kitty-cwd-'),
    ['orchestrator-api', 'merge-mission', '--mission', M, '--remote', server.repoUrl(repo), ...extra],
    {
      KITTY_TOKEN: TOKEN,
      KITTY_CACHE_DIR: cache,
      KITTY_REMOTE_TIMEOUT_MS: '20000',
    },
  )
}

const pushes = () => server.requests.filter((r) => r.service === 'receive-pack' && r.method === 'POST')

/** The diamond on the server, and an identical local copy to compare with a merge made in a checkout. */
function diamondOnServer(name: string): { bare: string; local: string } {
  const source = diamondRepo()
  const local = tempDir('kitty-local-')
  cpSync(source, local, { recursive: true })
  return { bare: server.createBareRepo(name, { from: source }), local }
}

describe('merge-mission --remote: merging with only a remote and a cache', () => {
  it('merges the diamond in dependency order and pushes once; the tree is the one a checkout merge makes', async () => {
    const { bare, local } = diamondOnServer('diamond')
    const before = await gitCli(bare, 'rev-parse', 'main')
    const cache = tempDir('kitty-cache-')
    // A routine command first, so the cache starts shallow as it would in real use.
    const state = await kitty(
      tempDir(),
      ['orchestrator-api', 'mission-state', '--mission', M, '--remote', server.repoUrl('diamond')],
      {
        KITTY_TOKEN: TOKEN,
        KITTY_CACHE_DIR: cache,
      },
    )
    expect(state.envelope.success).toBe(true)

    const { code, envelope } = await remoteMerge('diamond', cache)
    expect(code, JSON.stringify(envelope)).toBe(0)
    expect(envelope.data).toMatchObject({
      merged: true,
      target_branch: 'main',
      strategy: 'merge',
      merge_order: ['WP01', 'WP02', 'WP03', 'WP04'],
      merged_wps: ['WP01', 'WP02', 'WP03', 'WP04'],
      mission_number: 42,
      pushed: true,
      worktree_removed: false,
    })
    expect(await gitCli(bare, 'rev-parse', 'main')).toBe(envelope.data.state_commit)
    expect(pushes()).toHaveLength(1)
    await gitCli(bare, 'fsck', '--strict')
    const subjects = (await gitCli(bare, 'log', '--first-parent', '--format=%s', `${before}..main`))
      .split('\n')
      .reverse()
    expect(subjects.slice(0, 4)).toEqual(['WP01', 'WP02', 'WP03', 'WP04'].map((wp) => `merge: ${M}/${wp} into main`))
    for (const wp of ['WP01', 'WP02', 'WP03', 'WP04']) {
      expect(await gitCli(bare, 'merge-base', '--is-ancestor', branchOf(wp), 'main').then(() => true)).toBe(true)
    }

    // The same merge in a checkout: identical files, except the mission's state files, whose merge
    // record and history entries carry the time and who merged.
    const localRun = await api(local, 'merge-mission', { mission: M })
    expect(localRun.envelope.data.merged_wps).toEqual(envelope.data.merged_wps)
    await gitCli(local, 'fetch', '-q', bare, 'main:refs/remotes/server/main')
    expect(await gitCli(local, 'diff', '--stat', 'main', 'server/main', '--', '.', `:(exclude)kitty-specs/${M}`)).toBe(
      '',
    )
    for (const wp of ['WP01', 'WP02', 'WP03', 'WP04']) {
      expect(laneOf(await gitCli(bare, 'show', `main:kitty-specs/${M}/tasks/${wp}.md`))).toBe('done')
    }
    const meta = JSON.parse(await gitCli(bare, 'show', `main:${META}`))
    expect(meta).toMatchObject({
      mission_number: 42,
      merge_strategy: 'merge',
      merged_wps: ['WP01', 'WP02', 'WP03', 'WP04'],
      merge_commit: envelope.data.merge_commit,
    })

    // Running it again is a no-op that pushes nothing.
    const again = await remoteMerge('diamond', cache)
    expect(again.envelope.data).toMatchObject({ no_op: true, merged_wps: [] })
    expect(pushes()).toHaveLength(1)
  })

  /** The cache as routine commands leave it: the state branch fetched 50 commits deep. */
  async function shallowCache(repo: string): Promise<{ cache: string; shallowFile: string }> {
    const cache = tempDir('kitty-cache-')
    const state = await kitty(
      tempDir(),
      ['orchestrator-api', 'mission-state', '--mission', M, '--remote', server.repoUrl(repo)],
      {
        KITTY_TOKEN: TOKEN,
        KITTY_CACHE_DIR: cache,
      },
    )
    expect(state.envelope.success).toBe(true)
    const shallowFile = join(cache, readdirSync(cache).find((d) => d.endsWith('.git'))!, 'shallow')
    expect(existsSync(shallowFile)).toBe(true)
    return { cache, shallowFile }
  }

  it('WP branches cut 80 commits back, 400 commits of history before: merged from a history 200 deep, not all of it', async () => {
    const source = diamondRepo({ history: 400 })
    emptyCommits(source, 80, 'main moves on')
    const bare = server.createBareRepo('deep', { from: source })
    const { cache, shallowFile } = await shallowCache('deep')
    const { envelope } = await remoteMerge('deep', cache)
    expect(envelope.error_code, JSON.stringify(envelope.data)).toBeNull()
    expect(envelope.data.merged_wps).toEqual(['WP01', 'WP02', 'WP03', 'WP04'])
    // Still shallow: the ~500-commit history was not all fetched.
    expect(existsSync(shallowFile)).toBe(true)
    await gitCli(bare, 'fsck', '--strict')
    const files = await gitCli(bare, 'ls-tree', '-r', '--name-only', 'main', 'src')
    expect(files.split('\n')).toEqual(['src/a.ts', 'src/b.ts', 'src/core.ts', 'src/d.ts'])
  })

  it('WP branches cut 300 commits back: the cache is deepened past its first 200 and the merge is right', async () => {
    const source = diamondRepo()
    emptyCommits(source, 300, 'main moves on')
    const bare = server.createBareRepo('deeper', { from: source })
    const { cache } = await shallowCache('deeper')
    const { envelope } = await remoteMerge('deeper', cache)
    expect(envelope.error_code, JSON.stringify(envelope.data)).toBeNull()
    expect(envelope.data.merged_wps).toEqual(['WP01', 'WP02', 'WP03', 'WP04'])
    await gitCli(bare, 'fsck', '--strict')
    // git agrees on the content: the same merges made by git from the same branches.
    const check = tempDir('kitty-check-')
    await gitCli(check, 'clone', '-q', bare, '.')
    await gitCli(check, 'checkout', '-q', '-b', 'by-git', `${envelope.data.merge_commit}~0`)
    await gitCli(check, 'reset', '-q', '--hard', await gitCli(bare, 'rev-parse', `main~5`))
    for (const wp of ['WP01', 'WP02', 'WP03', 'WP04'])
      await gitCli(
        check,
        '-c',
        'user.name=t',
        '-c',
        'user.email=t@e',
        'merge',
        '-q',
        '--no-ff',
        '--no-edit',
        `origin/${branchOf(wp)}`,
      )
    expect(await gitCli(check, 'diff', '--stat', 'HEAD', envelope.data.merge_commit)).toBe('')
  })

  it('squash over the remote gives the same tree as merge', async () => {
    diamondOnServer('squash')
    const { envelope } = await remoteMerge('squash', tempDir('kitty-cache-'), ['--strategy', 'squash'])
    expect(envelope.error_code, JSON.stringify(envelope.data)).toBeNull()
    diamondOnServer('merge')
    const merged = await remoteMerge('merge', tempDir('kitty-cache-'))
    expect(merged.envelope.error_code).toBeNull()
    const tree = (name: string, rev: string) =>
      gitCli(join(server.root, 'repos', `${name}.git`), 'rev-parse', `${rev}^{tree}`)
    expect(await tree('squash', envelope.data.merge_commit)).toBe(
      await tree('merge', merged.envelope.data.merge_commit),
    )
  })

  it('a real conflict → PREFLIGHT_FAILED naming the paths; the remote is untouched and nothing is pushed', async () => {
    const source = diamondRepo()
    // main changes the line WP01 changes: the trial merge of WP01 conflicts.
    commit(source, 'main edits shared line 2', {
      'shared.txt': readFileSync(join(source, 'shared.txt'), 'utf8').replace('line 2\n', 'line 2 (main)\n'),
    })
    const bare = server.createBareRepo('conflict', { from: source })
    const before = await gitCli(bare, 'rev-parse', 'main')
    const { code, envelope } = await remoteMerge('conflict', tempDir('kitty-cache-'))
    expect(code).toBe(1)
    expect(envelope.error_code).toBe('PREFLIGHT_FAILED')
    expect(envelope.data.conflicts).toEqual(
      expect.arrayContaining([expect.objectContaining({ wp_id: 'WP01', paths: ['shared.txt'] })]),
    )
    expect(await gitCli(bare, 'rev-parse', 'main')).toBe(before)
    expect(pushes()).toHaveLength(0)
  })

  it('a missing WP branch on the remote is a preflight error even when the cache still has a stale copy', async () => {
    const { bare } = diamondOnServer('stale')
    const cache = tempDir('kitty-cache-')
    expect((await remoteMerge('stale', cache, ['--dry-run'])).envelope.success).toBe(true)
    await gitCli(bare, 'branch', '-D', branchOf('WP03'))
    const { envelope } = await remoteMerge('stale', cache)
    expect(envelope.error_code).toBe('PREFLIGHT_FAILED')
    expect(envelope.data.errors.join('\n')).toContain(`Branch ${branchOf('WP03')} for WP03 does not exist`)
    expect(pushes()).toHaveLength(0)
  })

  it('the target moving just before the push: the merge is redone on the new tip, nothing of the other writer lost', async () => {
    const { bare } = diamondOnServer('race')
    const writer = tempDir('kitty-writer-')
    await gitCli(writer, 'clone', '-q', bare, '.')
    await gitCli(writer, 'config', 'user.name', 'Other Writer')
    await gitCli(writer, 'config', 'user.email', 'other@example.com')
    writeFileSync(join(writer, 'NOTES.md'), 'another writer was here\n')
    await gitCli(writer, 'add', '-A')
    await gitCli(writer, 'commit', '-qm', 'other writer: notes')
    const theirs = await gitCli(writer, 'rev-parse', 'HEAD')
    server.faults.beforeNextPush(async () => {
      await gitCli(writer, 'push', '-q', 'origin', 'main')
    })
    const { envelope } = await remoteMerge('race', tempDir('kitty-cache-'))
    expect(envelope.error_code, JSON.stringify(envelope.data)).toBeNull()
    expect(pushes()).toHaveLength(2)
    expect(await gitCli(bare, 'rev-parse', 'main')).toBe(envelope.data.state_commit)
    await gitCli(bare, 'merge-base', '--is-ancestor', theirs, 'main')
    expect(await gitCli(bare, 'show', 'main:NOTES.md')).toBe('another writer was here')
    await gitCli(bare, 'fsck', '--strict')
  })

  it('a refused push → PUSH_FAILED, the remote unchanged; the next run (same cache) succeeds', async () => {
    const { bare } = diamondOnServer('refuse')
    const before = await gitCli(bare, 'rev-parse', 'main')
    const cache = tempDir('kitty-cache-')
    server.faults.refuseNextPush()
    const refused = await remoteMerge('refuse', cache)
    expect(refused.envelope.error_code).toBe('PUSH_FAILED')
    expect(refused.envelope.data).toMatchObject({ reason: 'pre-receive hook declined', merged_wps: [] })
    expect(refused.stdout + refused.stderr).not.toContain(TOKEN)
    expect(await gitCli(bare, 'rev-parse', 'main')).toBe(before)
    const next = await remoteMerge('refuse', cache)
    expect(next.envelope.data).toMatchObject({ merged: true, merged_wps: ['WP01', 'WP02', 'WP03', 'WP04'] })
  })

  it('a protected target (GH006) → BRANCH_PROTECTED naming merge.via: pull_request; one push, nothing merged', async () => {
    const { bare } = diamondOnServer('protected')
    server.protectBranch('protected', 'main')
    const before = await gitCli(bare, 'rev-parse', 'main')
    const refused = await remoteMerge('protected', tempDir('kitty-cache-'))
    expect(refused.envelope.error_code).toBe('BRANCH_PROTECTED')
    expect(refused.envelope.data).toMatchObject({ branch: 'main', target_branch: 'main', merged_wps: [] })
    expect(refused.envelope.data.message).toContain('merge.via: pull_request')
    expect(refused.envelope.data.fixes).toHaveLength(3)
    expect(pushes()).toHaveLength(1)
    expect(await gitCli(bare, 'rev-parse', 'main')).toBe(before)
  })

  it('--dry-run over the remote plans and pushes nothing', async () => {
    const { bare } = diamondOnServer('dry')
    const before = await gitCli(bare, 'rev-parse', 'main')
    const { envelope } = await remoteMerge('dry', tempDir('kitty-cache-'), ['--dry-run'])
    expect(envelope.data).toMatchObject({ dry_run: true, merge_order: ['WP01', 'WP02', 'WP03', 'WP04'] })
    expect(envelope.data.would_merge.map((w: { outcome: string }) => w.outcome)).toEqual([
      'merged',
      'merged',
      'merged',
      'merged',
    ])
    expect(await gitCli(bare, 'rev-parse', 'main')).toBe(before)
    expect(pushes()).toHaveLength(0)
  })
})
