import { createHmac, randomUUID } from 'node:crypto'
import { request } from 'node:http'
import type { WARM_UP_ROLE } from '../worker/worker-messages.ts'

/**
 * The warm-up's sender (warm-up-receiver.ts): runs in a worker thread of its own, so the HTTP client's
 * code and type feedback live in another isolate than the receiver's. In the receiving isolate the
 * client's use of Node's shared HTTP internals would leave them shaped by both sides, which a burst
 * from GitHub does not (BENCHMARKS.md: a sender in the receiver's own isolate warmed it up far less).
 */

export interface WarmUpData {
  role: typeof WARM_UP_ROLE
  /** The scratch receiver's loopback address and webhook path. */
  port: number
  path: string
  secret: string
  count: number
  inFlight: number
}

export interface WarmUpReport {
  /** Deliveries the scratch receiver answered 202. */
  acknowledged: number
  /** Any other answer, or no answer: the first one's reason, for the App's log line. */
  failed: number
  firstFailure?: string
}

/**
 * A `/kitty state` comment as GitHub sends it (issue_comment, created), in the shape and size of the
 * real thing: the receiver parses it, reads the repository and installation, and routes it as a command.
 * The names are reserved (`.invalid`), never a real repository; it never leaves the process.
 */
export function warmUpPayload(n: number): string {
  const owner = { login: `warm-up-${n % 5}`, id: 1000 + (n % 5), type: 'Organization', site_admin: false }
  const user = { login: 'warm-up-user', id: 7, type: 'User', site_admin: false }
  const name = `repository-${n % 5}`
  const base = `https://warm-up.invalid/${owner.login}/${name}`
  return JSON.stringify({
    action: 'created',
    issue: {
      url: `${base}/issues/${n}`,
      number: n,
      title: 'Warm-up',
      user,
      labels: [],
      state: 'open',
      locked: false,
      comments: 1,
      created_at: '2026-01-01T00:00:00Z',
      updated_at: '2026-01-01T00:00:00Z',
      author_association: 'OWNER',
      pull_request: { url: `${base}/pulls/${n}` },
      body: 'A pull request the App never sees: its own start-up traffic.',
    },
    comment: {
      id: 10_000 + n,
      url: `${base}/issues/comments/${10_000 + n}`,
      user,
      created_at: '2026-01-01T00:00:00Z',
      updated_at: '2026-01-01T00:00:00Z',
      author_association: 'OWNER',
      body: '/kitty state',
    },
    repository: {
      id: 2000 + (n % 5),
      name,
      full_name: `${owner.login}/${name}`,
      private: true,
      owner,
      html_url: base,
      default_branch: 'main',
    },
    organization: { login: owner.login, id: owner.id },
    sender: user,
    installation: { id: 3000 + (n % 5) },
  })
}

function post(data: WarmUpData, n: number): Promise<string | null> {
  const body = Buffer.from(warmUpPayload(n))
  const signature = `sha256=${createHmac('sha256', data.secret).update(body).digest('hex')}`
  return new Promise((resolve) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: data.port,
        path: data.path,
        method: 'POST',
        // A fresh connection each, as GitHub opens them.
        agent: false,
        headers: {
          'content-type': 'application/json',
          'content-length': body.length,
          'user-agent': 'GitHub-Hookshot/warm-up',
          'x-github-event': 'issue_comment',
          'x-github-delivery': randomUUID(),
          'x-hub-signature-256': signature,
        },
      },
      (res) => {
        res.resume()
        res.once('end', () => resolve(res.statusCode === 202 ? null : `answered ${res.statusCode}`))
      },
    )
    req.once('error', (err) => resolve(err.message))
    req.end(body)
  })
}

export async function sendWarmUp(data: WarmUpData): Promise<WarmUpReport> {
  const report: WarmUpReport = { acknowledged: 0, failed: 0 }
  let next = 0
  const lane = async () => {
    while (next < data.count) {
      const failure = await post(data, next++)
      if (failure === null) report.acknowledged++
      else {
        report.failed++
        report.firstFailure ??= failure
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(data.inFlight, data.count) }, lane))
  return report
}
