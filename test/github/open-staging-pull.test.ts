import { getOctokit } from '@actions/github'
import nock from 'nock'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { makeEnvelope, makeFailure } from '../../src/core/envelope.ts'
import { octokitApi } from '../../src/github/github-api.ts'
import { openStagingPull, stagedPlanOf, stagingPullBody } from '../../src/github/open-staging-pull.ts'

const API = 'https://api.github.example'
const REPO = '/repos/octo-org/project'
const STAGING = 'kitty/merge/099-test-mission'

beforeAll(() => nock.disableNetConnect())
afterEach(() => {
  const pending = nock.pendingMocks()
  nock.cleanAll()
  expect(pending, 'every mocked REST call was made').toEqual([])
})

const api = () =>
  octokitApi(getOctokit('test-token', { baseUrl: API, request: { fetch: globalThis.fetch, retries: 0 } }), {
    owner: 'octo-org',
    repo: 'project',
  })

function staged(title = 'Checkout flow') {
  return makeEnvelope('merge-mission', true, {
    mission_slug: '099-test-mission',
    via: 'pull_request',
    strategy: 'squash',
    staging_commit: 'b'.repeat(40),
    already_merged_wps: [],
    pull_request: {
      head: STAGING,
      base: 'main',
      title: 'kitty: merge mission 099-test-mission into main',
      work_packages: [
        { wp_id: 'WP01', title, outcome: 'merged', review_status: 'approved', reviewed_by: 'alice', review_ref: null },
      ],
    },
  })
}

describe('stagedPlanOf', () => {
  it('only a successful pull_request-mode envelope with a kitty/merge/ head', () => {
    expect(stagedPlanOf(staged())).toMatchObject({ head: STAGING, base: 'main', stagingCommit: 'b'.repeat(40) })
    expect(stagedPlanOf(makeFailure('merge-mission', 'PREFLIGHT_FAILED', 'no'))).toBeNull()
    const elsewhere = staged()
    ;(elsewhere.data['pull_request'] as { head: string }).head = 'main'
    expect(stagedPlanOf(elsewhere)).toBeNull()
  })
})

describe('stagingPullBody', () => {
  it('escapes every word a WP author wrote: no mention, no link, no HTML, no table break', () => {
    const plan = stagedPlanOf(staged('@everyone <img src=x onerror=alert(1)> [x](http://evil) | cell'))!
    const body = stagingPullBody(plan, staged(), null)
    const row = body.split('\n').find((l) => l.startsWith('| 1 |'))!
    expect(row).not.toMatch(/(^|[^\\])<img/)
    expect(row).not.toMatch(/(^|[^\u2060])@everyone/)
    expect(row).not.toContain('](http://evil)')
    expect(row.split(' | ')).toHaveLength(7)
  })
})

describe('openStagingPull', () => {
  it('two replicas at once: the create GitHub refuses (422, it exists) becomes an update of the one there', async () => {
    const pullJson = { number: 12, html_url: 'https://github.example/pull/12', node_id: 'PR_12' }
    nock(API)
      .get(`${REPO}/pulls`)
      .query({ head: `octo-org:${STAGING}`, base: 'main', state: 'open', per_page: 10 })
      .reply(200, [])
    nock(API)
      .post(`${REPO}/pulls`, (b) => b.head === STAGING && b.base === 'main')
      .reply(422, {
        message: 'Validation Failed',
        errors: [{ message: `A pull request already exists for octo-org:${STAGING}.` }],
      })
    nock(API).get(`${REPO}/pulls`).query(true).reply(200, [pullJson])
    nock(API).patch(`${REPO}/pulls/12`).reply(200, pullJson)
    nock(API)
      .post(`${REPO}/check-runs`, (b) => b.name === 'kitty/merge-mission' && b.head_sha === 'b'.repeat(40))
      .reply(201, { id: 1 })
    nock(API)
      .post('/graphql', (b) => b.variables.id === 'PR_12' && b.variables.method === 'REBASE')
      .reply(200, { data: {} })
    const opened = await openStagingPull(
      api(),
      'octo-org',
      stagedPlanOf(staged())!,
      staged(),
      { autoMerge: 'rebase' },
      () => {},
    )
    expect(opened).toEqual({ number: 12, url: 'https://github.example/pull/12', created: false, auto_merge: 'enabled' })
  })
})

describe('enableAutoMerge: where GraphQL lives', () => {
  const sent = async (baseUrl: string) => {
    const urls: string[] = []
    const fetch = async (url: string | URL | Request) => {
      urls.push(String(url))
      return new Response(JSON.stringify({ data: { enablePullRequestAutoMerge: { pullRequest: { number: 1 } } } }), {
        status: 200,
        headers: { 'content-type': 'application/json' },
      })
    }
    const api = octokitApi(getOctokit('t', { baseUrl, request: { fetch } }), { owner: 'o', repo: 'r' })
    await api.pulls!.enableAutoMerge('PR_node1', 'squash')
    return urls
  }

  it('github.com: /graphql beside the REST API', async () => {
    expect(await sent('https://api.github.com')).toEqual(['https://api.github.com/graphql'])
  })

  it('GitHub Enterprise Server: /api/graphql, not /api/v3/graphql', async () => {
    expect(await sent('https://ghe.example/api/v3')).toEqual(['https://ghe.example/api/graphql'])
  })
})
