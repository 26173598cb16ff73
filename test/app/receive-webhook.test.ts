import { randomUUID } from 'node:crypto'
import { request } from 'node:http'
import type { OutgoingHttpHeaders } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AppProcess } from '../helpers/app-process.ts'
import { APP_OWN_WARM_UP, logLines, sign, startAppProcess } from '../helpers/app-process.ts'
import type { RestStandIn } from '../helpers/rest-stand-in.ts'
import { startRestStandIn } from '../helpers/rest-stand-in.ts'

/**
 * The webhook endpoint of the App as deployed (dist/app.js, its own process) against hostile requests:
 * bodies over the limit (announced or streamed), forged signatures carrying text that must not reach
 * the log, and signed deliveries GitHub would never send. WEBHOOK_MAX_BYTES is 1 MB here so a body at
 * the limit costs little; the default (GitHub's 25 MB) is checked on its own.
 */

const LIMIT = 1_000_000
const PATH = '/api/github/webhooks'

let rest: RestStandIn
let app: AppProcess

beforeAll(async () => {
  rest = await startRestStandIn()
  app = await startAppProcess(rest.url, { WEBHOOK_MAX_BYTES: String(LIMIT) })
})
afterAll(async () => {
  expect(await app?.stop()).toBe(0)
  await rest?.close()
})

interface Answer {
  status: number
  body: string
  /** Body bytes written before the answer came (streamed requests only). */
  written: number
  /** The App closed the connection after answering. */
  closed: boolean
}

function headersFor(body: string | null, extra: Record<string, string | null> = {}): OutgoingHttpHeaders {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    // Kept open unless the App closes it: a refused upload must be cut off by the App itself.
    connection: 'keep-alive',
    'x-github-event': 'ping',
    'x-github-delivery': randomUUID(),
  }
  if (body !== null) headers['x-hub-signature-256'] = sign(body)
  for (const [k, v] of Object.entries(extra)) {
    if (v === null) delete headers[k]
    else headers[k] = v
  }
  return headers
}

/** One request on its own connection; `body` as one write, or `stream` writing until the App answers. */
function post(
  headers: OutgoingHttpHeaders,
  send: { body?: string; stream?: { chunk: Buffer; maxBytes: number }; method?: string; watchClose?: boolean } = {},
): Promise<Answer> {
  const { hostname, port } = new URL(app.url)
  return new Promise((resolve, reject) => {
    let written = 0
    let answered: Omit<Answer, 'closed'> | undefined
    const timer = setTimeout(() => reject(new Error(`no answer after 20 s (${written} bytes written)`)), 20_000)
    const req = request({ hostname, port, path: PATH, method: send.method ?? 'POST', headers, agent: false })
    req.on('response', (res) => {
      let text = ''
      res.on('data', (d: Buffer) => (text += d.toString()))
      res.on('end', () => {
        answered = { status: res.statusCode ?? 0, body: text, written }
        // A refused upload is cut off: the App closes the socket soon after the answer (keep-alive otherwise).
        const closed = new Promise<boolean>((r) => {
          if (!send.watchClose) return r(false)
          req.socket?.once('close', () => r(true))
          setTimeout(() => r(req.socket?.destroyed ?? false), 5_000)
        })
        void closed.then((c) => {
          clearTimeout(timer)
          req.destroy()
          resolve({ ...answered!, closed: c })
        })
      })
    })
    // Writing into a connection the App has closed fails; the answer is what counts.
    req.on('error', (err) => (answered ? undefined : setTimeout(() => answered || reject(err), 1_000)))
    if (send.stream) {
      const { chunk, maxBytes } = send.stream
      const pump = () => {
        while (!answered && !req.destroyed && written < maxBytes) {
          written += chunk.length
          if (!req.write(chunk)) return void req.once('drain', pump)
        }
        if (written >= maxBytes && !req.destroyed) req.end()
      }
      req.flushHeaders()
      pump()
    } else if (send.body !== undefined) {
      req.end(send.body)
    } else {
      // Headers only: an answer now means the App decided without waiting for the body.
      req.flushHeaders()
    }
  })
}

/** A `ping` payload of exactly `size` bytes, with `marker` inside. */
function payloadOf(size: number, marker = 'x'): string {
  const head = `{"zen":"${marker}","pad":"`
  return `${head}${'a'.repeat(size - head.length - 2)}"}`
}

