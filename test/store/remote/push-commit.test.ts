import { execFile, execFileSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { objectReader } from '../../../src/store/objects/object-reader.ts'
import { objectsToSend, packObjects } from '../../../src/store/objects/pack-objects.ts'
import type { RemoteCache, RemoteOptions } from '../../../src/store/remote/remote.ts'
import { fetchBranch, openRemoteCache, pushCommit } from '../../../src/store/remote/remote.ts'
import { locateRepository } from '../../../src/store/repository.ts'
import type { GitHttpServer } from '../../helpers/git-http-server.ts'
import { startGitHttpServer } from '../../helpers/git-http-server.ts'
import { cleanupTempDirs, git, makeRepo, tempDir } from '../../helpers/git-repo.ts'

const run = promisify(execFile)
const gitCli = async (cwd: string, ...args: string[]) => (await run('git', args, { cwd })).stdout.trim()

afterEach(cleanupTempDirs)

/** A repository with history, a side branch and a merge: the shapes a push carries. */
function historyRepo(): string {
  const repo = makeRepo()
  const commit = (files: Record<string, string>, message: string) => {
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(join(repo, path, '..'), { recursive: true })
      writeFileSync(join(repo, path), text)
    }
    git(repo, 'add', '-A')
    git(repo, 'commit', '-qm', message)
    return git(repo, 'rev-parse', 'HEAD')
  }
  for (let i = 0; i < 5; i++) commit({ [`src/m${i}/a.ts`]: `a ${i}\n`, 'docs/readme.md': `rev ${i}\n` }, `base ${i}`)
  git(repo, 'checkout', '-q', '-b', 'side')
  commit({ 'src/m1/b.ts': 'side\n', 'src/m4/a.ts': 'side edit\n' }, 'side 1')
  commit({ 'lib/deep/er/x.ts': 'x\n' }, 'side 2')
  git(repo, 'checkout', '-q', 'main')
  commit({ 'docs/readme.md': 'main moves\n', 'src/m0/a.ts': 'a 0\n' }, 'main 1')
  git(repo, 'merge', '-q', '--no-ff', '-m', 'merge side', 'side')
  commit({ 'src/m2/a.ts': 'a 0\n' }, 'same blob as another path')
  return repo
}

const sorted = (text: string) =>
  text
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(' ')[0]!)
    .sort()

describe('objectsToSend / packObjects', () => {
  it('finds everything git rev-list --objects finds; anything more is already on the remote', async () => {
    const repo = historyRepo()
    const cases: Array<[string, string[]]> = [
      ['main', ['main~1']],
      ['main', ['main~2']],
      ['main~1', ['main~2']],
      ['main~1', ['main~2', 'side']],
      ['main', ['main~5']],
      ['side', ['main~3']],
    ]
    for (const [tip, known] of cases) {
      const knownOids = known.map((k) => git(repo, 'rev-parse', k))
      const ours = await objectsToSend(locateRepository(repo), git(repo, 'rev-parse', tip), knownOids)
      const expected = sorted(git(repo, 'rev-list', '--objects', tip, ...knownOids.map((k) => `^${k}`)))
      const extra = ours!.oids.filter((o) => !expected.includes(o))
      expect(
        expected.filter((o) => !ours!.oids.includes(o)),
        `${tip} not ${known}: missing`,
      ).toEqual([])
      // Redundant only: a blob or tree the change re-introduces at another path (git dedupes by oid).
      const onRemote = new Set(sorted(git(repo, 'rev-list', '--objects', ...knownOids)))
      expect(
        extra.filter((o) => !onRemote.has(o)),
        `${tip} not ${known}: junk`,
      ).toEqual([])
      if (tip !== 'main') expect(extra, `${tip} not ${known}`).toEqual([])
    }
  })

  it('builds a pack git accepts: index-pack verifies it and unpacking yields every object', async () => {
    const repo = historyRepo()
    const objects = (await objectsToSend(locateRepository(repo), git(repo, 'rev-parse', 'main'), []))!
    const pack = await packObjects(objectReader(locateRepository(repo)), objects.oids)
    const empty = tempDir('kitty-unpack-')
    git(empty, 'init', '-q', '--bare')
    execFileSync('git', ['unpack-objects', '-q'], { cwd: empty, input: pack })
    git(empty, 'update-ref', 'refs/heads/main', git(repo, 'rev-parse', 'main'))
    git(empty, 'fsck', '--strict', '--no-dangling')
    expect(sorted(git(empty, 'rev-list', '--objects', 'main'))).toEqual(
      sorted(git(repo, 'rev-list', '--objects', 'main')),
    )
    const verifyDir = tempDir('kitty-verify-')
    writeFileSync(join(verifyDir, 'p.pack'), pack)
    execFileSync('git', ['index-pack', join(verifyDir, 'p.pack')], { cwd: empty })
  })
})

