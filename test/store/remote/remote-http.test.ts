import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import git from 'isomorphic-git'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { KittyError } from '../../../src/core/errors.ts'
import type { RemoteCache } from '../../../src/store/remote/remote.ts'
import { fetchBranch, pushCommit } from '../../../src/store/remote/remote.ts'
import { Snapshot } from '../../../src/store/objects/snapshot.ts'
import { writeChangedTree } from '../../../src/store/objects/write-tree.ts'
import type { GitHttpServer, ReceivedRequest } from '../../helpers/git-http-server.ts'
import { cleanupTempDirs, makeRepo } from '../../helpers/git-repo.ts'
import { remoteFixtures } from '../../helpers/remote-fixtures.ts'

/**
 * Redirects (item 1 of issue 9): credentials go only to the origin the user named, as git and
 * browsers do; only the ref discovery follows a redirect, and later requests use the base it led to.
 */

const run = promisify(execFile)
const gitCli = async (cwd: string, ...args: string[]) => (await run('git', args, { cwd })).stdout.trim()

const TOKEN = 'redirect-token-SECRET'
// These tests are about kitty's own HTTP client. A cold cache would otherwise be filled by the git
// binary first (store/remote/clone-natively.ts), which follows no redirect at all and has its own tests.
beforeAll(() => void (process.env['KITTY_NATIVE_GIT'] = '0'))
afterAll(() => void delete process.env['KITTY_NATIVE_GIT'])
const remotes = remoteFixtures()
afterEach(async () => {
  await remotes.close()
  cleanupTempDirs()
})

async function start(auth?: { username: string; password: string }): Promise<GitHttpServer> {
  return remotes.start(auth ? { auth } : {})
}

const cache = remotes.cache

async function commitOn(c: RemoteCache, parent: string, name: string): Promise<string> {
  const tree = await writeChangedTree(
    await Snapshot.at(c.repo, parent),
    new Map([[name, new TextEncoder().encode(`${name}\n`)]]),
  )
  const who = { name: 't', email: 't@e', timestamp: 1_700_000_000, timezoneOffset: 0 }
  return git.writeCommit({
    fs: c.repo.fs,
    gitdir: c.repo.gitdir,
    commit: { message: name, tree, parent: [parent], author: who, committer: who },
  })
}

const CREDENTIAL_HEADERS = ['authorization', 'proxy-authorization', 'cookie']
const credentialHeaders = (received: ReceivedRequest[]) =>
  received.flatMap((r) => CREDENTIAL_HEADERS.filter((h) => r.headers[h] !== undefined))

async function failure(p: Promise<unknown>): Promise<KittyError> {
  try {
    await p
  } catch (err) {
    if (err instanceof KittyError) return err
    throw err
  }
  throw new Error('expected a failure')
}

describe('redirects', () => {
  it('another origin never gets the token, nor credentials from the URL', async () => {
    const seed = makeRepo()
    const named = await start({ username: 'x-access-token', password: TOKEN })
    const other = await start() // a public mirror: serves without credentials
    named.createBareRepo('project', { from: seed })
    other.createBareRepo('project', { from: seed })
    named.faults.redirect(other.url)
    const c = await cache({ url: named.repoUrl('project'), token: TOKEN, timeoutMs: 10_000 })
    const fetched = await fetchBranch(
      c.repo,
      { url: named.repoUrl('project'), token: TOKEN, timeoutMs: 10_000 },
      'main',
      1,
    )
    expect(fetched.tip).toBe(await gitCli(seed, 'rev-parse', 'main'))
    const withUserinfo = named.repoUrl('project').replace('//', '//user:PASS-SECRET@')
    await fetchBranch(c.repo, { url: withUserinfo, timeoutMs: 10_000 }, 'main', 1)
    expect(other.received.length).toBeGreaterThan(0)
    expect(credentialHeaders(other.received)).toEqual([])
    expect(JSON.stringify(other.received)).not.toMatch(/SECRET|eC1hY2Nlc3MtdG9rZW|dXNlcjpQQVNT/)
  })

  it('a redirect within the origin keeps the credentials', async () => {
    const seed = makeRepo()
    const server = await start({ username: 'x-access-token', password: TOKEN })
    server.createBareRepo('moved/project', { from: seed })
    server.faults.redirect(`${server.url}/moved`, { times: 1 })
    const opts = { url: server.repoUrl('project'), token: TOKEN, timeoutMs: 10_000 }
    expect((await fetchBranch((await cache(opts)).repo, opts, 'main', 1)).tip).toBe(
      await gitCli(seed, 'rev-parse', 'main'),
    )
  })

  /** A remote the user names, another that holds the same repository, and a commit ready to push. */
  async function twoServersAndACommit() {
    const seed = makeRepo()
    const named = await start()
    const other = await start()
    named.createBareRepo('project', { from: seed })
    const bare = other.createBareRepo('project', { from: seed })
    const opts = { url: named.repoUrl('project'), timeoutMs: 10_000 }
    const c = await cache(opts)
    const tip = (await fetchBranch(c.repo, opts, 'main', 1)).tip!
    const next = await commitOn(c, tip, 'a.txt')
    return { named, other, bare, opts, c, tip, next }
  }

  it('only the ref discovery follows a redirect: the push goes straight to the base it led to', async () => {
    const { named, other, bare, opts, c, tip, next } = await twoServersAndACommit()
    named.faults.redirect(other.url, { times: 1 })
    expect(await pushCommit(c.repo, opts, 'main', next, tip)).toEqual({ ok: true })
    expect(await gitCli(bare, 'rev-parse', 'main')).toBe(next)
    // The named server saw the discovery (redirected) and nothing else: the POST went to the new base.
    expect(named.requests.slice(-1)).toEqual([
      { method: 'GET', path: '/project.git/info/refs', service: 'receive-pack', status: 302 },
    ])
  })

  it('a redirected POST is refused, not followed', async () => {
    const { named, other, bare, opts, c, tip, next } = await twoServersAndACommit()
    named.faults.redirect(other.url, { on: 'rpc' })
    const err = await failure(pushCommit(c.repo, opts, 'main', next, tip))
    expect(err.code).toBe('REMOTE_UNREACHABLE')
    expect(err.message).toMatch(/redirect/i)
    expect(other.received).toEqual([])
    expect(await gitCli(bare, 'rev-parse', 'main')).toBe(tip)
  })

  it('too many hops is a clear REMOTE_UNREACHABLE naming the redirect, never the credential', async () => {
    const server = await start({ username: 'x-access-token', password: TOKEN })
    server.createBareRepo('project', { from: makeRepo() })
    server.faults.redirect(server.url) // a loop
    const url = server.repoUrl('project').replace('//', '//user:LOOP-SECRET@')
    const opts = { url, token: TOKEN, timeoutMs: 10_000 }
    const err = await failure(fetchBranch((await cache(opts)).repo, opts, 'main', 1))
    expect(err.code).toBe('REMOTE_UNREACHABLE')
    expect(err.message).toMatch(/too many redirects/i)
    expect(err.message).toContain(`${server.url}/project.git/info/refs`)
    expect(JSON.stringify({ message: err.message, data: err.data })).not.toMatch(/SECRET|user:/)
    expect(server.requests.length).toBe(6) // the request and 5 redirects followed, then it stops
  })
})