/** The App's log lines that match, once some have arrived (the answer can overtake the log on its pipe). */
async function logged(match: (line: Record<string, unknown>) => boolean): Promise<Array<Record<string, unknown>>> {
  for (let waited = 0; waited < 5_000; waited += 50) {
    const lines = logLines(app.output()).filter(match)
    if (lines.length > 0) return lines
    await new Promise((r) => setTimeout(r, 50))
  }
  return []
}
const linesFor = (id: unknown) => logged((l) => l['delivery'] === id)
const pings = async () =>
  Number(/kitty_webhook_deliveries_total\{event="ping",action=""\} (\d+)/.exec(await metrics())?.[1] ?? 0)
const metrics = async () => (await fetch(`${app.url}/metrics`)).text()

describe('body size', () => {
  it('the default limit is GitHub’s 25 MB; WEBHOOK_MAX_BYTES must be a positive whole number', async () => {
    const { webhookMaxBytes } = await import('../../src/app/app-environment.ts')
    expect(webhookMaxBytes({})).toBe(25 * 1024 * 1024)
    expect(webhookMaxBytes({ WEBHOOK_MAX_BYTES: '4096' })).toBe(4096)
    for (const bad of ['0', '-1', '1.5', 'lots', '1e400'])
      expect(() => webhookMaxBytes({ WEBHOOK_MAX_BYTES: bad })).toThrow()
  })

  it('a body at exactly the limit is read, verified and handed to the App', async () => {
    const body = payloadOf(LIMIT)
    expect(Buffer.byteLength(body)).toBe(LIMIT)
    const before = await pings()
    const res = await post(headersFor(body), { body })
    expect(res.status, res.body).toBe(200)
    expect(await pings()).toBe(before + 1)
  })

  it('a Content-Length one byte over: 413 before a byte of the body is sent, one log line, connection closed', async () => {
    const headers = headersFor('{}', { 'content-length': String(LIMIT + 1) })
    const res = await post(headers, { watchClose: true })
    expect(res.status).toBe(413)
    expect(res.closed).toBe(true)
    const lines = await linesFor(headers['x-github-delivery'])
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatchObject({ event: 'ping', level: 40, status: 413, reason: 'body over WEBHOOK_MAX_BYTES' })
    expect(lines[0]!['msg']).toContain(`Content-Length ${LIMIT + 1} > ${LIMIT}`)
  })

  it('Expect: 100-continue over the limit: 413 instead of 100, the body is never asked for', async () => {
    const res = await post(headersFor('{}', { 'content-length': String(50 * LIMIT), expect: '100-continue' }))
    expect(res.status).toBe(413)
  })

  it('a chunked body without Content-Length: 413 once past the limit, reading stops, connection closed', async () => {
    const headers = headersFor('{}', { 'transfer-encoding': 'chunked' })
    // Up to 64 MB may be offered; the App must answer long before (socket buffers hold a few MB at most).
    const res = await post(headers, {
      stream: { chunk: Buffer.alloc(64 * 1024, 'a'), maxBytes: 64 * LIMIT },
      watchClose: true,
    })
    expect(res.status).toBe(413)
    expect(res.written).toBeLessThan(32 * LIMIT)
    expect(res.closed).toBe(true)
    const lines = await linesFor(headers['x-github-delivery'])
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatchObject({ status: 413, reason: 'body over WEBHOOK_MAX_BYTES' })
  })

  it('the App keeps serving after refusing bodies', async () => {
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200)
  })
})

