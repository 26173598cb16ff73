import { createHmac, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Probot } from 'probot'
import type { AppMetrics } from './app-metrics.ts'
import type { LogLike } from './handle-delivery.ts'
import { decodeWebhookBody, readWebhookBody } from './read-webhook-body.ts'

/**
 * The webhook endpoint, in place of Probot's middleware, which buffers any body whole (as chunks, then a
 * copy, then a string) before it looks at the signature, and logs the payload of a forged delivery.
 * Here every check that needs no body comes first, the body is read up to a cap, the HMAC is taken over
 * the raw bytes, and only a verified object reaches Probot's handlers. A refusal is one log line: the
 * delivery id, the event and the reason, never the payload or another header.
 */

/** GitHub's own cap on a delivery ("Payloads are capped at 25 MB"), read generously as MiB. */
export const DEFAULT_WEBHOOK_MAX_BYTES = 25 * 1024 * 1024
/** After this long GitHub is answered 202 and the delivery goes on (Probot's middleware did the same). */
const ANSWER_WITHIN_MS = 9_000
/** How long a refused body may go on arriving, read and dropped, before the connection is closed. */
const LINGER_MS = 2_000

export interface WebhookReceiverOptions {
  probot: Probot
  secret: string
  maxBytes: number
  metrics: AppMetrics
}

/** Handles the request if it is for the webhook path (true), else leaves it alone (false). */
export type WebhookReceiver = (req: IncomingMessage, res: ServerResponse, expectsContinue?: boolean) => Promise<boolean>

interface Headers {
  id: string
  name: string
  signature: Buffer
}

/** `reason` is a fixed phrase (a log field and a metric label); `detail` adds the numbers to the message. */
type Refusal = { status: number; reason: string; detail?: string }

const JSON_TYPE = /^\s*application\/json\s*(?:;|$)/i
const EVENT_NAME = /^[a-z_]{1,64}$/
// GitHub sends a GUID; anything printable and short is accepted, since it becomes an idempotency key.
const DELIVERY_ID = /^[A-Za-z0-9._:-]{1,128}$/
const SIGNATURE = /^sha256=([0-9a-f]{64})$/i
const TOO_LARGE = 'body over WEBHOOK_MAX_BYTES'

/** What a header may show in a log line: printable ASCII, cut short (it is the sender's text). */
const shown = (value: string | string[] | undefined) =>
  typeof value === 'string' ? value.replace(/[^\x21-\x7e]/g, '?').slice(0, 80) : undefined

const header = (req: IncomingMessage, name: string) => {
  const value = req.headers[name]
  return typeof value === 'string' ? value : undefined
}

/** Everything decidable from the request line and headers alone, before a byte of the body is read. */
function checkHeaders(req: IncomingMessage, maxBytes: number): Headers | Refusal {
  if (req.method !== 'POST') return { status: 405, reason: 'not a POST' }
  if (!JSON_TYPE.test(header(req, 'content-type') ?? '')) return { status: 415, reason: 'content-type is not JSON' }
  const id = header(req, 'x-github-delivery')
  if (id === undefined) return { status: 400, reason: 'no x-github-delivery' }
  if (!DELIVERY_ID.test(id)) return { status: 400, reason: 'malformed x-github-delivery' }
  const name = header(req, 'x-github-event')
  if (name === undefined) return { status: 400, reason: 'no x-github-event' }
  if (!EVENT_NAME.test(name)) return { status: 400, reason: 'malformed x-github-event' }
  const signature = header(req, 'x-hub-signature-256')
  if (signature === undefined) return { status: 400, reason: 'no x-hub-signature-256' }
  const hex = SIGNATURE.exec(signature)?.[1]
  if (hex === undefined) return { status: 400, reason: 'malformed x-hub-signature-256' }
  const length = Number(header(req, 'content-length') ?? 0)
  if (length > maxBytes) return { status: 413, reason: TOO_LARGE, detail: `Content-Length ${length} > ${maxBytes}` }
  return { id, name, signature: Buffer.from(hex, 'hex') }
}

function signatureMatches(secret: string, chunks: Buffer[], expected: Buffer): boolean {
  const hmac = createHmac('sha256', secret)
  for (const chunk of chunks) hmac.update(chunk)
  return timingSafeEqual(hmac.digest(), expected)
}

/** The verified body as the object Probot's handlers expect, or why not. */
function parsePayload(chunks: Buffer[]): { payload: object } | { refusal: Refusal } {
  let payload: unknown
  try {
    payload = JSON.parse(decodeWebhookBody(chunks))
  } catch {
    return { refusal: { status: 400, reason: 'body is not JSON' } }
  }
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload))
    return { refusal: { status: 400, reason: 'body is not a JSON object' } }
  return { payload }
}

