import { createHmac, randomBytes } from 'node:crypto'
import { request } from 'node:http'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createAppMetrics } from './app-metrics.ts'
import type { LogLike } from './handle-delivery.ts'
import { createWebhookReceiver } from './receive-webhook.ts'

/**
 * Before the App listens, its receiving path runs over deliveries it sends itself on loopback, to a
 * receiver of its own that records nothing (KITTY_WARM_DELIVERIES, default 1,000). V8 compiles a
 * function's fast code only after it has run many times: a 500-delivery burst reaching a freshly
 * started App spent about half of its receiving thread's time compiling (BENCHMARKS.md, "fourth
 * pass"), and an App that had served a while acknowledged the same burst in about half the time.
 *
 * Nothing here reaches the App's queue, its metrics or its log: the receiver is a separate instance
 * (same code) with a queue that knows every delivery, a registry of its own and a log to /dev/null. It
 * listens on 127.0.0.1 on a free port, under a secret made for the occasion, and is closed before the
 * App's own server listens.
 */

/** Requests in flight at once: a burst's shape (many connections), not one connection at a time. */
const IN_FLIGHT = 50
/** A slow machine must not hold the start: whatever is sent by then is enough. */
const BUDGET_MS = 5_000
const PATH = '/api/github/webhooks'

export interface WarmOptions {
  /** How many deliveries to send; 0 sends none. */
  deliveries: number
  /** Where the warm-up receiver logs: a log like the App's, writing where nobody reads. */
  log: LogLike
  maxBytes: number
}

export interface Warmed {
  sent: number
  ms: number
}

/** An `issue_comment` as GitHub sends it for `/kitty state` on a pull request: the fields the receiver reads. */
function samplePayload(n: number): string {
  const owner = { login: 'kitty-warm-up', id: 1, type: 'Organization' }
  const user = { login: 'kitty-warm-up-user', id: 2, type: 'User' }
  return JSON.stringify({
    action: 'created',
    issue: {
      number: (n % 50) + 1,
      title: 'WP01: warm-up',
      state: 'open',
      user,
      labels: [],
      pull_request: { url: 'https://api.github.com/repos/kitty-warm-up/warm-up/pulls/1' },
    },
    comment: { id: 1_000_000 + n, body: '/kitty state', user, author_association: 'MEMBER' },
    repository: {
      id: 3,
      name: 'warm-up',
      full_name: 'kitty-warm-up/warm-up',
      private: true,
      owner,
      clone_url: 'https://github.com/kitty-warm-up/warm-up.git',
      default_branch: 'main',
    },
    organization: owner,
    sender: user,
    installation: { id: 4 },
  })
}

function send(url: string, secret: string, n: number): Promise<void> {
  const body = samplePayload(n)
  const signature = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`
  return new Promise((resolve) => {
    const req = request(url, {
      method: 'POST',
      // A fresh connection each, as GitHub sends them.
      agent: false,
      headers: {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        'x-github-event': 'issue_comment',
        'x-github-delivery': `warm-up-${n}`,
        'x-hub-signature-256': signature,
      },
    })
    req.on('response', (res) => res.resume().on('end', resolve).on('error', resolve))
    req.on('error', () => resolve())
    req.end(body)
  })
}

export async function warmReceiver(options: WarmOptions): Promise<Warmed> {
  const started = performance.now()
  if (options.deliveries <= 0) return { sent: 0, ms: 0 }
  const secret = randomBytes(32).toString('hex')
  const receive = createWebhookReceiver({
    path: PATH,
    log: options.log,
    // Every delivery is one the queue already has: the receiver answers 202 and records nothing.
    queue: { enqueue: async () => 'duplicate' },
    secret,
    maxBytes: options.maxBytes,
    metrics: createAppMetrics(() => 0, { processWide: false }),
  })
  const server = createServer((req, res) => void receive(req, res))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${PATH}`
  let next = 0
  const lane = async () => {
    while (next < options.deliveries && performance.now() - started < BUDGET_MS) await send(url, secret, next++)
  }
  try {
    await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, options.deliveries) }, lane))
  } finally {
    await new Promise<void>((resolve) => {
      server.close(() => resolve())
      server.closeAllConnections()
    })
  }
  return { sent: next, ms: Math.round(performance.now() - started) }
}
