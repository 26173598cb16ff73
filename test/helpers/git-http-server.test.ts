import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { gzipSync } from 'node:zlib'
import git from 'isomorphic-git'
import http from 'isomorphic-git/http/node'
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  type GitHttpServer,
  type GitHttpServerOptions,
  makeTestCertificate,
  startGitHttpServer,
} from './git-http-server.ts'
import { cleanupTempDirs, git as gitSync, makeRepo, tempDir } from './git-repo.ts'
import { until } from './until.ts'

const execFileAsync = promisify(execFile)
const AUTHOR = { name: 'Test Author', email: 'author@example.com' }
const CREDS = { username: 'kitty', password: 's3cret' }

const servers: GitHttpServer[] = []

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()))
  cleanupTempDirs()
})

async function start(options?: GitHttpServerOptions): Promise<GitHttpServer> {
  const server = await startGitHttpServer(options)
  servers.push(server)
  return server
}

/** Network git commands must not block the event loop: the server runs in this process. */
async function gitNet(cwd: string, ...args: string[]): Promise<string> {
  const env = {
    ...process.env,
    GIT_AUTHOR_NAME: AUTHOR.name,
    GIT_AUTHOR_EMAIL: AUTHOR.email,
    GIT_COMMITTER_NAME: AUTHOR.name,
    GIT_COMMITTER_EMAIL: AUTHOR.email,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_TERMINAL_PROMPT: '0',
    HOME: tmpdir(),
  }
  const { stdout } = await execFileAsync('git', args, { cwd, env })
  return stdout.trimEnd()
}

/** A served repository seeded with `commits` commits on main. */
async function servedRepo(
  server: GitHttpServer,
  name = 'project',
  commits = 1,
): Promise<{ bare: string; url: string; seed: string }> {
  const seed = makeRepo([])
  for (let i = 1; i < commits; i++) cliCommit(seed, `file${i}.txt`, `content ${i}\n`)
  return { bare: server.createBareRepo(name, { from: seed }), url: server.repoUrl(name), seed }
}

function cliCommit(dir: string, file: string, content: string): string {
  fs.writeFileSync(join(dir, file), content)
  gitSync(dir, 'add', file)
  gitSync(
    dir,
    '-c',
    `user.name=${AUTHOR.name}`,
    '-c',
    `user.email=${AUTHOR.email}`,
    'commit',
    '-q',
    '-m',
    `add ${file}`,
  )
  return gitSync(dir, 'rev-parse', 'HEAD')
}

async function isoCommit(dir: string, file: string, content: string): Promise<string> {
  fs.writeFileSync(join(dir, file), content)
  await git.add({ fs, dir, filepath: file })
  return git.commit({ fs, dir, message: `add ${file}`, author: AUTHOR })
}

async function isoClone(url: string, opts: { depth?: number; auth?: typeof CREDS } = {}): Promise<string> {
  const dir = tempDir('kitty-iso-')
  const onAuth = opts.auth ? () => opts.auth : undefined
  await git.clone({
    fs,
    http,
    dir,
    url,
    ref: 'main',
    singleBranch: true,
    ...(opts.depth ? { depth: opts.depth } : {}),
    ...(onAuth ? { onAuth } : {}),
  })
  return dir
}

function isoPush(dir: string, auth?: typeof CREDS) {
  return git.push({ fs, http, dir, remote: 'origin', ref: 'main', ...(auth ? { onAuth: () => auth } : {}) })
}

function headOf(bare: string): string {
  return gitSync(bare, 'rev-parse', 'refs/heads/main')
}

function fsckClean(bare: string): void {
  // execFileSync throws on a non-zero exit, which is what fails the test.
  gitSync(bare, 'fsck', '--strict', '--no-progress')
}

/** The error a promise rejects with (fails the test if it resolves). */
async function failure(promise: Promise<unknown>): Promise<Error & { code?: string; data?: Record<string, unknown> }> {
  try {
    await promise
  } catch (err) {
    return err as Error & { code?: string; data?: Record<string, unknown> }
  }
  throw new Error('expected the operation to fail')
}

