import { getOctokit } from '@actions/github'
import nock from 'nock'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { makeEnvelope, makeFailure } from '../../src/core/envelope.ts'
import { KittyError } from '../../src/core/errors.ts'
import { DEFAULT_CONFIG } from '../../src/engine/config/load-config.ts'
import type { HandleDeps } from '../../src/github/handle-event.ts'
import { handleEvent, publishesCheckRun } from '../../src/github/handle-event.ts'
import { octokitApi } from '../../src/github/github-api.ts'
import { humanPolicy } from '../../src/github/human-policy.ts'
import { readEvent } from '../../src/github/read-event.ts'
import { PROJECT_ROOT } from '../helpers/git-repo.ts'
import { basicError, contractFetch, exampleArray, exampleResponse } from '../helpers/github-openapi.ts'

const API = 'https://api.github.example'
const REPO = '/repos/octo-org/project'
const event = (name: string) =>
  JSON.parse(readFileSync(join(PROJECT_ROOT, 'test/fixtures/events', `${name}.json`), 'utf8'))

// Every request and every nock answer is checked against GitHub's REST description (github-openapi.ts).
const contract = contractFetch()

beforeAll(() => nock.disableNetConnect())
afterEach(() => {
  const pending = nock.pendingMocks()
  nock.cleanAll()
  expect(pending, 'every mocked REST call was made').toEqual([])
  expect(contract.violations.splice(0), "requests and answers as GitHub's description has them").toEqual([])
})

interface Ran {
  command: string
  args: string[]
  key: string | undefined
}

/** handleEvent over a real Octokit (global fetch, so nock sees it) and an engine stub that records calls. */
function deps(ran: Ran[], outcome: 'ok' | 'fail' = 'ok'): HandleDeps {
  // @actions/github sends through the undici package's own fetch, which nock cannot see (nock#2183).
  const octokit = getOctokit('test-token', { baseUrl: API, request: { fetch: contract.fetch, retries: 0 } })
  return {
    api: octokitApi(octokit, { owner: 'octo-org', repo: 'project' }),
    readConfig: async () => DEFAULT_CONFIG,
    run: async (command, args, key) => {
      ran.push({ command, args, key })
      const envelope =
        outcome === 'ok'
          ? makeEnvelope(command, true, {
              mission_slug: '099-test-mission',
              wp_id: 'WP01',
              from_lane: 'for_review',
              to_lane: 'in_review',
            })
          : makeFailure(command, 'PREFLIGHT_FAILED', 'WP02 has no branch')
      return { envelope, commit: outcome === 'ok' ? 'a'.repeat(40) : null }
    },
    policyJson: humanPolicy('kitty-github/action'),
    correlationId: () => 'corr-test',
    warn: () => undefined,
  }
}

const SAME_REPO = { full_name: 'octo-org/project' }
const pull7 = (repo: { full_name: string } | null = SAME_REPO, ref = '099-test-mission-WP01') =>
  nock(API)
    .get(`${REPO}/pulls/7`)
    .reply(
      200,
      exampleResponse('pulls/get', 200, {
        number: 7,
        head: { ref, sha: '1'.repeat(40), repo },
        base: { ref: 'main', repo: SAME_REPO },
      }),
    )
const permission = (login: string, permission: string, role_name = permission) =>
  nock(API)
    .get(`${REPO}/collaborators/${login}/permission`)
    .reply(
      200,
      exampleResponse('repos/get-collaborator-permission-level', 200, {
        permission,
        role_name,
        user: { login, role_name },
      }),
    )