describe('pushCommit: one discovery, one receive-pack, only the new objects', () => {
  let server: GitHttpServer
  let cache: RemoteCache
  const remote = (): RemoteOptions => ({ url: server.repoUrl('project'), token: 'tok', timeoutMs: 10_000 })
  beforeEach(async () => {
    server = await startGitHttpServer({ auth: { username: 'x-access-token', password: 'tok' } })
  })
  afterEach(async () => {
    await cache.lock.release()
    await server.close()
  })

  it('pushes a merge commit with its side branch; a stale expected value is "moved" and sends nothing', async () => {
    const source = historyRepo()
    const main = git(source, 'rev-parse', 'main')
    // The server has main as it was before the merge, and the side branch.
    git(source, 'branch', 'before', 'main~2')
    const bare = server.createBareRepo('project', { from: source })
    await gitCli(bare, 'update-ref', 'refs/heads/main', git(source, 'rev-parse', 'main~2'))
    cache = await openRemoteCache(remote(), { KITTY_CACHE_DIR: tempDir('kitty-cache-') })
    // The cache gets the commits by fetching the whole source (as if it had made them).
    await fetchBranch(cache.repo, { ...remote(), url: server.repoUrl('project') }, 'main')
    await run('git', ['--git-dir', cache.repo.gitdir, 'fetch', '-q', source, 'main:refs/heads/main'])

    const stale = git(source, 'rev-parse', 'main~3')
    const posts = () => server.requests.filter((r) => r.service === 'receive-pack' && r.method === 'POST').length
    expect(await pushCommit(cache.repo, remote(), 'main', main, stale)).toEqual({ ok: false, moved: true })
    expect(posts()).toBe(0)

    expect(await pushCommit(cache.repo, remote(), 'main', main, git(source, 'rev-parse', 'main~2'))).toEqual({
      ok: true,
    })
    expect(posts()).toBe(1)
    expect(await gitCli(bare, 'rev-parse', 'main')).toBe(main)
    await gitCli(bare, 'fsck', '--strict')
    // Creating a branch that already exists never moves it.
    expect(await pushCommit(cache.repo, remote(), 'side', main, null)).toEqual({ ok: false, moved: true })
    expect(await gitCli(bare, 'rev-parse', 'side')).toBe(git(source, 'rev-parse', 'side'))
  })

  it('a cache cut at depth 1 cannot bound the walk: the general push path takes over and succeeds', async () => {
    const source = historyRepo()
    const bare = server.createBareRepo('project', { from: source })
    const before = await gitCli(bare, 'rev-parse', 'main')
    cache = await openRemoteCache(remote(), { KITTY_CACHE_DIR: tempDir('kitty-cache-') })
    await fetchBranch(cache.repo, remote(), 'main', 1)
    // A commit on the shallow tip, written into the cache by git itself.
    const tree = await gitCli(cache.repo.gitdir, '--git-dir', cache.repo.gitdir, 'rev-parse', `${before}^{tree}`)
    const next = (
      await run('git', ['--git-dir', cache.repo.gitdir, 'commit-tree', '-p', before, '-m', 'on shallow', tree], {
        env: {
          ...process.env,
          GIT_AUTHOR_NAME: 'a',
          GIT_AUTHOR_EMAIL: 'a@b',
          GIT_COMMITTER_NAME: 'a',
          GIT_COMMITTER_EMAIL: 'a@b',
        },
      })
    ).stdout.trim()
    expect(await objectsToSend(cache.repo, next, [])).toBeNull()
    expect(await pushCommit(cache.repo, remote(), 'main', next, before)).toEqual({ ok: true })
    expect(await gitCli(bare, 'rev-parse', 'main')).toBe(next)
    await gitCli(bare, 'fsck', '--strict')
  })

  it('a refused push is final with the reason; the remote is unchanged', async () => {
    const source = historyRepo()
    const bare = server.createBareRepo('project', { from: source })
    const before = await gitCli(bare, 'rev-parse', 'main')
    cache = await openRemoteCache(remote(), { KITTY_CACHE_DIR: tempDir('kitty-cache-') })
    await fetchBranch(cache.repo, remote(), 'main')
    git(source, 'commit', '-q', '--allow-empty', '-m', 'next')
    await run('git', ['--git-dir', cache.repo.gitdir, 'fetch', '-q', source, 'main:refs/heads/main'])
    server.faults.refuseNextPush()
    expect(await pushCommit(cache.repo, remote(), 'main', git(source, 'rev-parse', 'main'), before)).toEqual({
      ok: false,
      moved: false,
      reason: 'pre-receive hook declined',
      messages: ['kitty test server: push refused (fault injection)'],
      protected: false,
    })
    expect(await gitCli(bare, 'rev-parse', 'main')).toBe(before)
  })

  it.each([
    ['pull-request', 'error: GH006: Protected branch update failed for refs/heads/main.'],
    ['ruleset', 'error: GH013: Repository rule violations found for refs/heads/main.'],
    ['signed-commits', 'error: Commits must have verified signatures.'],
    ['linear-history', 'error: This branch must not contain merge commits.'],
  ] as const)(
    'a protected branch (%s) is a final refusal carrying GitHub’s words; other branches push',
    async (rule, line) => {
      const source = historyRepo()
      const bare = server.createBareRepo('project', { from: source })
      server.protectBranch('project', 'main', rule)
      const before = await gitCli(bare, 'rev-parse', 'main')
      cache = await openRemoteCache(remote(), { KITTY_CACHE_DIR: tempDir('kitty-cache-') })
      await fetchBranch(cache.repo, remote(), 'main')
      git(source, 'commit', '-q', '--allow-empty', '-m', 'next')
      const next = git(source, 'rev-parse', 'main')
      await run('git', ['--git-dir', cache.repo.gitdir, 'fetch', '-q', source, 'main:refs/heads/main'])
      const outcome = await pushCommit(cache.repo, remote(), 'main', next, before)
      expect(outcome).toMatchObject({ ok: false, moved: false, reason: 'pre-receive hook declined', protected: true })
      expect(outcome.ok === false && !outcome.moved && outcome.messages).toContain(line)
      expect(await gitCli(bare, 'rev-parse', 'main')).toBe(before)
      expect(await pushCommit(cache.repo, remote(), 'kitty/merge/x', next, null)).toEqual({ ok: true })
      expect(await gitCli(bare, 'rev-parse', 'kitty/merge/x')).toBe(next)
    },
  )
})