describe('git CLI against the server', () => {
  it('clones, pushes, and another clone fetches the commit', async () => {
    const server = await start()
    const { bare, url } = await servedRepo(server)
    const work = tempDir()
    await gitNet(work, 'clone', '-q', url, 'a')
    await gitNet(work, 'clone', '-q', url, 'b')
    const pushed = cliCommit(join(work, 'a'), 'new.txt', 'hello\n')
    await gitNet(join(work, 'a'), 'push', '-q', 'origin', 'main')
    await gitNet(join(work, 'b'), 'fetch', '-q', 'origin')
    expect(gitSync(join(work, 'b'), 'rev-parse', 'origin/main')).toBe(pushed)
    expect(headOf(bare)).toBe(pushed)
    fsckClean(bare)
    expect(server.requests).toContainEqual({
      method: 'POST',
      path: '/project.git/git-receive-pack',
      service: 'receive-pack',
      status: 200,
    })
  })

  it('accepts a large chunked push', async () => {
    const server = await start()
    const { bare, url } = await servedRepo(server)
    const work = tempDir()
    await gitNet(work, 'clone', '-q', url, 'a')
    // Incompressible and above http.postBuffer (1 MiB): git streams the pack with chunked encoding and no length.
    const blob = randomBytes(3 * 1024 * 1024).toString('base64')
    const pushed = cliCommit(join(work, 'a'), 'big.txt', blob)
    await gitNet(join(work, 'a'), 'push', '-q', 'origin', 'main')
    expect(headOf(bare)).toBe(pushed)
    fsckClean(bare)
  })

  it('serves a gzip-encoded upload-pack request', async () => {
    const server = await start()
    const { bare, url } = await servedRepo(server)
    const want = headOf(bare)
    const body = gzipSync(`0032want ${want}\n00000009done\n`)
    const { status, text } = await post(`${url}/git-upload-pack`, body, {
      'Content-Type': 'application/x-git-upload-pack-request',
      'Content-Encoding': 'gzip',
    })
    expect(status).toBe(200)
    expect(text.startsWith('0008NAK\n')).toBe(true)
    expect(text).toContain('PACK')
  })
})

function post(url: string, body: Buffer, headers: Record<string, string>): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', headers: { ...headers, 'Content-Length': String(body.length) } },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('latin1') }))
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    req.end(body)
  })
}

describe('isomorphic-git against the server', () => {
  it('clones, commits, pushes and fetches', async () => {
    const server = await start()
    const { bare, url } = await servedRepo(server, 'project', 3)
    const a = await isoClone(url)
    const b = await isoClone(url)
    const pushed = await isoCommit(a, 'iso.txt', 'from isomorphic-git\n')
    const result = await isoPush(a)
    expect(result.ok).toBe(true)
    expect(headOf(bare)).toBe(pushed)
    const fetched = await git.fetch({ fs, http, dir: b, remote: 'origin', ref: 'main', singleBranch: true })
    expect(fetched.fetchHead).toBe(pushed)
    fsckClean(bare)
  })

  it('pushes from a shallow (depth 1) clone', async () => {
    const server = await start()
    const { bare, url } = await servedRepo(server, 'project', 4)
    const dir = await isoClone(url, { depth: 1 })
    expect(fs.readFileSync(join(dir, '.git', 'shallow'), 'utf8').trim()).toBe(headOf(bare))
    // Build the commit by hand: the shallow history must not matter to the push.
    const parent = await git.resolveRef({ fs, dir, ref: 'main' })
    const { tree } = await git.readCommit({ fs, dir, oid: parent }).then((c) => c.commit)
    const blob = await git.writeBlob({ fs, dir, blob: new TextEncoder().encode('shallow\n') })
    const entries = (await git.readTree({ fs, dir, oid: tree })).tree
    const newTree = await git.writeTree({
      fs,
      dir,
      tree: [...entries, { mode: '100644', path: 'shallow.txt', oid: blob, type: 'blob' }],
    })
    const when = { timestamp: 1_767_225_600, timezoneOffset: 0 }
    const commit = await git.writeCommit({
      fs,
      dir,
      commit: {
        message: 'from a shallow clone\n',
        tree: newTree,
        parent: [parent],
        author: { ...AUTHOR, ...when },
        committer: { ...AUTHOR, ...when },
      },
    })
    await git.writeRef({ fs, dir, ref: 'refs/heads/main', value: commit, force: true })
    await isoPush(dir)
    expect(headOf(bare)).toBe(commit)
    fsckClean(bare)
  })
})

