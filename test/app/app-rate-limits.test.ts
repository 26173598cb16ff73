import { describe, expect, it } from 'vitest'
import { useSharedApp } from '../helpers/app-fixture.ts'
import { deliver, logLines } from '../helpers/app-process.ts'
import { basicError } from '../helpers/github-openapi.ts'
import type { RecordedRequest } from '../helpers/rest-stand-in.ts'
import { until as waitUntil } from '../helpers/until.ts'

/**
 * The App (dist/app.js, its own process) when GitHub answers with its rate limits and server errors,
 * shaped as GitHub's REST docs describe them. Probot's Octokit waits out a primary limit (403 with
 * x-ratelimit-remaining 0, or 429 with retry-after) and retries twice, retries 5xx three times with
 * growing pauses, and does not retry a secondary limit. What matters here: each ends in the answer
 * GitHub would have had (or a logged give-up that names the limit), never a crash or a silent drop.
 */

const fx = useSharedApp({
  token: 'ghs_AppInstallationTokenNeverLogged0123',
  repoPrefix: 'limits',
  lanes: { WP01: 'for_review' },
})

/** A fresh repository and `/kitty state` by a reader: a pull request read, a reply, a reaction (reads get no check run). */
async function stateComment(fault: () => void): Promise<void> {
  fx.createRepo()
  fault()
  const res = await deliver(fx.app.url, 'issue_comment', fx.comment('/kitty state', 'outsider'))
  // 202 is the App's "still working" past its answer deadline: a wait for a rate limit may cause it.
  expect([200, 202]).toContain(res.status)
}

const ours = (method: string, suffix: string) => (r: RecordedRequest) =>
  r.method === method && r.path.startsWith(`/repos/octo-org/${fx.repo.name}/`) && r.path.endsWith(suffix)

const until = (what: string, done: () => boolean) =>
  waitUntil(what, done, 60_000, { everyMs: 100, detail: () => fx.app.output().slice(-3000) })

const count = (method: string, suffix: string) => fx.rest.requests.filter(ours(method, suffix)).length
const warnings = () =>
  logLines(fx.app.output())
    .filter((l) => (l['level'] as number) >= 40)
    .map((l) => String(l['msg']))

describe("the App under GitHub's rate limits and server errors", () => {
  it('a primary limit on the reply (403, x-ratelimit-remaining 0): waits for the reset and replies', async () => {
    const reset = Math.ceil(Date.now() / 1000) + 1
    const fault = () =>
      fx.rest.fail(/^POST .*\/issues\/7\/comments$/, {
        status: 403,
        headers: {
          'x-ratelimit-limit': '5000',
          'x-ratelimit-remaining': '0',
          'x-ratelimit-reset': String(reset),
          'x-ratelimit-resource': 'core',
        },
        body: basicError('API rate limit exceeded for installation ID 4242.', 403),
      })
    const started = Date.now()
    await stateComment(fault)
    await until('the reply, retried', () => count('POST', '/issues/7/comments') === 2)
    expect(Date.now() - started).toBeGreaterThanOrEqual(500)
    await until('the reaction', () => count('POST', '/reactions') === 1)
    expect(warnings().join('\n')).toMatch(/[Rr]ate limit|quota exhausted/)
  })

  it('429 with retry-after on the reaction: waits the seconds it says, then reacts', async () => {
    const fault = () =>
      fx.rest.fail(/^POST .*\/reactions$/, {
        status: 429,
        headers: { 'retry-after': '1' },
        body: basicError('API rate limit exceeded', 429),
      })
    await stateComment(fault)
    await until('the reaction, retried', () => count('POST', '/reactions') === 2)
    expect(count('POST', '/issues/7/comments')).toBe(1)
  })

  it('a secondary limit on the reaction: not retried, the give-up logged with the wait GitHub asked for', async () => {
    const fault = () =>
      fx.rest.fail(/^POST .*\/reactions$/, {
        status: 403,
        headers: { 'retry-after': '1', 'x-ratelimit-remaining': '4990' },
        body: basicError(
          'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID ABCD:1234.',
          403,
        ),
      })
    await stateComment(fault)
    await until('the give-up', () => warnings().some((w) => w.includes('could not react to the comment')))
    expect(count('POST', '/reactions')).toBe(1)
    expect(warnings().find((w) => w.includes('could not react'))).toMatch(
      /HTTP 403: You have exceeded a secondary rate limit.*\(GitHub's rate limit: try again in 1 s\)/,
    )
    expect(count('POST', '/issues/7/comments')).toBe(1)
  })

  it('a 502 on the pull request: retried, and the command runs', async () => {
    const fault = () => fx.rest.fail(/^GET .*\/pulls\/7$/, { status: 502, body: basicError('Server Error', 502) })
    await stateComment(fault)
    await until('the reply', () => count('POST', '/issues/7/comments') === 1)
    expect(count('GET', '/pulls/7')).toBe(2)
    const reply = fx.rest.requests.find(ours('POST', '/issues/7/comments'))!.body as { body: string }
    expect(reply.body).toContain('WP01')
  })

  it('5xx that does not stop: gives up after the retries and says so on the pull request', async () => {
    const fault = () =>
      fx.rest.fail(/^GET .*\/pulls\/7$/, { status: 503, body: basicError('Service Unavailable', 503) }, 10)
    await stateComment(fault)
    await until('the reply', () => count('POST', '/issues/7/comments') === 1)
    const reply = fx.rest.requests.find(ours('POST', '/issues/7/comments'))!.body as { body: string }
    expect(reply.body).toMatch(/REMOTE_UNREACHABLE/)
    expect(reply.body).toMatch(/Could not read pull request #7: HTTP 503/)
    // The first try and plugin-retry's three.
    expect(count('GET', '/pulls/7')).toBe(4)
    expect(count('POST', '/check-runs')).toBe(0)
  })
})
