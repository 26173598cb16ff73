/**
 * A real smart-HTTP git server for tests: `git http-backend` run as a CGI behind a
 * `node:http` server on 127.0.0.1, with switches to inject the failures a remote can
 * produce (rejected pushes, dropped connections, slow responses).
 */
import { type ChildProcessWithoutNullStreams, execFileSync, spawn } from 'node:child_process'
import { timingSafeEqual } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import {
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
  createServer,
  globalAgent,
} from 'node:http'
import { createServer as createTlsServer, globalAgent as tlsGlobalAgent } from 'node:https'
import type { AddressInfo } from 'node:net'
import { setPriority, tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

export type GitService = 'upload-pack' | 'receive-pack'
export type DropTarget = GitService | 'any'
/** Where a dropped request is cut: before any response byte, or after the headers and part of the body. */
export type DropPoint = 'before-headers' | 'mid-body'

export interface GitHttpServerOptions {
  auth?: { username: string; password: string }
  /** Serve HTTPS with this key and certificate (see makeTestCertificate) instead of plain HTTP. */
  tls?: { key: string; cert: string }
  /**
   * Run each `git http-backend` at this nice value: a benchmark of the App uses it so that GitHub's
   * side of a push or fetch, on another machine in production, yields the cores to the App measured.
   */
  niceness?: number
}

/** One request exactly as it arrived, before any routing: what a test checks for leaked credentials. */
export interface ReceivedRequest {
  method: string
  /** Path and query as sent. */
  url: string
  headers: IncomingHttpHeaders
}

export interface RedirectOptions {
  /** 301, 302, 303, 307 or 308; 302 unless told. */
  status?: number
  /** How many requests to redirect before serving normally again; every one until reset() unless told. */
  times?: number
  /** 'rpc': only the pack exchanges (POST), so the ref discovery is served; 'any' unless told. */
  on?: 'any' | 'rpc'
}

export interface RequestRecord {
  method: string
  path: string
  service?: GitService
  /** Status sent to the client; 0 when the connection was cut before any header. */
  status: number
  fault?: 'dropped' | 'refused'
}

export interface GitHttpFaults {
  /** The next push that reaches git is declined by a pre-receive hook; the ref does not move. */
  refuseNextPush(): void
  /**
   * Cut the connection of the next matching request that passes authentication (401s are
   * answered normally). 'any' is the very next such request; a service matches only its pack
   * exchange (the POST), not the ref discovery. A dropped push never reaches git, so the
   * repository is left as it was.
   */
  dropNextRequest(target?: DropTarget, at?: DropPoint): void
  /**
   * Run `action` when the next push arrives, before git sees it: e.g. another writer moving the
   * branch, so the push loses a real compare-and-swap race at a chosen moment.
   */
  beforeNextPush(action: () => Promise<void> | void): void
  /** Delay every response by `ms` (0 turns it off). */
  slow(ms: number): void
  /**
   * Answer requests with a redirect to `base` + the request's own path and query (before
   * authentication, as a hosting service does for a renamed repository). `base` may be this
   * server's own url (a loop) or another server's.
   */
  redirect(base: string, options?: RedirectOptions): void
  reset(): void
}

export interface GitHttpServer {
  url: string
  /** The temp folder holding the bare repositories (removed by close()). */
  root: string
  repoUrl(name: string): string
  createBareRepo(name: string, opts?: { from?: string }): string
  faults: GitHttpFaults
  requests: RequestRecord[]
  /** Every request with its headers, as it arrived (redirected and refused ones included). */
  received: ReceivedRequest[]
  /**
   * Protect `branch` of repository `name` as GitHub does: a real `pre-receive` hook in the bare
   * repository refuses any update of it, printing GitHub's own words for `rule` (GH006 for branch
   * protection, GH013 for a ruleset). Other branches still take pushes.
   */
  protectBranch(name: string, branch: string, rule?: ProtectionRule): void
  /** Change the Basic credentials the server demands (undefined: none) for the requests that follow. */
  setAuth(auth: GitHttpServerOptions['auth']): void
  close(): Promise<void>
}

/** Which of GitHub's refusals protectBranch prints. */
export type ProtectionRule = 'pull-request' | 'ruleset' | 'signed-commits' | 'linear-history'

/** What GitHub prints on a refused push (`remote: ` is added by the client), by rule. */
function protectionLines(rule: ProtectionRule, ref: string, name: string): string[] {
  const gh006 = `error: GH006: Protected branch update failed for ${ref}.`
  switch (rule) {
    case 'pull-request':
      return [gh006, '', '- Changes must be made through a pull request.']
    case 'signed-commits':
      return [gh006, 'error: Commits must have verified signatures.']
    case 'linear-history':
      return [gh006, 'error: This branch must not contain merge commits.']
    case 'ruleset':
      return [
        `error: GH013: Repository rule violations found for ${ref}.`,
        `Review all repository rules at http://github.com/${name}/rules?ref=${encodeURIComponent(ref)}`,
        '',
        '- Changes must be made through a pull request.',
        '',
      ]
  }
}

function protectionHook(rule: ProtectionRule, ref: string, name: string): string {
  const quote = (line: string) => `'${line.replace(/'/g, `'\\''`)}'`
  const print = protectionLines(rule, ref, name)
    .map((line) => `    echo ${quote(line)} >&2`)
    .join('\n')
  return `#!/bin/sh\nwhile read old new ref; do\n  if [ "$ref" = ${quote(ref)} ]; then\n${print}\n    exit 1\n  fi\ndone\nexit 0\n`
}

interface FaultState {
  refusePush: boolean
  beforePush: (() => Promise<void> | void) | undefined
  drop: { target: DropTarget; at: DropPoint } | undefined
  slowMs: number
  redirect: { base: string; status: number; left: number; on: 'any' | 'rpc' } | undefined
}

interface ServerContext {
  reposDir: string
  refuseHooksDir: string
  home: string
  auth: GitHttpServerOptions['auth']
  niceness: number | undefined
  faults: FaultState
  requests: RequestRecord[]
  received: ReceivedRequest[]
  children: Map<ChildProcessWithoutNullStreams, Promise<void>>
  closed: boolean
  /** Cuts short slow() delays so close() does not wait for them. */
  stopping: AbortController
}

/** What the router decided about one request. */
interface Routed {
  url: URL
  record: Omit<RequestRecord, 'status'>
  isRpc: boolean
  user: string | undefined
}

const REPO_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]*(\/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$/

// Declines with a message the client shows as "remote: …"; a real hook, so git reports a genuine rejection.
const REFUSE_HOOK = '#!/bin/sh\necho "kitty test server: push refused (fault injection)" >&2\nexit 1\n'

export async function startGitHttpServer(options: GitHttpServerOptions = {}): Promise<GitHttpServer> {
  const root = mkdtempSync(join(tmpdir(), 'kitty-git-http-'))
  const ctx = makeContext(root, options)
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    handle(ctx, req, res).catch((err: unknown) => failRequest(res, err))
  }
  const server = options.tls
    ? createTlsServer({ key: options.tls.key, cert: options.tls.cert }, onRequest)
    : createServer(onRequest)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const port = (server.address() as AddressInfo).port
  const url = `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`
  const close = async (): Promise<void> => {
    if (ctx.closed) return
    ctx.closed = true
    ctx.stopping.abort()
    const stopped = new Promise<void>((resolve) => server.close(() => resolve()))
    server.closeAllConnections()
    for (const child of ctx.children.keys()) killBackend(child)
    // A backend's stdio is closed once every process holding it is gone; bounded all the same, so a
    // test's cleanup reports nothing worse than a leak rather than hanging its hook.
    const bound = sleep(10_000, undefined, { ref: false })
    const exited = await Promise.race([Promise.all(ctx.children.values()).then(() => true), bound.then(() => false)])
    if (!exited) for (const child of ctx.children.keys()) for (const io of child.stdio) io?.destroy()
    await stopped
    rmSync(root, { recursive: true, force: true })
    await forgetPooledSockets(port, options.tls ? tlsGlobalAgent : globalAgent)
  }
  return {
    url,
    root,
    repoUrl: (name) => `${url}/${checkRepoName(name)}.git`,
    createBareRepo: (name, opts = {}) => createBareRepo(ctx, name, opts.from),
    faults: makeFaults(ctx.faults),
    requests: ctx.requests,
    received: ctx.received,
    setAuth: (auth) => void (ctx.auth = auth),
    protectBranch: (name, branch, rule = 'pull-request') => {
      const hook = join(ctx.reposDir, `${checkRepoName(name)}.git`, 'hooks', 'pre-receive')
      mkdirSync(join(hook, '..'), { recursive: true })
      writeFileSync(hook, protectionHook(rule, `refs/heads/${branch}`, name), { mode: 0o755 })
    },
    close,
  }
}

