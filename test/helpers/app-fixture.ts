import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest'
import type { AppProcess } from './app-process.ts'
import { eventPayload, startAppProcess } from './app-process.ts'
import type { GitHttpServer } from './git-http-server.ts'
import { startGitHttpServer } from './git-http-server.ts'
import { cleanupTempDirs, makeRepo } from './git-repo.ts'
import type { RecordedRequest, RestStandIn } from './rest-stand-in.ts'
import { startRestStandIn } from './rest-stand-in.ts'

/**
 * The App's process tests, set up once: the App as deployed (app-process.ts) between the smart-HTTP git
 * server, which takes the installation token as the password, and the REST stand-in (GHE_HOST), which
 * mints that token. `useSharedApp` serves a whole test file from one App, each test on a repository of
 * its own; `useAppsPerTest` gives each test fresh servers and lets it start (and kill) its own Apps.
 */

export const MISSION = '099-test-mission'
/** The head commit of pull request #7, as the stand-in reports it. */
export const PR_HEAD = '1'.repeat(40)

export type Lanes = Record<string, string>
/** Repository roles by login. */
export type People = Record<string, 'read' | 'triage' | 'write' | 'admin'>

const execFileAsync = promisify(execFile)

/** Asynchronous, because the git server answers from this very process: a synchronous call would hang it. */
export const gitCli = async (cwd: string, ...args: string[]) =>
  (await execFileAsync('git', args, { cwd, maxBuffer: 64 << 20 })).stdout.trim()

export interface Servers {
  git: GitHttpServer
  rest: RestStandIn
}

async function startServers(token: string): Promise<Servers> {
  const git = await startGitHttpServer({ auth: { username: 'x-access-token', password: token } })
  const rest = await startRestStandIn()
  rest.installationToken = token
  return { git, rest }
}

/** The stand-in's close rejects when the App made a call GitHub's description does not allow: the file fails. */
async function closeServers(servers: Partial<Servers>): Promise<void> {
  await closeWithin('the git test server', servers.git?.close())
  await closeWithin('the REST stand-in', servers.rest?.close())
  cleanupTempDirs()
}

const CLOSE_BOUND_MS = 60_000

/**
 * A server that does not close within the bound is left to the end of the test process, with a line
 * saying which, rather than timing out the hook of a test whose assertions all passed. Its failures
 * (the REST stand-in's contract violations) still fail the test.
 */
async function closeWithin(what: string, closing: Promise<void> | undefined): Promise<void> {
  if (closing === undefined) return
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), CLOSE_BOUND_MS)))
  try {
    if ((await Promise.race([closing, late])) === 'late')
      process.stderr.write(`app-fixture: ${what} did not close within ${CLOSE_BOUND_MS / 1000} s; left open\n`)
  } finally {
    clearTimeout(timer)
  }
}

/** GitHub reports a triager's permission as read: the role is what tells them apart. */
function grantPermissions(rest: RestStandIn, people: People): void {
  for (const [login, role] of Object.entries(people))
    rest.permissions.set(login, { permission: role === 'triage' ? 'read' : role, role_name: role })
}

export interface TestRepo {
  name: string
  bare: string
  cloneUrl: string
}

export interface SharedAppOptions {
  token: string
  /** A file's repositories are `octo-org/<repoPrefix>-<n>`. */
  repoPrefix: string
  /** The mission's WPs in a new repository, unless the test brings a repository of its own. */
  lanes: Lanes
  people?: People
  env?: Record<string, string>
}

export interface SharedApp extends Servers {
  app: AppProcess
  /** The running test's repository: the last createRepo made. */
  repo: TestRepo
  /** A repository of its own for the test, the stand-in's memory of the last one wiped, PR #7 on `headRef`. */
  createRepo(from?: string | Lanes, headRef?: string): TestRepo
  /** Comment and review ids: GitHub never hands out one twice. */
  nextId(): number
  /** A `/kitty …` comment on PR #7 of the test's repository (the issue_comment fixture, edited). */
  comment(body: string, login?: string): any
  /** An approving review of PR #7 on WP01's branch (the pull_request_review fixture), then `edit`. */
  review(edit?: (p: any) => void): any
  /** Whether a request went to the test's repository (the App serves the others' leftovers too). */
  ours(r: RecordedRequest): boolean
  replies(): string[]
  reactions(): string[]
  permissionLookups(): RecordedRequest[]
  tip(): Promise<string>
}

