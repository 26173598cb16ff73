import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import git from 'isomorphic-git'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { KittyError } from '../../../src/core/errors.ts'
import type { RemoteCache, RemoteOptions } from '../../../src/store/remote/remote.ts'
import { fetchBranch, pushBranch, redactUrl, remoteCacheDir } from '../../../src/store/remote/remote.ts'
import { Snapshot } from '../../../src/store/objects/snapshot.ts'
import { writeChangedTree } from '../../../src/store/objects/write-tree.ts'
import type { GitHttpServer } from '../../helpers/git-http-server.ts'
import { startGitHttpServer } from '../../helpers/git-http-server.ts'
import { cleanupTempDirs, makeRepo } from '../../helpers/git-repo.ts'
import { remoteFixtures } from '../../helpers/remote-fixtures.ts'

const run = promisify(execFile)
const gitCli = async (cwd: string, ...args: string[]) => (await run('git', args, { cwd })).stdout.trim()

let server: GitHttpServer
const remotes = remoteFixtures()
beforeEach(async () => {
  server = await startGitHttpServer({ auth: { username: 'x-access-token', password: 'good-token' } })
})
afterEach(async () => {
  await remotes.close()
  await server.close()
  cleanupTempDirs()
})

const remote = (patch: Partial<RemoteOptions> = {}): RemoteOptions => ({
  url: server.repoUrl('project'),
  token: 'good-token',
  timeoutMs: 10_000,
  ...patch,
})
const cache = remotes.cache

/** A commit on top of `parent` that adds one file, written into the cache's object database. */
async function commitOn(c: RemoteCache, parent: string, name: string): Promise<string> {
  const snapshot = await Snapshot.at(c.repo, parent)
  const tree = await writeChangedTree(snapshot, new Map([[name, new TextEncoder().encode(`${name}\n`)]]))
  const who = { name: 't', email: 't@e', timestamp: 1_700_000_000, timezoneOffset: 0 }
  return git.writeCommit({
    fs: c.repo.fs,
    gitdir: c.repo.gitdir,
    commit: { message: name, tree, parent: [parent], author: who, committer: who },
  })
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
}

const codeOf = async (p: Promise<unknown>) => {
  try {
    await p
  } catch (err) {
    return err instanceof KittyError ? err.code : `raw:${(err as Error).message}`
  }
  return 'ok'
}