/**
 * A throwaway self-signed certificate for 127.0.0.1, for a `tls` server. A client trusts it through
 * `certPath`: NODE_EXTRA_CA_CERTS for a spawned process (read at start-up, so not for this one).
 */
export function makeTestCertificate(): { key: string; cert: string; certPath: string } {
  const dir = mkdtempSync(join(tmpdir(), 'kitty-tls-'))
  const keyPath = join(dir, 'key.pem')
  const certPath = join(dir, 'cert.pem')
  const subject = ['-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1']
  const args = [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-days',
    '2',
    ...subject,
  ]
  execFileSync('openssl', [...args, '-keyout', keyPath, '-out', certPath], { stdio: 'pipe' })
  return { key: readFileSync(keyPath, 'utf8'), cert: readFileSync(certPath, 'utf8'), certPath }
}

/**
 * isomorphic-git (and any in-process client) keeps idle connections in Node's global keep-alive
 * pool. Wait until the pool has noticed they were closed, so the next request after close() opens
 * a new connection and gets ECONNREFUSED instead of writing into a dead socket (ECONNRESET).
 */
async function forgetPooledSockets(port: number, agent: typeof globalAgent): Promise<void> {
  const prefix = `127.0.0.1:${port}:`
  const pooled = (): boolean =>
    Object.entries(agent.freeSockets).some(([name, sockets]) => name.startsWith(prefix) && (sockets?.length ?? 0) > 0)
  for (let i = 0; i < 250 && pooled(); i++) await sleep(2)
}