describe('basic auth', () => {
  it('answers 401 to a wrong password, even after onAuthFailure', async () => {
    const server = await start({ auth: CREDS })
    const { url } = await servedRepo(server)
    const onAuthFailure = vi.fn(() => undefined)
    const err = await failure(
      git.getRemoteInfo({ http, url, onAuth: () => ({ username: CREDS.username, password: 'wrong' }), onAuthFailure }),
    )
    expect(err).toBeInstanceOf(git.Errors.HttpError)
    expect(err.data?.statusCode).toBe(401)
    expect(onAuthFailure).toHaveBeenCalledTimes(1)
    expect(server.requests.map((r) => r.status)).toEqual([401, 401])
  })

  it('answers 401 without credentials', async () => {
    const server = await start({ auth: CREDS })
    const { url } = await servedRepo(server)
    const err = await failure(git.getRemoteInfo({ http, url }))
    expect(err.code).toBe('HttpError')
    expect(err.data?.statusCode).toBe(401)
  })

  it('lets isomorphic-git clone and push with the right password', async () => {
    const server = await start({ auth: CREDS })
    const { bare, url } = await servedRepo(server)
    const dir = await isoClone(url, { auth: CREDS })
    const pushed = await isoCommit(dir, 'auth.txt', 'authenticated\n')
    await isoPush(dir, CREDS)
    expect(headOf(bare)).toBe(pushed)
  })

  it('lets the git CLI clone and push with credentials in the URL, and rejects wrong ones', async () => {
    const server = await start({ auth: CREDS })
    const { bare, url } = await servedRepo(server)
    const withCreds = url.replace('http://', `http://${CREDS.username}:${CREDS.password}@`)
    const work = tempDir()
    await gitNet(work, 'clone', '-q', withCreds, 'a')
    const pushed = cliCommit(join(work, 'a'), 'cli.txt', 'cli\n')
    await gitNet(join(work, 'a'), 'push', '-q', 'origin', 'main')
    expect(headOf(bare)).toBe(pushed)
    const err = await failure(gitNet(work, 'clone', '-q', url.replace('http://', 'http://kitty:nope@'), 'b'))
    expect(String((err as { stderr?: string }).stderr)).toMatch(/Authentication failed/)
  })
})

describe('fault: refuseNextPush', () => {
  it('rejects the next push with a pre-receive decline, then accepts the following one', async () => {
    const server = await start()
    const { bare, url } = await servedRepo(server)
    const before = headOf(bare)
    const dir = await isoClone(url)
    const commit = await isoCommit(dir, 'refused.txt', 'x\n')
    server.faults.refuseNextPush()
    const err = await failure(isoPush(dir))
    expect(err).toBeInstanceOf(git.Errors.GitPushError)
    const result = err.data?.result as { refs: Record<string, { ok: boolean; error?: string }> }
    expect(result.refs['refs/heads/main']).toEqual({ ok: false, error: 'pre-receive hook declined' })
    expect(headOf(bare)).toBe(before)
    fsckClean(bare)
    await isoPush(dir)
    expect(headOf(bare)).toBe(commit)
    expect(server.requests.filter((r) => r.fault === 'refused')).toHaveLength(1)
  })

  it('is seen by the git CLI as a remote rejection', async () => {
    const server = await start()
    const { url } = await servedRepo(server)
    const work = tempDir()
    await gitNet(work, 'clone', '-q', url, 'a')
    cliCommit(join(work, 'a'), 'refused.txt', 'x\n')
    server.faults.refuseNextPush()
    const err = await failure(gitNet(join(work, 'a'), 'push', 'origin', 'main'))
    const stderr = String((err as { stderr?: string }).stderr)
    expect(stderr).toContain('pre-receive hook declined')
    expect(stderr).toContain('push refused (fault injection)')
  })
})

