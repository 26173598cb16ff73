import { execFile } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AppProcess } from '../helpers/app-process.ts'
import { deliverSettled, eventPayload, startAppProcess } from '../helpers/app-process.ts'
import type { GitHttpServer } from '../helpers/git-http-server.ts'
import { startGitHttpServer } from '../helpers/git-http-server.ts'
import { cleanupTempDirs, git as gitSync, makeRepo } from '../helpers/git-repo.ts'
import { diamondRepo } from '../helpers/merge-repo.ts'
import type { RecordedRequest, RestStandIn } from '../helpers/rest-stand-in.ts'
import { startRestStandIn } from '../helpers/rest-stand-in.ts'

/**
 * Who can make the App publish what (issue 20 rows 3, 5, 8 and 10), counted at the REST stand-in: the
 * App as deployed (dist/app.js in its own process) receiving signed deliveries.
 */

const execFileAsync = promisify(execFile)
const gitCli = async (cwd: string, ...args: string[]) => (await execFileAsync('git', args, { cwd })).stdout.trim()

const TOKEN = 'ghs_AppTrustInstallationToken0123456789'
const M = '099-test-mission'
const HEAD = '2222222222222222222222222222222222222222'
const FORK = { full_name: 'mallory/project' }

let git: GitHttpServer
let rest: RestStandIn
let app: AppProcess
let bare: string
let name: string
let cloneUrl: string
let repoCount = 0
let commentId = 1_700_000_000

beforeAll(async () => {
  git = await startGitHttpServer({ auth: { username: 'x-access-token', password: TOKEN } })
  rest = await startRestStandIn()
  rest.installationToken = TOKEN
  app = await startAppProcess(rest.url)
})
afterAll(async () => {
  const code = await app?.stop()
  expect(app.output()).not.toContain(TOKEN)
  expect(code).toBe(0)
  await git?.close()
  await rest?.close()
  cleanupTempDirs()
})

function setupRepo(from: string | Record<string, string> = { WP01: 'in_review' }, headRef = `${M}-WP01`): void {
  name = `trust-${++repoCount}`
  const repo =
    typeof from === 'string'
      ? from
      : makeRepo([{ slug: M, wps: Object.entries(from).map(([id, lane]) => ({ id, lane })) }])
  bare = git.createBareRepo(`octo-org/${name}`, { from: repo })
  cloneUrl = git.repoUrl(`octo-org/${name}`)
  rest.reset()
  rest.pulls.set(7, { head: { ref: headRef, sha: HEAD } })
  rest.permissions.set('maintainer', { permission: 'write', role_name: 'write' })
  rest.permissions.set('visitor', { permission: 'read', role_name: 'read' })
  rest.permissions.set('triager', { permission: 'read', role_name: 'triage' })
}

function comment(body: string, login = 'maintainer'): any {
  const id = ++commentId
  return eventPayload('issue_comment.start-review', cloneUrl, (p) => {
    p.comment.body = body
    p.comment.id = id
    p.comment.html_url = `https://github.com/octo-org/${name}/pull/7#issuecomment-${id}`
    p.comment.user.login = login
    p.sender.login = login
  })
}

const ours = (r: RecordedRequest) => r.path.startsWith(`/repos/octo-org/${name}/`)
const checkRuns = () => rest.requests.filter((r) => ours(r) && r.path.includes('/check-runs'))
const replies = () =>
  rest.requests
    .filter((r) => ours(r) && r.method === 'POST' && /\/issues\/7\/comments$/.test(r.path))
    .map((r) => (r.body as { body: string }).body)
const reactions = () =>
  rest.requests
    .filter((r) => ours(r) && r.path.endsWith('/reactions'))
    .map((r) => (r.body as { content: string }).content)
const labelRemovals = () => rest.requests.filter((r) => ours(r) && r.method === 'DELETE' && r.path.includes('/labels/'))
const permissionLookups = () => rest.requests.filter((r) => ours(r) && r.path.endsWith('/permission'))
const tip = () => gitCli(bare, 'rev-parse', 'main')