describe('forged deliveries', () => {
  it('a wrong signature: 400, one log line with id, event and reason, no payload or other header text', async () => {
    const marker = `PAYLOAD-MARKER-${randomUUID()}`
    const headerMarker = `HEADER-MARKER-${randomUUID()}`
    const body = payloadOf(200_000, marker)
    const headers = headersFor(body, {
      'x-hub-signature-256': sign(body, 'not-the-secret'),
      'user-agent': headerMarker,
      'x-github-hook-installation-target-id': headerMarker,
    })
    const before = await pings()
    const res = await post(headers, { body })
    expect(res.status).toBe(400)
    expect(await pings()).toBe(before)
    const lines = await linesFor(headers['x-github-delivery'])
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatchObject({ event: 'ping', reason: 'signature mismatch' })
    await new Promise((r) => setTimeout(r, 200))
    expect(app.output()).not.toContain(marker)
    expect(app.output()).not.toContain(headerMarker)
    expect(app.output()).not.toContain('aaaaaaaaaaaaaaaa')
  })

  it('a signature made over other bytes than the body (same length): 400', async () => {
    const body = payloadOf(1_000)
    const res = await post(headersFor(body, { 'x-hub-signature-256': sign(body.replace('a', 'b')) }), { body })
    expect(res.status).toBe(400)
  })

  it('no signature, a sha1 one, a truncated one: 400 before the body is read', async () => {
    for (const signature of [null, 'sha1=0123456789abcdef0123456789abcdef01234567', 'sha256=00']) {
      const headers = headersFor('{}', { 'x-hub-signature-256': signature, 'content-length': '2' })
      const res = await post(headers)
      expect(res.status, String(signature)).toBe(400)
    }
  })
})

describe('signed deliveries GitHub never sends', () => {
  const signed = async (body: string, extra: Record<string, string | null> = {}) =>
    post(headersFor(body, extra), { body })

  it('body null, an array, a number, not JSON: 400, nothing handled', async () => {
    const before = await pings()
    for (const body of ['null', '[]', '42', '"text"', '{"zen":']) {
      const res = await signed(body)
      expect(res.status, body).toBe(400)
    }
    expect(await pings()).toBe(before)
  })

  it('no x-github-event, or a malformed one: 400', async () => {
    expect((await signed('{"zen":"z"}', { 'x-github-event': null })).status).toBe(400)
    expect((await signed('{"zen":"z"}', { 'x-github-event': 'issue-comment!' })).status).toBe(400)
  })

  it('no x-github-delivery: 400 (never a shared idempotency key), one log line saying so', async () => {
    const headers = headersFor('{"zen":"z"}', { 'x-github-delivery': null })
    const res = await post(headers, { body: '{"zen":"z"}' })
    expect(res.status).toBe(400)
    const line = (await logged((l) => l['reason'] === 'no x-github-delivery')).at(-1)
    expect(line).toMatchObject({ event: 'ping' })
  })

  it('not a POST, not JSON: 405 and 415', async () => {
    expect((await post(headersFor('{}'), { method: 'GET' })).status).toBe(405)
    expect((await signed('{}', { 'content-type': 'text/plain' })).status).toBe(415)
  })

  it('every refusal is counted by reason in /metrics', async () => {
    const text = await metrics()
    expect(text).toMatch(/kitty_webhook_refusals_total\{reason="signature mismatch"\} [1-9]/)
    expect(text).toMatch(/kitty_webhook_refusals_total\{reason="body is not a JSON object"\} [1-9]/)
    expect(text).toMatch(/kitty_webhook_refusals_total\{reason="body over WEBHOOK_MAX_BYTES"\} [1-9]/)
  })
})

describe('the start-up warm-up', () => {
  it('1,000 deliveries through a scratch copy before the App listens, and no trace of them: no line, count, job or API call', async () => {
    const requestsBefore = rest.requests.length
    const fresh = await startAppProcess(rest.url, APP_OWN_WARM_UP)
    try {
      const lines = logLines(fresh.output())
      const warmed = lines.findIndex((l) => l['msg'] === 'receiver warmed up')
      const listening = lines.findIndex((l) => String(l['msg']).startsWith('kitty-github App listening'))
      expect(lines[warmed], fresh.output()).toMatchObject({ level: 30, deliveries: 1000, acknowledged: 1000 })
      expect(warmed).toBeLessThan(listening)
      expect(lines.filter((l) => 'delivery' in l)).toEqual([])
      const text = await (await fetch(`${fresh.url}/metrics`)).text()
      expect(text).not.toMatch(/kitty_webhook_deliveries_total\{/)
      expect(text).not.toMatch(/kitty_webhook_responses_total\{/)
      expect(text).toMatch(/kitty_backlog_deliveries\{state="waiting"\} 0\n/)
      expect(text).toMatch(/kitty_backlog_deliveries\{state="active"\} 0\n/)
      expect(text).not.toMatch(/kitty_commands_total\{/)
      expect(rest.requests.length).toBe(requestsBefore)
    } finally {
      expect(await fresh.stop()).toBe(0)
    }
  })
})