function answer(res: ServerResponse, status: number, body: string): void {
  if (res.headersSent) return
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' })
  res.end(body)
}

/**
 * After refusing a body still on its way: drop what keeps arriving for a moment, then close. Closing at
 * once, with unread bytes, makes the kernel reset the connection, and the client loses the answer it has
 * not read yet (Node's `Connection: close` does exactly that, so it is not used). Nothing is buffered.
 */
function lingerThenClose(req: IncomingMessage, res: ServerResponse): void {
  res.once('finish', () => {
    if (req.complete) return
    const timer = setTimeout(() => req.socket.destroy(), LINGER_MS).unref()
    req.once('end', () => clearTimeout(timer))
    req.resume()
  })
}

/** Probot's handlers for a verified delivery: 200 when they finish, 202 if they are still running at 9 s. */
async function dispatch(probot: Probot, log: LogLike, event: Headers, payload: object, res: ServerResponse) {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), ANSWER_WITHIN_MS)))
  const handled = probot.webhooks
    .receive({ id: event.id, name: event.name, payload } as Parameters<Probot['webhooks']['receive']>[0])
    .then(
      () => 200,
      (err: unknown) => {
        log.error({ delivery: event.id, event: event.name, err: { message: (err as Error).message } }, 'handler failed')
        return 500
      },
    )
  const first = await Promise.race([handled, late])
  clearTimeout(timer)
  if (first === 'late') answer(res, 202, 'still processing\n')
  else answer(res, first, first === 200 ? 'ok\n' : 'internal error\n')
  return { status: first === 'late' ? 202 : first, handled }
}

/** Who and what a delivery is about, for its receipt line: never the payload itself. */
function receipt(payload: object): { repository?: string | undefined; action?: string | undefined } {
  const { repository, action } = payload as { repository?: { full_name?: unknown }; action?: unknown }
  return {
    ...(typeof repository?.full_name === 'string' ? { repository: shown(repository.full_name) } : {}),
    ...(typeof action === 'string' ? { action: shown(action) } : {}),
  }
}

export function createWebhookReceiver(options: WebhookReceiverOptions): WebhookReceiver {
  const { probot, secret, maxBytes, metrics } = options
  const path = probot.webhookPath.replace(/\/+$/, '')
  const log = probot.log as unknown as LogLike
  const refuse = (req: IncomingMessage, res: ServerResponse, refusal: Refusal) => {
    const { status, reason, detail } = refusal
    metrics.refusals.inc({ reason })
    metrics.responses.inc({ status })
    const said = detail === undefined ? reason : `${reason} (${detail})`
    log.warn(
      {
        delivery: shown(req.headers['x-github-delivery']),
        event: shown(req.headers['x-github-event']),
        reason,
        status,
      },
      `webhook delivery refused: ${said}`,
    )
    lingerThenClose(req, res)
    answer(res, status, `${said}\n`)
  }
  const receive = async (req: IncomingMessage, res: ServerResponse, expectsContinue: boolean) => {
    const checked = checkHeaders(req, maxBytes)
    if ('status' in checked) return refuse(req, res, checked)
    if (expectsContinue) res.writeContinue()
    const body = await readWebhookBody(req, maxBytes)
    if (body.kind === 'aborted') return void req.socket.destroy()
    if (body.kind === 'too-large')
      return refuse(req, res, { status: 413, reason: TOO_LARGE, detail: `more than ${maxBytes} bytes, chunked` })
    if (!signatureMatches(secret, body.chunks, checked.signature))
      return refuse(req, res, { status: 400, reason: 'signature mismatch' })
    const parsed = parsePayload(body.chunks)
    if ('refusal' in parsed) return refuse(req, res, parsed.refusal)
    const started = Date.now()
    log.info({ delivery: checked.id, event: checked.name, ...receipt(parsed.payload) }, 'webhook received')
    metrics.received(checked.id)
    const { status, handled } = await dispatch(probot, log, checked, parsed.payload, res)
    metrics.responses.inc({ status })
    const acknowledged = { delivery: checked.id, status, duration_ms: Date.now() - started }
    if (status < 300) log.info(acknowledged, `webhook acknowledged: ${status}`)
    else log.error(acknowledged, `webhook answered ${status}`)
    void handled.finally(() => metrics.settled(checked.id))
  }
  return async (req, res, expectsContinue = false) => {
    if ((req.url ?? '/').split('?')[0]!.replace(/\/+$/, '') !== path) return false
    await receive(req, res, expectsContinue)
    return true
  }
}