describe("who may publish a check run (D3): only a writer's write", () => {
  it("a visitor's /kitty approve after the maintainer's: a reply and a reaction, no check run over the maintainer's", async () => {
    setupRepo()
    await deliverSettled(app, 'issue_comment', comment('/kitty approve'))
    expect(checkRuns().map((r) => (r.body as { conclusion: string }).conclusion)).toEqual(['success'])
    const approved = await tip()
    await deliverSettled(app, 'issue_comment', comment('/kitty approve', 'visitor'))
    await deliverSettled(app, 'issue_comment', comment('/kitty request-changes no', 'triager'))
    expect(await tip()).toBe(approved)
    expect(checkRuns()).toHaveLength(1)
    expect(replies()).toHaveLength(2)
    expect(replies()[0]).toMatch(/PERMISSION_DENIED[\s\S]*'read' access/)
    expect(reactions()).toEqual(['+1', 'confused', 'confused'])
  })

  it('reads by anyone (visitor or maintainer), help and usage errors: replies only, never a check run', async () => {
    setupRepo()
    for (const [body, who] of [
      ['/kitty state\n/kitty ready', 'visitor'],
      ['/kitty state', 'maintainer'],
      ['/kitty help', 'visitor'],
      ['/kitty transition <img/src=x>', 'visitor'],
    ] as const)
      await deliverSettled(app, 'issue_comment', comment(body, who))
    expect(checkRuns()).toEqual([])
    expect(replies()).toHaveLength(4)
    expect(reactions()).toHaveLength(4)
    expect(permissionLookups()).toEqual([])
  })

  it("a visitor's approving review: refused in a reply, no check run, no commit", async () => {
    setupRepo()
    const before = await tip()
    const review = eventPayload('pull_request_review.approved', cloneUrl, (p) => {
      p.review.id = ++commentId
      p.review.user.login = 'visitor'
      p.pull_request.head.ref = `${M}-WP01`
      p.pull_request.head.sha = HEAD
    })
    await deliverSettled(app, 'pull_request_review', review)
    expect(await tip()).toBe(before)
    expect(checkRuns()).toEqual([])
    expect(replies()[0]).toMatch(/PERMISSION_DENIED/)
  })

  it('one non-writer floods a pull request: at most 5 answers a minute; a writer is never limited', async () => {
    setupRepo()
    for (let i = 0; i < 7; i++) await deliverSettled(app, 'issue_comment', comment('/kitty state', 'visitor'))
    expect(replies()).toHaveLength(5)
    expect(reactions()).toHaveLength(5)
    expect(checkRuns()).toEqual([])
    await deliverSettled(app, 'issue_comment', comment('/kitty approve'))
    expect(reactions()).toHaveLength(6)
    expect(checkRuns()).toHaveLength(1)
  })

  it('a redelivery that changes nothing: no new check run, no new reaction (same delivery id, or a new one)', async () => {
    setupRepo()
    const payload = comment('/kitty approve')
    const first = await deliverSettled(app, 'issue_comment', payload)
    await deliverSettled(app, 'issue_comment', payload, { id: first.id })
    await deliverSettled(app, 'issue_comment', payload)
    expect(checkRuns()).toHaveLength(1)
    expect(reactions()).toEqual(['+1'])
    expect(replies()).toEqual([])
  })
})

describe('the merge label', () => {
  const labeled = (edit: (p: any) => void = () => {}) => eventPayload('pull_request.labeled', cloneUrl, edit)

  it("a bot's kitty:merge: taken off again (the button pops back up), nothing else", async () => {
    setupRepo(diamondRepo(), M)
    const before = await tip()
    await deliverSettled(
      app,
      'pull_request',
      labeled((p) => (p.sender = { login: 'renovate[bot]', type: 'Bot' })),
    )
    expect(await tip()).toBe(before)
    expect(labelRemovals()).toHaveLength(1)
    expect(checkRuns()).toEqual([])
    expect(replies()).toEqual([])
  })

  it('added by someone with triage but not write: refused in a reply, label removed, no check run', async () => {
    setupRepo(diamondRepo(), M)
    const before = await tip()
    await deliverSettled(
      app,
      'pull_request',
      labeled((p) => (p.sender.login = 'triager')),
    )
    expect(await tip()).toBe(before)
    expect(labelRemovals()).toHaveLength(1)
    expect(checkRuns()).toEqual([])
    expect(replies()[0]).toMatch(/PERMISSION_DENIED/)
  })
})