function makeContext(root: string, options: GitHttpServerOptions): ServerContext {
  const reposDir = join(root, 'repos')
  const refuseHooksDir = join(root, 'hooks-refuse')
  const home = join(root, 'home')
  for (const dir of [reposDir, refuseHooksDir, home]) mkdirSync(dir)
  writeFileSync(join(refuseHooksDir, 'pre-receive'), REFUSE_HOOK, { mode: 0o755 })
  return {
    reposDir,
    refuseHooksDir,
    home,
    auth: options.auth,
    niceness: options.niceness,
    faults: { refusePush: false, beforePush: undefined, drop: undefined, slowMs: 0, redirect: undefined },
    requests: [],
    received: [],
    children: new Map(),
    closed: false,
    stopping: new AbortController(),
  }
}

function makeFaults(state: FaultState): GitHttpFaults {
  return {
    refuseNextPush: () => void (state.refusePush = true),
    beforeNextPush: (action) => void (state.beforePush = action),
    dropNextRequest: (target = 'any', at = 'mid-body') => void (state.drop = { target, at }),
    slow: (ms) => void (state.slowMs = Math.max(0, ms)),
    redirect: (base, options = {}) =>
      void (state.redirect = {
        base: base.replace(/\/+$/, ''),
        status: options.status ?? 302,
        left: options.times ?? Number.POSITIVE_INFINITY,
        on: options.on ?? 'any',
      }),
    reset: () =>
      Object.assign(state, {
        refusePush: false,
        beforePush: undefined,
        drop: undefined,
        slowMs: 0,
        redirect: undefined,
      }),
  }
}

