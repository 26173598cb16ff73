import { execFileSync } from 'node:child_process'
import { chmodSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { fetchBranch } from '../../../src/store/remote/remote.ts'
import type { GitHttpServer } from '../../helpers/git-http-server.ts'
import { GIT_BINARY as REAL_GIT } from '../../helpers/git-http-server.ts'
import { cleanupTempDirs, git, makeRepo, tempDir } from '../../helpers/git-repo.ts'
import { remoteFixtures } from '../../helpers/remote-fixtures.ts'

/**
 * A cold cache is filled by the git binary (store/remote/clone-natively.ts): the same refs and objects as
 * kitty's own fetch, credentials only in git's environment, no redirect followed, and the usual fetch
 * whenever git cannot give a sure answer.
 */

const TOKEN = 'native-token-SECRET'
const BASIC = Buffer.from(`x-access-token:${TOKEN}`).toString('base64')
const remotes = remoteFixtures()
const savedPath = process.env['PATH']

afterEach(async () => {
  process.env['PATH'] = savedPath
  await remotes.close()
  cleanupTempDirs()
})

async function start(auth = true): Promise<GitHttpServer> {
  return remotes.start(auth ? { auth: { username: 'x-access-token', password: TOKEN } } : {})
}

const cache = remotes.cache

/** A `git` first on PATH that records its arguments and environment, then runs the real one. */
function spyOnGit(): { calls: () => Array<{ argv: string[]; env: Record<string, string> }> } {
  const dir = tempDir('kitty-git-spy-')
  const log = join(dir, 'calls.jsonl')
  const script = `#!/bin/sh\nnode -e 'process.stdout.write(JSON.stringify({ argv: process.argv.slice(1), env: process.env }) + "\\n")' -- "$@" >> '${log}'\nexec '${REAL_GIT}' "$@"\n`
  writeFileSync(join(dir, 'git'), script)
  chmodSync(join(dir, 'git'), 0o755)
  process.env['PATH'] = `${dir}:${savedPath}`
  // Only the client's calls: the test server in this process runs `git http-backend` by its full path.
  const all = (): Array<{ argv: string[]; env: Record<string, string> }> =>
    existsSync(log)
      ? readFileSync(log, 'utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l))
      : []
  return { calls: () => all().filter((c) => c.argv[0] === 'clone' || c.argv[0] === 'fetch') }
}

const gitIn = (gitdir: string, ...args: string[]) =>
  execFileSync(REAL_GIT, ['--git-dir', gitdir, ...args], { encoding: 'utf8' }).trim()

describe('a cold cache filled by the git binary', () => {
  it("gets the branch, its shallow history and the refs kitty keeps, with the token only in git's environment", async () => {
    const seed = makeRepo()
    for (let i = 0; i < 5; i++) git(seed, 'commit', '-q', '--allow-empty', '-m', `c${i}`)
    const server = await start()
    server.createBareRepo('project', { from: seed })
    const spy = spyOnGit()
    const opts = { url: server.repoUrl('project'), token: TOKEN, timeoutMs: 20_000 }
    const c = await cache(opts)

    const fetched = await fetchBranch(c.repo, opts, null, 3)
    expect(fetched).toEqual({ branch: 'main', tip: git(seed, 'rev-parse', 'main') })

    const [call, ...more] = spy.calls()
    expect(more).toEqual([])
    expect(call!.argv.slice(0, 2)).toEqual(['clone', '--bare'])
    expect(call!.argv).toContain('--depth=3')
    expect(JSON.stringify(call!.argv)).not.toMatch(new RegExp(`${TOKEN}|${BASIC}`))
    // The header is the one place the credential is; nothing from the caller's environment leaks in.
    const values = Object.entries(call!.env)
      .filter(([, v]) => v.includes(BASIC) || v.includes(TOKEN))
      .map(([k]) => k)
    expect(values).toHaveLength(1)
    expect(values[0]).toMatch(/^GIT_CONFIG_VALUE_\d+$/)
    expect(call!.env['GIT_CONFIG_GLOBAL']).toBe('/dev/null')
    expect(Object.values(call!.env)).toContain('http.followRedirects')

    // What kitty's own fetch would have left: branch, remote-tracking ref, HEAD, a shallow boundary.
    expect(gitIn(c.repo.gitdir, 'rev-parse', 'refs/heads/main', 'refs/remotes/origin/main')).toBe(
      `${fetched.tip}\n${fetched.tip}`,
    )
    expect(gitIn(c.repo.gitdir, 'symbolic-ref', 'HEAD')).toBe('refs/heads/main')
    expect(gitIn(c.repo.gitdir, 'rev-list', '--count', 'main')).toBe('3')
    expect(readFileSync(join(c.repo.gitdir, 'shallow'), 'utf8').trim().split('\n')).toHaveLength(1)
    gitIn(c.repo.gitdir, 'fsck', '--no-progress')
    // No clone folder left behind, and no credential anywhere in the cache.
    expect(readdirSync(c.repo.gitdir).filter((n) => n.includes('clone'))).toEqual([])
    expect(filesMentioning(c.repo.gitdir, [TOKEN, BASIC])).toEqual([])
  })

  it("a later fetch into that cache is kitty's own, incremental, and the cache stays sound", async () => {
    const seed = makeRepo()
    const server = await start()
    const bare = server.createBareRepo('project', { from: seed })
    const spy = spyOnGit()
    const opts = { url: server.repoUrl('project'), token: TOKEN, timeoutMs: 20_000 }
    const c = await cache(opts)
    await fetchBranch(c.repo, opts, 'main', 50)
    git(seed, 'commit', '-q', '--allow-empty', '-m', 'later')
    git(seed, 'push', '-q', bare, 'main')
    const again = await fetchBranch(c.repo, opts, 'main', 50)
    expect(again.tip).toBe(git(seed, 'rev-parse', 'main'))
    expect(spy.calls()).toHaveLength(1)
    gitIn(c.repo.gitdir, 'fsck', '--no-progress')
  })

  it("a redirect is not followed by git: kitty's fetch takes over, and the other origin gets no credential", async () => {
    const seed = makeRepo()
    const named = await start()
    const other = await start(false) // a public mirror of the same repository
    named.createBareRepo('project', { from: seed })
    other.createBareRepo('project', { from: seed })
    named.faults.redirect(other.url)
    const spy = spyOnGit()
    const opts = { url: named.repoUrl('project'), token: TOKEN, timeoutMs: 20_000 }
    const c = await cache(opts)
    expect((await fetchBranch(c.repo, opts, 'main', 5)).tip).toBe(git(seed, 'rev-parse', 'main'))
    expect(spy.calls()).toHaveLength(1)
    expect(other.received.length).toBeGreaterThan(0)
    expect(other.received.filter((r) => r.headers['authorization'] !== undefined)).toEqual([])
    expect(readdirSync(c.repo.gitdir).filter((n) => n.includes('clone'))).toEqual([])
  })

  it("a branch the remote lacks, an empty remote, no git on PATH: the same answers as kitty's own fetch", async () => {
    const seed = makeRepo()
    const server = await start()
    server.createBareRepo('project', { from: seed })
    server.createBareRepo('empty')
    const outcomes = async (url: string, branch: string | null) => {
      const answers: unknown[] = []
      for (const native of ['1', '0']) {
        process.env['KITTY_NATIVE_GIT'] = native
        const opts = { url, token: TOKEN, timeoutMs: 20_000 }
        const c = await cache(opts)
        answers.push(
          await fetchBranch(c.repo, opts, branch, 5).catch((err: { code?: string }) => ({ error: err.code })),
        )
        expect(readdirSync(c.repo.gitdir).filter((n) => n.includes('clone'))).toEqual([])
      }
      delete process.env['KITTY_NATIVE_GIT']
      return answers
    }
    const [nativeMissing, ownMissing] = await outcomes(server.repoUrl('project'), 'no-such-branch')
    expect(nativeMissing).toEqual({ branch: 'no-such-branch', tip: null })
    expect(nativeMissing).toEqual(ownMissing)
    const [nativeEmpty, ownEmpty] = await outcomes(server.repoUrl('empty'), null)
    expect(nativeEmpty).toEqual(ownEmpty)

    const tip = git(seed, 'rev-parse', 'main')
    process.env['PATH'] = tempDir('kitty-no-git-')
    const opts = { url: server.repoUrl('project'), token: TOKEN, timeoutMs: 20_000 }
    expect((await fetchBranch((await cache(opts)).repo, opts, 'main', 5)).tip).toBe(tip)
  })
})

/** Files under `dir` whose bytes contain any of `needles`. */
function filesMentioning(dir: string, needles: string[]): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .filter((file) => needles.some((n) => readFileSync(file).includes(n)))
}