describe('racing pushes', () => {
  it('rejects the second of two pushes to the same branch as not-fast-forward', async () => {
    const server = await start()
    const { bare, url } = await servedRepo(server)
    const a = await isoClone(url)
    const b = await isoClone(url)
    const first = await isoCommit(a, 'a.txt', 'a\n')
    await isoCommit(b, 'b.txt', 'b\n')
    await isoPush(a)
    const err = await failure(isoPush(b))
    expect(err).toBeInstanceOf(git.Errors.PushRejectedError)
    expect(err.data?.reason).toBe('not-fast-forward')
    expect(headOf(bare)).toBe(first)
  })

  it('lets exactly one of two concurrent pushes win', async () => {
    const server = await start()
    const { bare, url } = await servedRepo(server)
    const a = await isoClone(url)
    const b = await isoClone(url)
    const commits = [await isoCommit(a, 'a.txt', 'a\n'), await isoCommit(b, 'b.txt', 'b\n')]
    const results = await Promise.allSettled([isoPush(a), isoPush(b)])
    const winners = results.flatMap((r, i) => (r.status === 'fulfilled' ? [commits[i]] : []))
    expect(winners).toHaveLength(1)
    expect(headOf(bare)).toBe(winners[0])
    // Who loses depends on timing: refused by the client (it saw the new ref) or by the server (ref moved under it).
    const loser = results.find((r) => r.status === 'rejected')
    expect(['PushRejectedError', 'GitPushError']).toContain((loser?.reason as { code?: string }).code)
    fsckClean(bare)
  })
})

describe('fault: dropNextRequest', () => {
  it('cuts a fetch mid-pack; the next fetch works', async () => {
    const server = await start()
    const { bare, url } = await servedRepo(server, 'project', 3)
    server.faults.dropNextRequest('upload-pack')
    const err = await failure(isoClone(url))
    expect(err).toMatchObject({ code: 'ECONNRESET', message: 'aborted' })
    expect(server.requests.at(-1)).toMatchObject({
      method: 'POST',
      service: 'upload-pack',
      status: 200,
      fault: 'dropped',
    })
    const dir = await isoClone(url)
    expect(await git.resolveRef({ fs, dir, ref: 'main' })).toBe(headOf(bare))
  })

  it('cuts a push mid-response before git sees it; the ref is unchanged and the next push works', async () => {
    const server = await start()
    const { bare, url } = await servedRepo(server)
    const before = headOf(bare)
    const dir = await isoClone(url)
    const commit = await isoCommit(dir, 'dropped.txt', 'x\n')
    server.faults.dropNextRequest('receive-pack')
    const err = await failure(isoPush(dir))
    // isomorphic-git swallows the read error of a truncated receive-pack result and fails parsing it.
    expect(err).toBeInstanceOf(git.Errors.ParseError)
    expect(err.message).toContain('unpack ok')
    expect(headOf(bare)).toBe(before)
    fsckClean(bare)
    await isoPush(dir)
    expect(headOf(bare)).toBe(commit)
  })

  it('drops a push before the headers; the client sees a reset connection', async () => {
    const server = await start()
    const { bare, url } = await servedRepo(server)
    const before = headOf(bare)
    const dir = await isoClone(url)
    const commit = await isoCommit(dir, 'dropped.txt', 'x\n')
    server.faults.dropNextRequest('receive-pack', 'before-headers')
    const err = await failure(isoPush(dir))
    expect(err).toMatchObject({ code: 'ECONNRESET', message: 'socket hang up' })
    expect(headOf(bare)).toBe(before)
    fsckClean(bare)
    await isoPush(dir)
    expect(headOf(bare)).toBe(commit)
  })

  it('drops any request before the headers when asked', async () => {
    const server = await start()
    const { url } = await servedRepo(server)
    server.faults.dropNextRequest('any', 'before-headers')
    const err = await failure(git.getRemoteInfo({ http, url }))
    expect(err.code).toBe('ECONNRESET')
    expect(server.requests).toEqual([
      { method: 'GET', path: '/project.git/info/refs', service: 'upload-pack', status: 0, fault: 'dropped' },
    ])
    const info = await git.getRemoteInfo({ http, url })
    expect(info.refs?.heads?.main).toBeDefined()
  })

  it('with auth, spares the 401 challenge and drops the authenticated request', async () => {
    const server = await start({ auth: CREDS })
    const { url } = await servedRepo(server)
    server.faults.dropNextRequest('any', 'before-headers')
    const err = await failure(git.getRemoteInfo({ http, url, onAuth: () => CREDS }))
    expect(err.code).toBe('ECONNRESET')
    expect(server.requests.map((r) => [r.status, r.fault])).toEqual([
      [401, undefined],
      [0, 'dropped'],
    ])
  })

  it('makes the git CLI fail a clone and a push', async () => {
    const server = await start()
    const { bare, url } = await servedRepo(server)
    const before = headOf(bare)
    const work = tempDir()
    server.faults.dropNextRequest('upload-pack')
    await expect(gitNet(work, 'clone', '-q', url, 'a')).rejects.toThrow(/RPC failed|early EOF|unexpected disconnect/)
    await gitNet(work, 'clone', '-q', url, 'b')
    cliCommit(join(work, 'b'), 'dropped.txt', 'x\n')
    server.faults.dropNextRequest('receive-pack')
    await expect(gitNet(join(work, 'b'), 'push', '-q', 'origin', 'main')).rejects.toThrow()
    expect(headOf(bare)).toBe(before)
    fsckClean(bare)
  })
})