function checkRepoName(name: string): string {
  if (!REPO_NAME.test(name)) throw new Error(`invalid repository name: ${JSON.stringify(name)}`)
  return name
}

// ---------------------------------------------------------------------------------------------
// Bare repositories

/** Env for git commands the helper runs itself: no inherited GIT_DIR & co. (tests may run inside a hook), no user config. */
function isolatedGitEnv(home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('GIT_')) env[key] = value
  return { ...env, HOME: home, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_TERMINAL_PROMPT: '0' }
}

function createBareRepo(ctx: ServerContext, name: string, from: string | undefined): string {
  const path = join(ctx.reposDir, `${checkRepoName(name)}.git`)
  if (existsSync(path)) throw new Error(`repository already exists: ${name}`)
  const env = isolatedGitEnv(ctx.home)
  execFileSync('git', ['init', '-q', '--bare', '-b', 'main', path], { env, stdio: 'pipe' })
  if (from !== undefined) seedBareRepo(path, from, env)
  return path
}

function seedBareRepo(bare: string, from: string, env: NodeJS.ProcessEnv): void {
  const refspecs = ['refs/heads/*:refs/heads/*', 'refs/tags/*:refs/tags/*']
  execFileSync('git', ['push', '-q', '--no-verify', bare, ...refspecs], { cwd: from, env, stdio: 'pipe' })
  let head: string
  try {
    head = execFileSync('git', ['symbolic-ref', '-q', 'HEAD'], {
      cwd: from,
      env,
      encoding: 'utf8',
      stdio: 'pipe',
    }).trim()
  } catch {
    return // detached HEAD in the source: keep the bare repo's default
  }
  execFileSync('git', ['symbolic-ref', 'HEAD', head], { cwd: bare, env, stdio: 'pipe' })
}

// ---------------------------------------------------------------------------------------------
// Request handling

async function handle(ctx: ServerContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1')
  ctx.received.push({ method: req.method ?? 'GET', url: req.url ?? '/', headers: { ...req.headers } })
  if (ctx.faults.slowMs > 0) await sleep(ctx.faults.slowMs, undefined, { signal: ctx.stopping.signal }).catch(() => {})
  if (ctx.closed) return void res.destroy()
  const redirect = takeRedirect(ctx.faults, routeOf(req, url))
  if (redirect !== undefined) return redirectRequest(ctx, req, res, routeOf(req, url), redirect)
  const user = authenticate(ctx.auth, req.headers.authorization)
  if (user === false) return deny(ctx, res, routeOf(req, url))
  const route = { ...routeOf(req, url), user }
  const drop = takeDrop(ctx.faults, route)
  if (drop !== undefined) return dropRequest(ctx, req, res, route, drop)
  const isPush = route.isRpc && route.record.service === 'receive-pack'
  const before = isPush ? ctx.faults.beforePush : undefined
  if (before) {
    ctx.faults.beforePush = undefined
    await before()
  }
  const refuse = isPush && takeRefuse(ctx.faults)
  if (refuse) route.record.fault = 'refused'
  runBackend(ctx, req, res, route, { refuse, drop: undefined })
}

function routeOf(req: IncomingMessage, url: URL): Omit<Routed, 'user'> {
  const method = req.method ?? 'GET'
  const rpc = /\/git-(upload-pack|receive-pack)$/.exec(url.pathname)
  const advertised = /^git-(upload-pack|receive-pack)$/.exec(url.searchParams.get('service') ?? '')
  const isRpc = method === 'POST' && rpc !== null
  const service = (isRpc ? rpc?.[1] : url.pathname.endsWith('/info/refs') ? advertised?.[1] : undefined) as
    | GitService
    | undefined
  const record: Omit<RequestRecord, 'status'> = { method, path: url.pathname }
  if (service !== undefined) record.service = service
  return { url, record, isRpc }
}