describe('issue_comment on a pull request', () => {
  it("a writer's /kitty line runs, with mission and WP from the fetched head branch, actor and policy recorded", async () => {
    pull7()
    permission('maintainer', 'write')
    const ran: Ran[] = []
    const result = await handleEvent('issue_comment', event('issue_comment.start-review'), deps(ran))
    expect(result.pull).toMatchObject({ number: 7, headRef: '099-test-mission-WP01', headSha: '1'.repeat(40) })
    expect(ran).toHaveLength(1)
    expect(ran[0]!.command).toBe('start-review')
    expect(ran[0]!.args).toEqual(
      expect.arrayContaining([
        '--mission=099-test-mission',
        '--wp=WP01',
        '--actor=github:maintainer',
        `--policy=${humanPolicy('kitty-github/action')}`,
      ]),
    )
    expect(ran[0]!.key).toBe('github-comment:1500000001:3')
    expect(result.outcomes[0]!.envelope.success).toBe(true)
  })

  it('maintain (role_name) counts as write', async () => {
    pull7()
    permission('maintainer', 'write', 'maintain')
    const ran: Ran[] = []
    await handleEvent('issue_comment', event('issue_comment.start-review'), deps(ran))
    expect(ran).toHaveLength(1)
  })

  it('a read-only commenter is refused (PERMISSION_DENIED) and nothing runs', async () => {
    pull7()
    permission('outsider', 'read')
    const ran: Ran[] = []
    const result = await handleEvent('issue_comment', event('issue_comment.read-only-approve'), deps(ran))
    expect(ran).toEqual([])
    expect(result.outcomes[0]!.envelope).toMatchObject({ success: false, error_code: 'PERMISSION_DENIED' })
    expect(result.outcomes[0]!.envelope.data['message']).toContain("'read' access")
  })

  it('a permission API error refuses (fail closed): nothing runs', async () => {
    pull7()
    nock(API).get(`${REPO}/collaborators/outsider/permission`).reply(502, basicError('Bad Gateway', 502))
    const ran: Ran[] = []
    const result = await handleEvent('issue_comment', event('issue_comment.read-only-approve'), deps(ran))
    expect(ran).toEqual([])
    expect(result.outcomes[0]!.envelope).toMatchObject({ success: false, error_code: 'PERMISSION_DENIED' })
    expect(result.outcomes[0]!.envelope.data['message']).toMatch(/Could not check @outsider's permission.*\(HTTP 502/)
  })

  it('a permission answer without a permission refuses too', async () => {
    pull7()
    nock(API)
      .get(`${REPO}/collaborators/outsider/permission`)
      .reply(200, { user: { login: 'outsider' } })
    const ran: Ran[] = []
    const result = await handleEvent('issue_comment', event('issue_comment.read-only-approve'), deps(ran))
    expect(ran).toEqual([])
    expect(result.outcomes[0]!.envelope.error_code).toBe('PERMISSION_DENIED')
    // An answer GitHub's description does not allow, on purpose: the contract check notices it.
    expect(contract.violations.splice(0).join('\n')).toMatch(/required property 'permission'/)
  })

  it('reads are open: no permission lookup for /kitty state', async () => {
    pull7()
    const ran: Ran[] = []
    await handleEvent('issue_comment', event('issue_comment.state'), deps(ran))
    expect(ran.map((r) => r.command)).toEqual(['mission-state'])
  })

  it("a bot's comment is ignored without a single API call", async () => {
    const ran: Ran[] = []
    const result = await handleEvent('issue_comment', event('issue_comment.bot'), deps(ran))
    expect(result.skipped).toMatch(/bot/)
    expect(ran).toEqual([])
  })

  it('a comment without /kitty is skipped, on a pull request or an issue, without a network call', async () => {
    const plain = event('issue_comment.state')
    plain.comment.body = 'Nice work! (kitty /kitty-less)'
    // No REST mock: afterEach fails on any request.
    expect(await handleEvent('issue_comment', plain, deps([]))).toMatchObject({
      outcomes: [],
      skipped: 'a comment without a /kitty line',
    })
    delete plain.issue.pull_request
    expect((await handleEvent('issue_comment', plain, deps([]))).skipped).toBe('a comment without a /kitty line')
  })

  it('a branch that names no WP is a usage error', async () => {
    nock(API)
      .get(`${REPO}/pulls/7`)
      .reply(
        200,
        exampleResponse('pulls/get', 200, {
          number: 7,
          head: { ref: 'feature/x', sha: '1'.repeat(40), repo: SAME_REPO },
        }),
      )
    const noWp = event('issue_comment.start-review')
    const result = await handleEvent('issue_comment', noWp, deps([]))
    expect(result.outcomes[0]!.envelope).toMatchObject({ error_code: 'USAGE_ERROR' })
    expect(result.outcomes[0]!.envelope.data['message']).toMatch(/feature\/x.*--mission/)
  })
})

describe('pull_request_review.submitted', () => {
  it('approved → transition to approved with the structured review result', async () => {
    permission('maintainer', 'admin')
    const ran: Ran[] = []
    await handleEvent('pull_request_review', event('pull_request_review.approved'), deps(ran))
    expect(ran[0]!.command).toBe('transition')
    const result = JSON.parse(
      ran[0]!.args.find((a) => a.startsWith('--review-result-json='))!.slice('--review-result-json='.length),
    )
    expect(result).toEqual({
      reviewer: 'maintainer',
      verdict: 'approved',
      reference: 'https://github.com/octo-org/project/pull/7#pullrequestreview-80',
    })
    expect(ran[0]!.args).toContain('--to=approved')
    expect(ran[0]!.key).toBe('github-review:80')
  })

  it('changes_requested → in_progress; commented → nothing', async () => {
    permission('maintainer', 'write')
    const ran: Ran[] = []
    const changes = event('pull_request_review.approved')
    changes.review.state = 'changes_requested'
    await handleEvent('pull_request_review', changes, deps(ran))
    expect(ran[0]!.args).toContain('--to=in_progress')
    const commented = event('pull_request_review.approved')
    commented.review.state = 'commented'
    expect((await handleEvent('pull_request_review', commented, deps(ran))).skipped).toMatch(/commented/)
    expect(ran).toHaveLength(1)
  })
})

describe('pull_request.labeled', () => {
  it('the merge label runs merge-mission and is removed even when the merge fails', async () => {
    permission('maintainer', 'write')
    const removed = nock(API)
      .delete(`${REPO}/issues/7/labels/kitty%3Amerge`)
      .reply(200, exampleArray('issues/remove-label', 200))
    const ran: Ran[] = []
    const result = await handleEvent('pull_request', event('pull_request.labeled'), deps(ran, 'fail'))
    expect(ran.map((r) => [r.command, r.args])).toEqual([
      ['merge-mission', ['--mission=099-test-mission', '--actor=github:maintainer']],
    ])
    expect(result.outcomes[0]!.envelope.error_code).toBe('PREFLIGHT_FAILED')
    expect(removed.isDone()).toBe(true)
  })

  it('another label is ignored', async () => {
    const other = event('pull_request.labeled')
    other.label.name = 'bug'
    const result = await handleEvent('pull_request', other, deps([]))
    expect(result.skipped).toMatch(/not the merge label/)
  })
})

describe('pull_request.closed (merge.via: pull_request)', () => {
  const closed = (over: { ref?: string; repo?: { full_name: string }; merged?: boolean; by?: string } = {}) => {
    const e = event('pull_request.labeled')
    e.action = 'closed'
    delete e.label
    e.pull_request.head = { ...e.pull_request.head, ref: over.ref ?? 'kitty/merge/099-test-mission' }
    if (over.repo) e.pull_request.head.repo = over.repo
    e.pull_request.merged = over.merged ?? true
    e.pull_request.merge_commit_sha = over.merged === false ? null : 'c'.repeat(40)
    if (over.by) e.pull_request.merged_by = { login: over.by, type: 'Bot' }
    return e
  }

  it('merged: merge-mission records it once per pull request and merge (no permission lookup: GitHub merged it)', async () => {
    const ran: Ran[] = []
    const result = await handleEvent('pull_request', closed({ by: 'github-merge-queue[bot]' }), deps(ran))
    expect(ran).toEqual([
      {
        command: 'merge-mission',
        args: [
          '--mission=099-test-mission',
          `--merged-commit=${'c'.repeat(40)}`,
          '--actor=github:github-merge-queue[bot]',
        ],
        key: `github-pull-merged:7:${'c'.repeat(40)}`,
      },
    ])
    expect(result.outcomes).toHaveLength(1)
  })

  it('closed without merging: a reply, nothing run; a fork or another branch: ignored', async () => {
    const ran: Ran[] = []
    const result = await handleEvent('pull_request', closed({ merged: false }), deps(ran))
    expect(ran).toEqual([])
    expect(result.outcomes[0]!.step).toMatchObject({ kind: 'reply', markdown: expect.stringMatching(/stays approved/) })
    const fork = await handleEvent('pull_request', closed({ repo: { full_name: 'someone/project' } }), deps(ran))
    expect(fork.outcomes).toEqual([])
    expect(ran).toEqual([])
    expect(readEvent('pull_request', closed({ ref: '099-test-mission-WP01' }))).toMatchObject({ kind: 'ignore' })
    expect(readEvent('pull_request', closed({ ref: 'kitty/merge/../etc' })).kind).toBe('ignore')
  })
})

describe('readEvent', () => {
  it('an event it cannot route, and /kitty on a plain issue, are unroutable', () => {
    expect(readEvent('push', {}).kind).toBe('unroutable')
    const onIssue = event('issue_comment.state')
    delete onIssue.issue.pull_request
    expect(readEvent('issue_comment', onIssue)).toMatchObject({
      kind: 'unroutable',
      message: expect.stringMatching(/not a pull request/),
    })
  })
})

describe('octokitApi: the calls the App adds (in_progress check run completed later, reactions)', () => {
  it('creates in_progress, completes with PATCH, reacts on the comment', async () => {
    const bodies: unknown[] = []
    const record = (body: unknown) => (bodies.push(body), true)
    nock(API)
      .post(`${REPO}/check-runs`, record)
      .reply(201, exampleResponse('checks/create', 201, { id: 9, html_url: 'https://github.example/checks/9' }))
    nock(API)
      .patch(`${REPO}/check-runs/9`, record)
      .reply(200, exampleResponse('checks/update', 200, { id: 9 }))
    nock(API)
      .post(`${REPO}/issues/comments/1500000001/reactions`, record)
      .reply(201, exampleResponse('reactions/create-for-issue-comment', 201, { id: 1, content: '+1' }))
    const api = octokitApi(getOctokit('t', { baseUrl: API, request: { fetch: contract.fetch } }), {
      owner: 'octo-org',
      repo: 'project',
    })
    const created = await api.createCheckRun({
      name: 'kitty/merge-mission',
      head_sha: '1'.repeat(40),
      status: 'in_progress',
      output: { title: 'Merging', summary: 'Started' },
    })
    await api.updateCheckRun(created.id!, {
      status: 'completed',
      conclusion: 'success',
      output: { title: 't', summary: 's', text: 'x' },
    })
    await api.addReaction(1500000001, '+1')
    expect(bodies).toEqual([
      {
        name: 'kitty/merge-mission',
        head_sha: '1'.repeat(40),
        status: 'in_progress',
        output: { title: 'Merging', summary: 'Started' },
      },
      { status: 'completed', conclusion: 'success', output: { title: 't', summary: 's', text: 'x' } },
      { content: '+1' },
    ])
  })
})

describe('settings that cannot be read', () => {
  it('CONFIG_INVALID answers the event (nothing runs), and the default merge label is still removed', async () => {
    const removed = nock(API)
      .delete(`${REPO}/issues/7/labels/kitty%3Amerge`)
      .reply(200, exampleArray('issues/remove-label', 200))
    const ran: Ran[] = []
    const broken = {
      ...deps(ran),
      readConfig: async () =>
        Promise.reject(new KittyError('CONFIG_INVALID', '.github/kitty.yml: merge.label too long')),
    }
    const result = await handleEvent('pull_request', event('pull_request.labeled'), broken)
    expect(ran).toEqual([])
    expect(result.outcomes[0]!.envelope).toMatchObject({ success: false, error_code: 'CONFIG_INVALID' })
    expect(removed.isDone()).toBe(true)
  })
})

describe("rate limits and API errors as GitHub's REST docs shape them (the Action's Octokit: no retry)", () => {
  const reset = 1_900_000_000
  const primary = {
    'x-ratelimit-limit': '5000',
    'x-ratelimit-remaining': '0',
    'x-ratelimit-used': '5000',
    'x-ratelimit-reset': String(reset),
    'x-ratelimit-resource': 'core',
  }
  const commentOn7 = () => handleEvent('issue_comment', event('issue_comment.start-review'), deps(ran))
  let ran: Ran[] = []

  it('primary limit on the pull request (403, remaining 0): refused at once, nothing runs, the reset time said', async () => {
    ran = []
    nock(API)
      .get(`${REPO}/pulls/7`)
      .reply(403, basicError('API rate limit exceeded for installation ID 4242.', 403), primary)
    const result = await commentOn7()
    expect(ran).toEqual([])
    expect(result.outcomes[0]!.envelope).toMatchObject({ success: false, error_code: 'REMOTE_UNREACHABLE' })
    expect(result.outcomes[0]!.envelope.data['message']).toMatch(
      /^Could not read pull request #7: HTTP 403: API rate limit exceeded for installation ID 4242\..*\(GitHub's rate limit: try again at 2030-03-17T17:46:40\.000Z\)$/,
    )
  })

  it('429 with retry-after on the permission lookup: refused (fail closed), the wait said', async () => {
    ran = []
    pull7()
    nock(API)
      .get(`${REPO}/collaborators/maintainer/permission`)
      .reply(429, basicError('API rate limit exceeded', 429), { 'retry-after': '60' })
    const result = await commentOn7()
    expect(ran).toEqual([])
    expect(result.outcomes[0]!.envelope.error_code).toBe('PERMISSION_DENIED')
    expect(result.outcomes[0]!.envelope.data['message']).toMatch(/HTTP 429.*GitHub's rate limit: try again in 60 s/)
  })

  it('a secondary limit (403, retry-after, no remaining 0): refused, the wait said', async () => {
    ran = []
    pull7()
    nock(API)
      .get(`${REPO}/collaborators/maintainer/permission`)
      .reply(
        403,
        basicError(
          'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID ABCD:1234.',
          403,
        ),
        { 'retry-after': '30', 'x-ratelimit-remaining': '4990' },
      )
    const result = await commentOn7()
    expect(ran).toEqual([])
    expect(result.outcomes[0]!.envelope.data['message']).toMatch(/secondary rate limit.*try again in 30 s/)
  })

  it('a 403 that is a missing permission is not called a rate limit', async () => {
    ran = []
    pull7()
    nock(API)
      .get(`${REPO}/collaborators/maintainer/permission`)
      .reply(403, basicError('Resource not accessible by integration', 403), { 'x-ratelimit-remaining': '4999' })
    const result = await commentOn7()
    expect(result.outcomes[0]!.envelope.data['message']).toMatch(/Resource not accessible by integration/)
    expect(result.outcomes[0]!.envelope.data['message']).not.toMatch(/rate limit/)
  })

  it('5xx on the pull request: refused with the status, one request (a re-run of the workflow retries)', async () => {
    ran = []
    nock(API).get(`${REPO}/pulls/7`).reply(503, basicError('Service Unavailable', 503))
    const result = await commentOn7()
    expect(ran).toEqual([])
    expect(result.outcomes[0]!.envelope).toMatchObject({ error_code: 'REMOTE_UNREACHABLE' })
    expect(result.outcomes[0]!.envelope.data['message']).toMatch(/HTTP 503: Service Unavailable/)
  })
})

/** A pull request whose head lives in another repository (or in none) never names a WP by its branch (D5). */
describe('forks: the head repository is compared with the base', () => {
  const FORK = { full_name: 'mallory/project' }
  const forkReview = (repo: { full_name: string } | null) => {
    const p = event('pull_request_review.approved')
    p.pull_request.head.repo = repo
    return p
  }

  it.each([
    ['a fork', FORK, /another repository \(mallory\/project\), not octo-org\/project/],
    ['a deleted head repository', null, /a repository that no longer exists/],
  ])(
    "a maintainer's approving review on %s's WP-named branch: refused with why, nothing runs, no lookup",
    async (_w, repo, why) => {
      const ran: Ran[] = []
      const result = await handleEvent('pull_request_review', forkReview(repo), deps(ran))
      expect(ran).toEqual([])
      expect(result.outcomes).toHaveLength(1)
      const [outcome] = result.outcomes
      expect(outcome!.step).toMatchObject({ kind: 'refuse', code: 'USAGE_ERROR' })
      expect(outcome!.step).not.toHaveProperty('quiet')
      expect(outcome!.envelope.data['message']).toMatch(why)
      expect(outcome!.envelope.data['message']).toMatch(/fork's branch name/)
    },
  )

  it('a review on a fork whose branch names no WP is an ordinary code review: quiet', async () => {
    const p = forkReview(FORK)
    p.pull_request.head.ref = 'patch-1'
    const result = await handleEvent('pull_request_review', p, deps([]))
    expect(result.outcomes[0]!.step).toMatchObject({ kind: 'refuse', quiet: true })
  })

  it('the repository names its head in another case: the same repository (GitHub names are case-insensitive)', async () => {
    permission('maintainer', 'write')
    const ran: Ran[] = []
    await handleEvent('pull_request_review', forkReview({ full_name: 'Octo-Org/Project' }), deps(ran))
    expect(ran.map((r) => r.command)).toEqual(['transition'])
  })

  it("a maintainer's /kitty approve on a fork: refused with why, before any permission lookup; nothing runs", async () => {
    pull7(FORK)
    const ran: Ran[] = []
    const result = await handleEvent('issue_comment', event('issue_comment.start-review'), deps(ran))
    expect(ran).toEqual([])
    expect(result.outcomes[0]!.envelope).toMatchObject({ success: false, error_code: 'USAGE_ERROR' })
    expect(result.outcomes[0]!.envelope.data['message']).toMatch(/mallory\/project[\s\S]*no write/)
  })

  it('even a write naming --mission and --wp is refused on a fork', async () => {
    pull7(FORK)
    const comment = event('issue_comment.start-review')
    comment.comment.body = '/kitty approve --mission 099-test-mission --wp WP01'
    const ran: Ran[] = []
    const result = await handleEvent('issue_comment', comment, deps(ran))
    expect(ran).toEqual([])
    expect(result.outcomes[0]!.envelope.error_code).toBe('USAGE_ERROR')
  })

  it('reads on a fork: only with --mission named; the branch name is never used', async () => {
    pull7(FORK)
    const state = event('issue_comment.state')
    const ran: Ran[] = []
    const bare = await handleEvent('issue_comment', state, deps(ran))
    expect(ran).toEqual([])
    expect(bare.outcomes[0]!.envelope.data['message']).toMatch(/needs --mission <slug> here[\s\S]*mallory\/project/)
    pull7(FORK)
    state.comment.body = '/kitty state --mission 099-test-mission'
    await handleEvent('issue_comment', state, deps(ran))
    expect(ran.map((r) => [r.command, r.args.find((a) => a.startsWith('--mission='))])).toEqual([
      ['mission-state', '--mission=099-test-mission'],
    ])
  })

  it('the merge label on a fork: refused with why, nothing runs, the label still pops back up', async () => {
    const removed = nock(API).delete(`${REPO}/issues/7/labels/kitty%3Amerge`).reply(200, [])
    const labeled = event('pull_request.labeled')
    labeled.pull_request.head.repo = FORK
    const ran: Ran[] = []
    const result = await handleEvent('pull_request', labeled, deps(ran))
    expect(ran).toEqual([])
    expect(result.outcomes[0]!.envelope.data['message']).toMatch(/mallory\/project/)
    expect(removed.isDone()).toBe(true)
  })
})

/** Who may cause a check run on the pull request head (D3): a writer's write, nothing else. */
describe('publishesCheckRun', () => {
  it("a writer's write: yes; its redelivery that changed nothing: no", async () => {
    pull7()
    permission('maintainer', 'write')
    const result = await handleEvent('issue_comment', event('issue_comment.start-review'), deps([]))
    expect(result.outcomes.map(publishesCheckRun)).toEqual([true])
    const again = {
      ...result.outcomes[0]!,
      envelope: makeEnvelope('start-review', true, { duplicate_of: 'a'.repeat(40) }),
    }
    expect(publishesCheckRun(again)).toBe(false)
  })

  it("a non-writer's refused write, a read by anyone, help and a usage error: no", async () => {
    pull7()
    permission('outsider', 'read')
    const refused = await handleEvent('issue_comment', event('issue_comment.read-only-approve'), deps([]))
    pull7()
    const read = event('issue_comment.state')
    read.comment.body = '/kitty state\n/kitty help\n/kitty aprove'
    const answered = await handleEvent('issue_comment', read, deps([]))
    expect([...refused.outcomes, ...answered.outcomes].map(publishesCheckRun)).toEqual([false, false, false, false])
  })
})

describe("a bot's merge label", () => {
  it('is taken off again and nothing else happens', async () => {
    const removed = nock(API).delete(`${REPO}/issues/7/labels/kitty%3Amerge`).reply(200, [])
    const labeled = event('pull_request.labeled')
    labeled.sender = { login: 'renovate[bot]', type: 'Bot' }
    const ran: Ran[] = []
    const result = await handleEvent('pull_request', labeled, deps(ran))
    expect(ran).toEqual([])
    expect(result.outcomes).toEqual([])
    expect(result.skipped).toMatch(/bot renovate\[bot\]/)
    expect(removed.isDone()).toBe(true)
  })

  it("a bot's other label: left alone", async () => {
    const labeled = event('pull_request.labeled')
    labeled.sender = { login: 'renovate[bot]', type: 'Bot' }
    labeled.label.name = 'dependencies'
    expect((await handleEvent('pull_request', labeled, deps([]))).skipped).toMatch(/not the merge label/)
  })
})