describe("forks (D5): a fork's branch name never selects a WP", () => {
  it("a maintainer's /kitty approve on a fork's pull request named <mission>-WP01: refused with why, nothing written", async () => {
    setupRepo()
    rest.pulls.set(7, { head: { ref: `${M}-WP01`, sha: HEAD, repo: FORK } })
    const before = await tip()
    await deliverSettled(app, 'issue_comment', comment('/kitty approve'))
    expect(await tip()).toBe(before)
    expect(checkRuns()).toEqual([])
    expect(permissionLookups()).toEqual([])
    expect(replies()[0]).toMatch(/another repository \(mallory\/project\)[\s\S]*fork's branch name/)
    expect(reactions()).toEqual(['confused'])
  })

  it('a deleted head repository counts as a fork; a read naming --mission still answers', async () => {
    setupRepo()
    rest.pulls.set(7, { head: { ref: `${M}-WP01`, sha: HEAD, repo: null } })
    await deliverSettled(app, 'issue_comment', comment(`/kitty approve\n/kitty state --mission ${M}`))
    expect(replies()[0]).toMatch(/no longer exists/)
    expect(replies()[0]).toContain('| WP01 |')
    expect(checkRuns()).toEqual([])
  })

  it("a maintainer's approving review of a fork: refused in a reply, no commit, no check run", async () => {
    setupRepo()
    const before = await tip()
    const review = eventPayload('pull_request_review.approved', cloneUrl, (p) => {
      p.review.id = ++commentId
      p.pull_request.head.ref = `${M}-WP01`
      p.pull_request.head.sha = HEAD
      p.pull_request.head.repo.full_name = FORK.full_name
    })
    await deliverSettled(app, 'pull_request_review', review)
    expect(await tip()).toBe(before)
    expect(checkRuns()).toEqual([])
    expect(replies()[0]).toMatch(/mallory\/project/)
  })

  it('the merge label on a fork: refused in a reply, nothing merged, the label removed', async () => {
    setupRepo(diamondRepo(), M)
    const before = await tip()
    await deliverSettled(
      app,
      'pull_request',
      eventPayload('pull_request.labeled', cloneUrl, (p) => (p.pull_request.head.repo.full_name = FORK.full_name)),
    )
    expect(await tip()).toBe(before)
    expect(labelRemovals()).toHaveLength(1)
    expect(checkRuns()).toEqual([])
    expect(replies()[0]).toMatch(/mallory\/project/)
  })
})

describe('settings errors are answered, never silence (D9)', () => {
  function repoWithSettings(yaml: string): string {
    const repo = makeRepo([{ slug: M, wps: [{ id: 'WP01', lane: 'for_review' }] }])
    mkdirSync(`${repo}/.github`, { recursive: true })
    writeFileSync(`${repo}/.github/kitty.yml`, yaml)
    gitSync(repo, 'add', '-A')
    gitSync(repo, 'commit', '-q', '-m', 'settings')
    return repo
  }

  it.each([
    [
      'a placeholder twice in merge.branch_pattern',
      'merge:\n  branch_pattern: "{wp_id}/{mission_slug}-{wp_id}"\n',
      /merge\.branch_pattern uses \{wp_id\} 2 times/,
    ],
    ['an unknown top-level key', 'branch: HEAD\n', /CONFIG_INVALID[\s\S]*\bbranch is not a known setting/],
  ])('%s: one reply naming the key, a reaction, nothing written', async (_what, yaml, named) => {
    setupRepo(repoWithSettings(yaml))
    const before = await tip()
    await deliverSettled(app, 'issue_comment', comment('/kitty start-review'))
    expect(await tip()).toBe(before)
    expect(replies()).toHaveLength(1)
    expect(replies()[0]).toMatch(named)
    expect(reactions()).toEqual(['confused'])
  })
})