function takeDrop(faults: FaultState, route: Omit<Routed, 'user'>): DropPoint | undefined {
  const drop = faults.drop
  if (drop === undefined) return undefined
  const matches = drop.target === 'any' || (route.isRpc && route.record.service === drop.target)
  if (!matches) return undefined
  faults.drop = undefined
  return drop.at
}

function takeRedirect(faults: FaultState, route: Omit<Routed, 'user'>): { base: string; status: number } | undefined {
  const redirect = faults.redirect
  if (redirect === undefined || (redirect.on === 'rpc' && !route.isRpc)) return undefined
  if (--redirect.left <= 0) faults.redirect = undefined
  return redirect
}

function redirectRequest(
  ctx: ServerContext,
  req: IncomingMessage,
  res: ServerResponse,
  route: Omit<Routed, 'user'>,
  to: { base: string; status: number },
): void {
  // Drain the body so a redirected POST sees the answer rather than a reset.
  req.resume()
  log(ctx, route, to.status)
  res.writeHead(to.status, { Location: `${to.base}${req.url ?? '/'}`, 'Content-Type': 'text/plain' })
  res.end('moved\n')
}

function takeRefuse(faults: FaultState): boolean {
  const refuse = faults.refusePush
  faults.refusePush = false
  return refuse
}

/** undefined: no auth configured; false: reject; string: the authenticated user. */
function authenticate(auth: GitHttpServerOptions['auth'], header: string | undefined): string | undefined | false {
  if (auth === undefined) return undefined
  const match = /^Basic\s+(\S+)$/i.exec(header ?? '')
  if (match?.[1] === undefined) return false
  const decoded = Buffer.from(match[1], 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  if (colon < 0) return false
  const ok = sameSecret(decoded.slice(0, colon), auth.username) && sameSecret(decoded.slice(colon + 1), auth.password)
  return ok ? auth.username : false
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given)
  const b = Buffer.from(expected)
  return a.length === b.length && timingSafeEqual(a, b)
}

function deny(ctx: ServerContext, res: ServerResponse, route: Omit<Routed, 'user'>): void {
  log(ctx, route, 401)
  res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="kitty"', 'Content-Type': 'text/plain' })
  res.end('authentication required\n')
}

function log(ctx: ServerContext, route: Pick<Routed, 'record'>, status: number): void {
  ctx.requests.push({ ...route.record, status })
}

function failRequest(res: ServerResponse, err: unknown): void {
  if (res.headersSent) return void res.destroy()
  res.writeHead(500, { 'Content-Type': 'text/plain' })
  res.end(`git test server error: ${err instanceof Error ? err.message : String(err)}\n`)
}

// ---------------------------------------------------------------------------------------------
// Dropped connections

function dropRequest(
  ctx: ServerContext,
  req: IncomingMessage,
  res: ServerResponse,
  route: Routed,
  at: DropPoint,
): void {
  route.record.fault = 'dropped'
  const isPush = route.isRpc && route.record.service === 'receive-pack'
  // A push never reaches git (that is what "ref unchanged" relies on); anything else is produced by git and then truncated.
  if (at === 'mid-body' && !isPush) {
    return runBackend(ctx, req, res, route, { refuse: false, drop: at })
  }
  // Read the whole request first so the client is waiting for the answer, not still writing, when the line goes dead.
  req.resume()
  req.once('end', () => {
    if (at === 'before-headers') {
      log(ctx, route, 0)
      return void res.socket?.destroy()
    }
    log(ctx, route, 200)
    res.writeHead(200, { 'Content-Type': 'application/x-git-receive-pack-result', 'Cache-Control': 'no-cache' })
    cutAfter(res, Buffer.from('00')) // half a pkt-line length: the client is mid-read when the connection ends
  })
}

