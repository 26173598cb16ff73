import { mkdirSync, writeFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { MISSION as M, PR_HEAD, useSharedApp } from '../helpers/app-fixture.ts'
import { deliverSettled, eventPayload } from '../helpers/app-process.ts'
import { git as gitSync, makeRepo } from '../helpers/git-repo.ts'
import { diamondRepo } from '../helpers/merge-repo.ts'

/**
 * Who can make the App publish what (issue 20 rows 3, 5, 8 and 10), counted at the REST stand-in: the
 * App as deployed (dist/app.js in its own process) receiving signed deliveries.
 */

const TOKEN = 'ghs_AppTrustInstallationToken0123456789'
const FORK = { full_name: 'mallory/project' }

const fx = useSharedApp({
  token: TOKEN,
  repoPrefix: 'trust',
  lanes: { WP01: 'in_review' },
  people: { maintainer: 'write', visitor: 'read', triager: 'triage' },
})
const { createRepo, comment, ours, replies, reactions, permissionLookups, tip } = fx

const checkRuns = () => fx.rest.requests.filter((r) => ours(r) && r.path.includes('/check-runs'))
const labelRemovals = () =>
  fx.rest.requests.filter((r) => ours(r) && r.method === 'DELETE' && r.path.includes('/labels/'))

describe("who may publish a check run (D3): only a writer's write", () => {
  it("a visitor's /kitty approve after the maintainer's: a reply and a reaction, no check run over the maintainer's", async () => {
    createRepo()
    await deliverSettled(fx.app, 'issue_comment', comment('/kitty approve'))
    expect(checkRuns().map((r) => (r.body as { conclusion: string }).conclusion)).toEqual(['success'])
    const approved = await tip()
    await deliverSettled(fx.app, 'issue_comment', comment('/kitty approve', 'visitor'))
    await deliverSettled(fx.app, 'issue_comment', comment('/kitty request-changes no', 'triager'))
    expect(await tip()).toBe(approved)
    expect(checkRuns()).toHaveLength(1)
    expect(replies()).toHaveLength(2)
    expect(replies()[0]).toMatch(/PERMISSION_DENIED[\s\S]*'read' access/)
    expect(reactions()).toEqual(['+1', 'confused', 'confused'])
  })

  it('reads by anyone (visitor or maintainer), help and usage errors: replies only, never a check run', async () => {
    createRepo()
    for (const [body, who] of [
      ['/kitty state\n/kitty ready', 'visitor'],
      ['/kitty state', 'maintainer'],
      ['/kitty help', 'visitor'],
      ['/kitty transition <img/src=x>', 'visitor'],
    ] as const)
      await deliverSettled(fx.app, 'issue_comment', comment(body, who))
    expect(checkRuns()).toEqual([])
    expect(replies()).toHaveLength(4)
    expect(reactions()).toHaveLength(4)
    expect(permissionLookups()).toEqual([])
  })

  it("a visitor's approving review: refused in a reply, no check run, no commit", async () => {
    createRepo()
    const before = await tip()
    const review = fx.review((p) => {
      p.review.user.login = 'visitor'
    })
    await deliverSettled(fx.app, 'pull_request_review', review)
    expect(await tip()).toBe(before)
    expect(checkRuns()).toEqual([])
    expect(replies()[0]).toMatch(/PERMISSION_DENIED/)
  })

  it('one non-writer floods a pull request: at most 5 answers a minute; a writer is never limited', async () => {
    createRepo()
    for (let i = 0; i < 7; i++) await deliverSettled(fx.app, 'issue_comment', comment('/kitty state', 'visitor'))
    expect(replies()).toHaveLength(5)
    expect(reactions()).toHaveLength(5)
    expect(checkRuns()).toEqual([])
    await deliverSettled(fx.app, 'issue_comment', comment('/kitty approve'))
    expect(reactions()).toHaveLength(6)
    expect(checkRuns()).toHaveLength(1)
  })

  it('a redelivery that changes nothing: no new check run, no new reaction (same delivery id, or a new one)', async () => {
    createRepo()
    const payload = comment('/kitty approve')
    const first = await deliverSettled(fx.app, 'issue_comment', payload)
    await deliverSettled(fx.app, 'issue_comment', payload, { id: first.id })
    await deliverSettled(fx.app, 'issue_comment', payload)
    expect(checkRuns()).toHaveLength(1)
    expect(reactions()).toEqual(['+1'])
    expect(replies()).toEqual([])
  })
})

describe('the merge label', () => {
  const labeled = (edit: (p: any) => void = () => {}) => eventPayload('pull_request.labeled', fx.repo.cloneUrl, edit)

  it("a bot's kitty:merge: taken off again (the button pops back up), nothing else", async () => {
    createRepo(diamondRepo(), M)
    const before = await tip()
    await deliverSettled(
      fx.app,
      'pull_request',
      labeled((p) => (p.sender = { login: 'renovate[bot]', type: 'Bot' })),
    )
    expect(await tip()).toBe(before)
    expect(labelRemovals()).toHaveLength(1)
    expect(checkRuns()).toEqual([])
    expect(replies()).toEqual([])
  })

  it('added by someone with triage but not write: refused in a reply, label removed, no check run', async () => {
    createRepo(diamondRepo(), M)
    const before = await tip()
    await deliverSettled(
      fx.app,
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
    createRepo()
    fx.rest.pulls.set(7, { head: { ref: `${M}-WP01`, sha: PR_HEAD, repo: FORK } })
    const before = await tip()
    await deliverSettled(fx.app, 'issue_comment', comment('/kitty approve'))
    expect(await tip()).toBe(before)
    expect(checkRuns()).toEqual([])
    expect(permissionLookups()).toEqual([])
    expect(replies()[0]).toMatch(/another repository \(mallory\/project\)[\s\S]*fork's branch name/)
    expect(reactions()).toEqual(['confused'])
  })

  it('a deleted head repository counts as a fork; a read naming --mission still answers', async () => {
    createRepo()
    fx.rest.pulls.set(7, { head: { ref: `${M}-WP01`, sha: PR_HEAD, repo: null } })
    await deliverSettled(fx.app, 'issue_comment', comment(`/kitty approve\n/kitty state --mission ${M}`))
    expect(replies()[0]).toMatch(/no longer exists/)
    expect(replies()[0]).toContain('| WP01 |')
    expect(checkRuns()).toEqual([])
  })

  it("a maintainer's approving review of a fork: refused in a reply, no commit, no check run", async () => {
    createRepo()
    const before = await tip()
    const review = fx.review((p) => {
      p.pull_request.head.repo.full_name = FORK.full_name
    })
    await deliverSettled(fx.app, 'pull_request_review', review)
    expect(await tip()).toBe(before)
    expect(checkRuns()).toEqual([])
    expect(replies()[0]).toMatch(/mallory\/project/)
  })

  it('the merge label on a fork: refused in a reply, nothing merged, the label removed', async () => {
    createRepo(diamondRepo(), M)
    const before = await tip()
    await deliverSettled(
      fx.app,
      'pull_request',
      eventPayload(
        'pull_request.labeled',
        fx.repo.cloneUrl,
        (p) => (p.pull_request.head.repo.full_name = FORK.full_name),
      ),
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
    createRepo(repoWithSettings(yaml))
    const before = await tip()
    await deliverSettled(fx.app, 'issue_comment', comment('/kitty start-review'))
    expect(await tip()).toBe(before)
    expect(replies()).toHaveLength(1)
    expect(replies()[0]).toMatch(named)
    expect(reactions()).toEqual(['confused'])
  })
})