describe('fault: slow', () => {
  it('delays responses until slow(0)', async () => {
    const server = await start()
    const { url } = await servedRepo(server)
    // A lower bound only (a timer never fires early), so no scheduler can make it fail.
    server.faults.slow(400)
    const t0 = performance.now()
    await git.getRemoteInfo({ http, url })
    expect(performance.now() - t0).toBeGreaterThanOrEqual(399)
    server.faults.slow(0)
    await git.getRemoteInfo({ http, url })
    expect(server.requests).toHaveLength(2)
  })
})

describe('fault: redirect', () => {
  it('sends the request to another server, path and query kept, the given number of times', async () => {
    const [a, b] = [await start(), await start()]
    const { bare, url } = await servedRepo(b)
    a.faults.redirect(b.url, { times: 1, status: 301 })
    // The git CLI follows a redirected ref discovery and uses the new base from then on.
    const work = tempDir()
    await gitNet(work, 'clone', '-q', url.replace(b.url, a.url), 'c')
    expect(gitSync(join(work, 'c'), 'rev-parse', 'HEAD')).toBe(headOf(bare))
    expect(a.requests).toEqual([{ method: 'GET', path: '/project.git/info/refs', service: 'upload-pack', status: 301 }])
    expect(b.received[0]).toMatchObject({ method: 'GET', url: '/project.git/info/refs?service=git-upload-pack' })
    // times: 1 — the next request is served by the server itself.
    a.createBareRepo('project', { from: makeRepo([]) })
    await git.getRemoteInfo({ http, url: a.repoUrl('project') })
    expect(a.requests.at(-1)).toMatchObject({ status: 200 })
  })

  it('answers before authentication, keeps redirecting until reset(), and records every request with its headers', async () => {
    const server = await start({ auth: CREDS })
    await servedRepo(server)
    server.faults.redirect(server.url) // a loop
    await expect(gitNet(tmpdir(), 'ls-remote', server.repoUrl('project'))).rejects.toThrow(/redirect/i)
    expect(server.requests.every((r) => r.status === 302)).toBe(true)
    expect(server.received.length).toBeGreaterThan(1)
    server.faults.reset()
    const info = await git.getRemoteInfo({ http, url: server.repoUrl('project'), onAuth: () => CREDS })
    expect(info.refs).toBeDefined()
    expect(server.received.at(-1)!.headers.authorization).toBe(
      `Basic ${Buffer.from('kitty:s3cret').toString('base64')}`,
    )
    // setAuth: other credentials from now on.
    server.setAuth({ username: 'other', password: 'p@ss:wörd' })
    expect(
      (await failure(git.getRemoteInfo({ http, url: server.repoUrl('project'), onAuth: () => CREDS }))).data
        ?.statusCode,
    ).toBe(401)
    await git.getRemoteInfo({
      http,
      url: server.repoUrl('project'),
      onAuth: () => ({ username: 'other', password: 'p@ss:wörd' }),
    })
  })
})