/** Send `prefix` of the body, then close the connection without finishing the response. */
function cutAfter(res: ServerResponse, prefix: Buffer): void {
  const socket = res.socket
  if (prefix.length > 0) res.write(prefix)
  else res.flushHeaders()
  // end() (FIN) rather than destroy(): pending bytes are flushed first, so the client really sees a truncated response.
  socket?.end()
}

// ---------------------------------------------------------------------------------------------
// The CGI

interface BackendFaults {
  refuse: boolean
  drop: DropPoint | undefined
}

/** Resolved once: a test may change PATH (to hide or wrap git for the client) while the server runs. */
export const GIT_BINARY = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim()

function runBackend(
  ctx: ServerContext,
  req: IncomingMessage,
  res: ServerResponse,
  route: Routed,
  faults: BackendFaults,
): void {
  let env: NodeJS.ProcessEnv
  try {
    env = cgiEnv(ctx, req, route, faults.refuse)
  } catch {
    log(ctx, route, 400)
    res.writeHead(400, { 'Content-Type': 'text/plain' })
    return void res.end('bad request path\n')
  }
  // Its own process group, so that stopping it stops the receive-pack or upload-pack it runs too.
  const child = spawn(GIT_BINARY, ['http-backend'], { env, stdio: ['pipe', 'pipe', 'pipe'], detached: true })
  if (ctx.niceness !== undefined && child.pid !== undefined) setPriority(child.pid, ctx.niceness)
  const gone = new Promise<void>((resolve) => {
    child.once('close', () => resolve())
    child.once('error', (err) => {
      backendFailed(ctx, res, route, `cannot run git http-backend: ${err.message}`)
      resolve()
    })
  })
  ctx.children.set(child, gone)
  void gone.then(() => ctx.children.delete(child))
  // The backend may answer (e.g. 404) without reading the body; the resulting EPIPE is expected.
  child.stdin.on('error', () => {})
  req.pipe(child.stdin)
  // A client that goes away must not leave a backend blocked on its stdin: one that went before we got
  // here (killed while a beforeNextPush action ran) closed its response already, so look as well.
  const stop = () => killBackend(child)
  res.once('close', stop)
  if (req.socket.destroyed) stop()
  relayResponse(ctx, child, res, route, faults.drop)
}

/** SIGKILL to a backend's process group (it and what it started), unless it has exited. */
function killBackend(child: ChildProcessWithoutNullStreams): void {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return
  try {
    process.kill(-child.pid, 'SIGKILL')
  } catch {
    child.kill('SIGKILL')
  }
}

function cgiEnv(ctx: ServerContext, req: IncomingMessage, route: Routed, refuse: boolean): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: ctx.home,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_PROJECT_ROOT: ctx.reposDir,
    GIT_HTTP_EXPORT_ALL: '1',
    GATEWAY_INTERFACE: 'CGI/1.1',
    SERVER_PROTOCOL: 'HTTP/1.1',
    REQUEST_METHOD: req.method ?? 'GET',
    PATH_INFO: decodeURIComponent(route.url.pathname),
    QUERY_STRING: route.url.search.slice(1),
    CONTENT_TYPE: req.headers['content-type'] ?? '',
    REMOTE_ADDR: req.socket.remoteAddress ?? '127.0.0.1',
    ...headerVariables(req),
    ...configVariables(refuse ? [['core.hooksPath', ctx.refuseHooksDir]] : []),
  }
  if (process.env.TMPDIR !== undefined) env.TMPDIR = process.env.TMPDIR
  // Without a length git http-backend reads the body to EOF, which is what a chunked (large) push needs.
  if (req.headers['content-length'] !== undefined) env.CONTENT_LENGTH = req.headers['content-length']
  if (route.user !== undefined) Object.assign(env, { REMOTE_USER: route.user, AUTH_TYPE: 'Basic' })
  return env
}