/**
 * One App for the whole file, as one deployment serves many repositories: started before the first
 * test; after the last it must exit 0, its token never having reached its output.
 */
export function useSharedApp(options: SharedAppOptions): SharedApp {
  let repos = 0
  let ids = 1_600_000_000
  const fx = { createRepo, nextId, comment, review, ours, replies, reactions, permissionLookups, tip } as SharedApp

  function createRepo(from: string | Lanes = options.lanes, headRef = `${MISSION}-WP01`): TestRepo {
    const name = `${options.repoPrefix}-${++repos}`
    const local = typeof from === 'string' ? from : makeRepo([{ slug: MISSION, wps: lanesToWps(from) }])
    const bare = fx.git.createBareRepo(`octo-org/${name}`, { from: local })
    fx.repo = { name, bare, cloneUrl: fx.git.repoUrl(`octo-org/${name}`) }
    fx.rest.reset()
    fx.rest.pulls.set(7, { head: { ref: headRef, sha: PR_HEAD } })
    grantPermissions(fx.rest, options.people ?? {})
    return fx.repo
  }

  function nextId(): number {
    return ++ids
  }

  function comment(body: string, login = 'maintainer'): any {
    const id = nextId()
    return eventPayload('issue_comment.start-review', fx.repo.cloneUrl, (p) => {
      p.comment.body = body
      p.comment.id = id
      p.comment.html_url = `https://github.com/octo-org/${fx.repo.name}/pull/7#issuecomment-${id}`
      p.comment.user.login = login
      p.sender.login = login
    })
  }

  function review(edit: (p: any) => void = () => {}): any {
    return eventPayload('pull_request_review.approved', fx.repo.cloneUrl, (p) => {
      p.review.id = nextId()
      p.pull_request.head.ref = `${MISSION}-WP01`
      p.pull_request.head.sha = PR_HEAD
      edit(p)
    })
  }

  function ours(r: RecordedRequest): boolean {
    return r.path.startsWith(`/repos/octo-org/${fx.repo.name}/`)
  }

  function replies(): string[] {
    return fx.rest.requests
      .filter((r) => ours(r) && r.method === 'POST' && /\/issues\/7\/comments$/.test(r.path))
      .map((r) => (r.body as { body: string }).body)
  }

  function reactions(): string[] {
    return fx.rest.requests
      .filter((r) => ours(r) && r.path.endsWith('/reactions'))
      .map((r) => (r.body as { content: string }).content)
  }

  function permissionLookups(): RecordedRequest[] {
    return fx.rest.requests.filter((r) => ours(r) && r.path.endsWith('/permission'))
  }

  function tip(): Promise<string> {
    return gitCli(fx.repo.bare, 'rev-parse', 'main')
  }

  beforeAll(async () => {
    Object.assign(fx, await startServers(options.token))
    fx.app = await startAppProcess(fx.rest.url, options.env)
  })
  afterAll(async () => {
    const code = await fx.app?.stop()
    // Whatever happened in the file, the token never reached a log line, a reply, a check run or a reaction.
    expect(fx.app.output()).not.toContain(options.token)
    expect(code).toBe(0)
    await closeServers(fx)
  })
  return fx
}

function lanesToWps(lanes: Lanes): Array<{ id: string; lane: string }> {
  return Object.entries(lanes).map(([id, lane]) => ({ id, lane }))
}

export interface AppsPerTest extends Servers {
  /** The Apps the running test started; each is killed (SIGKILL) after it. */
  apps: AppProcess[]
  startApp(env?: Record<string, string>): Promise<AppProcess>
}

/** Fresh servers for each test, for tests that kill, restart or replicate the App and count every answer. */
export function useAppsPerTest(options: { token: string; people: People }): AppsPerTest {
  const fx = { apps: [] as AppProcess[], startApp } as AppsPerTest

  async function startApp(env: Record<string, string> = {}): Promise<AppProcess> {
    const app = await startAppProcess(fx.rest.url, env)
    fx.apps.push(app)
    return app
  }

  beforeEach(async () => {
    Object.assign(fx, await startServers(options.token))
    grantPermissions(fx.rest, options.people)
  })
  afterEach(async () => {
    for (const app of fx.apps.splice(0)) await app.stop('SIGKILL')
    await closeServers(fx)
  })
  return fx
}