describe('tls', () => {
  it('serves https with a test certificate a spawned node process can be told to trust', async () => {
    const tls = makeTestCertificate()
    const server = await start({ tls })
    const { bare, url } = await servedRepo(server)
    expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/project\.git$/)
    // NODE_EXTRA_CA_CERTS is read at start-up: that is how the CLI tests trust it.
    const script = `fetch(process.argv[1]).then(async (r) => console.log(r.status, await r.text()))`
    const env = { ...process.env, NODE_EXTRA_CA_CERTS: tls.certPath }
    const { stdout } = await execFileAsync(
      process.execPath,
      ['-e', script, `${url}/info/refs?service=git-upload-pack`],
      { env },
    )
    expect(stdout).toMatch(/^200 /)
    expect(stdout).toContain(`${headOf(bare)} refs/heads/main`)
  })
})

describe('close()', () => {
  it('removes the repositories and refuses later connections', async () => {
    const server = await start()
    const { url } = await servedRepo(server)
    await git.getRemoteInfo({ http, url })
    await server.close()
    expect(fs.existsSync(server.root)).toBe(false)
    const err = await failure(git.getRemoteInfo({ http, url }))
    expect(err.code).toBe('ECONNREFUSED')
    await expect(gitNet(tmpdir(), 'ls-remote', url)).rejects.toThrow(
      /Failed to connect|Connection refused|Could not connect/,
    )
    await server.close() // idempotent
  })

  it('does not wait for requests held by slow()', async () => {
    const server = await start()
    const { url } = await servedRepo(server)
    // Held for an hour, longer than the test may run: close() returning at all shows it did not wait.
    server.faults.slow(3_600_000)
    const pending = failure(git.getRemoteInfo({ http, url }))
    await new Promise((resolve) => setTimeout(resolve, 200))
    await server.close()
    expect((await pending).code).toMatch(/^ECONN(RESET|REFUSED)$/)
  })

  it('leaves no receive-pack behind a client that went away mid-push, and does not wait for one', async () => {
    const server = await start()
    await servedRepo(server)
    // Chunked, as isomorphic-git sends a push: git http-backend then hands its own stdin to the
    // receive-pack it starts, which outlives a killed backend unless the whole process group goes.
    const req = request(`${server.url}/project.git/git-receive-pack`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-git-receive-pack-request' },
    })
    req.on('error', () => {})
    req.write('0000'.slice(0, 2))
    const receivePacks = () => processesOf(server.root, 'receive-pack')
    await until('receive-pack started', () => receivePacks().length > 0, 10_000)
    req.destroy()
    await until('receive-pack gone after the client left', () => receivePacks().length === 0, 10_000)
    await server.close()
  })
})

/** Live processes started for the server at `root` (its GIT_PROJECT_ROOT) whose command line has `word`. */
function processesOf(root: string, word: string): number[] {
  const found: number[] = []
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      const environ = fs.readFileSync(`/proc/${pid}/environ`, 'utf8')
      const state = /^State:\s+(\S)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]
      if (state !== 'Z' && cmdline.includes(word) && environ.includes(`GIT_PROJECT_ROOT=${join(root, 'repos')}\0`))
        found.push(Number(pid))
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  return found
}