/**
 * Request headers as CGI HTTP_* variables. git http-backend needs HTTP_CONTENT_ENCODING
 * (it inflates gzip bodies itself) and HTTP_GIT_PROTOCOL (protocol v2).
 */
function headerVariables(req: IncomingMessage): Record<string, string> {
  const vars: Record<string, string> = {}
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || /^(authorization|proxy-authorization|content-type|content-length)$/i.test(name)) continue
    vars[`HTTP_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`] = Array.isArray(value) ? value.join(', ') : value
  }
  return vars
}

/** Config via the environment so it applies to every repository, including ones not made by createBareRepo. */
function configVariables(extra: Array<[string, string]>): Record<string, string> {
  const pairs: Array<[string, string]> = [['http.receivepack', 'true'], ['uploadpack.allowFilter', 'true'], ...extra]
  const vars: Record<string, string> = { GIT_CONFIG_COUNT: String(pairs.length) }
  pairs.forEach(([key, value], i) => {
    vars[`GIT_CONFIG_KEY_${i}`] = key
    vars[`GIT_CONFIG_VALUE_${i}`] = value
  })
  return vars
}

/** Parse the CGI header block, then stream the body; with `drop` set, truncate and cut the connection instead. */
function relayResponse(
  ctx: ServerContext,
  child: ChildProcessWithoutNullStreams,
  res: ServerResponse,
  route: Routed,
  drop: DropPoint | undefined,
): void {
  let head: Buffer = Buffer.alloc(0)
  let headersSent = false
  let cut = false
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => void (stderr += chunk.toString('utf8')))
  const sendBody = (chunk: Buffer): void => {
    if (cut) return
    if (drop !== undefined) {
      cut = true
      cutAfter(res, chunk.subarray(0, Math.ceil(chunk.length / 2)))
      child.kill('SIGKILL')
    } else if (!res.destroyed && !res.write(chunk)) {
      child.stdout.pause()
      res.once('drain', () => child.stdout.resume())
    }
  }
  child.stdout.on('data', (chunk: Buffer) => {
    if (headersSent) return sendBody(chunk)
    head = Buffer.concat([head, chunk])
    const end = headerEnd(head)
    if (end === undefined) return
    headersSent = true
    const { status, headers } = parseCgiHeaders(head.subarray(0, end.start).toString('latin1'))
    log(ctx, route, status)
    res.writeHead(status, headers)
    const rest = head.subarray(end.body)
    if (rest.length > 0) sendBody(rest)
  })
  child.once('close', (code) => {
    if (!headersSent) return backendFailed(ctx, res, route, `git http-backend exited ${code}: ${stderr.trim()}`)
    if (cut) return
    if (drop !== undefined) return cutAfter(res, Buffer.alloc(0))
    if (!res.destroyed && !res.writableEnded) res.end()
  })
}

function backendFailed(ctx: ServerContext, res: ServerResponse, route: Routed, message: string): void {
  if (res.destroyed || res.headersSent) return
  log(ctx, route, 502)
  res.writeHead(502, { 'Content-Type': 'text/plain' })
  res.end(`${message}\n`)
}

function headerEnd(buf: Buffer): { start: number; body: number } | undefined {
  const crlf = buf.indexOf('\r\n\r\n')
  const lf = buf.indexOf('\n\n')
  if (crlf >= 0 && (lf < 0 || crlf < lf)) return { start: crlf, body: crlf + 4 }
  if (lf >= 0) return { start: lf, body: lf + 2 }
  return undefined
}

function parseCgiHeaders(text: string): { status: number; headers: Record<string, string> } {
  let status = 200
  const headers: Record<string, string> = {}
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':')
    if (colon <= 0) continue
    const name = line.slice(0, colon).trim()
    const value = line.slice(colon + 1).trim()
    if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10) || 500
    else headers[name] = value
  }
  return { status, headers }
}