describe('remote state: fetch and push through isomorphic-git', () => {
  it('fetches the default branch shallowly and pushes a commit once', async () => {
    const bare = server.createBareRepo('project', { from: makeRepo() })
    const c = await cache(remote())
    const fetched = await fetchBranch(c.repo, remote(), null, 1)
    expect(fetched).toEqual({ branch: 'main', tip: await gitCli(bare, 'rev-parse', 'main') })
    const next = await commitOn(c, fetched.tip!, 'a.txt')
    expect(await pushBranch(c.repo, remote(), 'main', next)).toEqual({ ok: true })
    expect(await gitCli(bare, 'rev-parse', 'main')).toBe(next)
    await gitCli(bare, 'fsck', '--strict')
  })

  it('a push from a stale cache is "moved", never a lost update', async () => {
    const bare = server.createBareRepo('project', { from: makeRepo() })
    const [a, b] = [await cache(remote()), await cache(remote())]
    const tipA = (await fetchBranch(a.repo, remote(), 'main', 1)).tip!
    const tipB = (await fetchBranch(b.repo, remote(), 'main', 1)).tip!
    const first = await commitOn(a, tipA, 'a.txt')
    expect(await pushBranch(a.repo, remote(), 'main', first)).toEqual({ ok: true })
    const second = await commitOn(b, tipB, 'b.txt')
    expect(await pushBranch(b.repo, remote(), 'main', second)).toEqual({ ok: false, moved: true })
    expect(await gitCli(bare, 'rev-parse', 'main')).toBe(first)
    // Re-read and retry: now it lands on top.
    const fresh = (await fetchBranch(b.repo, remote(), 'main', 1)).tip!
    expect(fresh).toBe(first)
    expect(await pushBranch(b.repo, remote(), 'main', await commitOn(b, fresh, 'b.txt'))).toEqual({ ok: true })
  })

  it('a refused push is final, with the remote’s reason; the next push works', async () => {
    const bare = server.createBareRepo('project', { from: makeRepo() })
    const c = await cache(remote())
    const tip = (await fetchBranch(c.repo, remote(), 'main', 1)).tip!
    server.faults.refuseNextPush()
    const outcome = await pushBranch(c.repo, remote(), 'main', await commitOn(c, tip, 'a.txt'))
    expect(outcome).toEqual({
      ok: false,
      moved: false,
      reason: 'pre-receive hook declined',
      // The server's side-band lines come back with the refusal; this one is no branch protection rule.
      messages: ['kitty test server: push refused (fault injection)'],
      protected: false,
    })
    expect(await gitCli(bare, 'rev-parse', 'main')).toBe(tip)
    expect(await pushBranch(c.repo, remote(), 'main', await commitOn(c, tip, 'a.txt'))).toEqual({ ok: true })
  })

  it('wrong or missing credentials → REMOTE_AUTH_FAILED without the token in the message', async () => {
    server.createBareRepo('project', { from: makeRepo() })
    for (const token of ['bad-token', undefined]) {
      const opts = remote({ token })
      const c = await cache(opts)
      try {
        await fetchBranch(c.repo, opts, 'main', 1)
        throw new Error('fetched')
      } catch (err) {
        expect(err).toBeInstanceOf(KittyError)
        expect((err as KittyError).code).toBe('REMOTE_AUTH_FAILED')
        expect((err as KittyError).message).not.toContain('bad-token')
      }
    }
  })

  it('server down, dropped connection, or too slow → REMOTE_UNREACHABLE within the deadline', async () => {
    const bare = server.createBareRepo('project', { from: makeRepo() })
    const c = await cache(remote())
    const tip = (await fetchBranch(c.repo, remote(), 'main', 1)).tip!
    server.faults.dropNextRequest('receive-pack', 'mid-body')
    expect(await codeOf(pushBranch(c.repo, remote(), 'main', await commitOn(c, tip, 'a.txt')))).toBe(
      'REMOTE_UNREACHABLE',
    )
    expect(await gitCli(bare, 'rev-parse', 'main')).toBe(tip)
    server.faults.dropNextRequest('upload-pack', 'before-headers')
    expect(await codeOf(fetchBranch(c.repo, remote(), 'main', 1))).toBe('REMOTE_UNREACHABLE')
    // Held for longer than the test may run: only the 500 ms deadline can end this fetch (no clock read).
    server.faults.slow(3_600_000)
    expect(await codeOf(fetchBranch(c.repo, remote({ timeoutMs: 500 }), 'main', 1))).toBe('REMOTE_UNREACHABLE')
    server.faults.reset()
    // The cache is still usable after every fault.
    expect((await fetchBranch(c.repo, remote(), 'main', 1)).tip).toBe(tip)
    expect(await pushBranch(c.repo, remote(), 'main', await commitOn(c, tip, 'a.txt'))).toEqual({ ok: true })
    await gitCli(bare, 'fsck', '--strict')
    const down = remote({ url: 'http://127.0.0.1:9/nothing.git' })
    expect(await codeOf(fetchBranch((await cache(down)).repo, down, 'main', 1))).toBe('REMOTE_UNREACHABLE')
  })

  it('redacts credentials in URLs', () => {
    expect(redactUrl('https://user:secret@github.com/o/r.git')).toBe('https://***@github.com/o/r.git')
  })

  it('redacts userinfo as a whole, a raw @ in the password included', () => {
    expect(redactUrl('http://user:p@ssLEAKME@127.0.0.1:8080/x.git')).toBe('http://***@127.0.0.1:8080/x.git')
    expect(redactUrl('https://a@b:c@d@github.com/o/r.git?x=1')).toBe('https://***@github.com/o/r.git?x=1')
    expect(redactUrl('https://github.com/o/r.git')).toBe('https://github.com/o/r.git')
    // Not a URL the parser accepts: still nothing of the userinfo.
    expect(redactUrl('http://user:p@ssLEAKME@127.0.0.1:99999/x.git')).not.toContain('LEAKME')
    expect(redactUrl('http://us er:pa ss@@host:x/y')).not.toMatch(/pa ss|us er/)
  })

  it('a raw @ in the password authenticates, and nothing of the userinfo is written to the cache', async () => {
    server.setAuth({ username: 'user', password: 'p@ssLEAKME' })
    const bare = server.createBareRepo('project', { from: makeRepo() })
    const url = server.repoUrl('project').replace('//', '//user:p@ssLEAKME@')
    const opts = remote({ url, token: undefined })
    const c = await cache(opts)
    const tip = (await fetchBranch(c.repo, opts, 'main', 1)).tip!
    expect(await pushBranch(c.repo, opts, 'main', await commitOn(c, tip, 'a.txt'))).toEqual({ ok: true })
    expect(await gitCli(bare, 'rev-parse', 'main')).not.toBe(tip)
    const config = readFileSync(join(c.repo.gitdir, 'config'), 'utf8')
    expect(config).toMatch(new RegExp(`\\burl = ${server.repoUrl('project').replace(/[.]/g, '\\.')}$`, 'm'))
    for (const file of filesUnder(c.repo.gitdir))
      expect(readFileSync(file, 'latin1'), file).not.toMatch(/LEAKME|user:|\*\*\*@/)
  })

  it('URLs differing only in credentials share one cache, under a key that does not change', () => {
    const env = { KITTY_CACHE_DIR: '/caches' }
    const plain = 'https://github.com/acme/shop.git'
    const dir = remoteCacheDir(plain, env)
    // The key of a credential-free URL is what it always was, so existing caches are found again.
    expect(dir).toBe(join('/caches', `${createHash('sha256').update(plain).digest('hex').slice(0, 24)}.git`))
    for (const url of [
      'https://x-access-token:t1@github.com/acme/shop.git',
      'https://u:p@ss@github.com/acme/shop.git',
      'https://other@github.com/acme/shop.git',
    ]) {
      expect(remoteCacheDir(url, env), url).toBe(dir)
    }
  })
})
