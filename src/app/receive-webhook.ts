import { createHmac, createSecretKey, timingSafeEqual } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { isChat, readAction, readDelivery, ROUTED_EVENTS } from '../github/read-event.ts'
import type { AppMetrics } from './app-metrics.ts'
import type { LogLike } from './handle-delivery.ts'
import type { Delivery, DeliveryQueue } from './queue/delivery-queue.ts'
import { failureReason } from './queue/delivery-queue.ts'
import { describeDelivery } from './queue/describe-delivery.ts'
import { decodeWebhookBody, readWebhookBody } from './read-webhook-body.ts'

/**
 * The webhook endpoint, in place of Probot's middleware, which buffers any body whole (as chunks, then a
 * copy, then a string) before it looks at the signature, and logs the payload of a forged delivery.
 * Here every check that needs no body comes first, the body is read up to a cap, the HMAC is taken over
 * the raw bytes, and a verified delivery is recorded in the durable queue before it is acknowledged (202):
 * the answer never waits for the work, and nothing acknowledged is only in memory. A refusal is one log
 * line: the delivery id, the event and the reason, never the payload or another header.
 */

/** How long a refused body may go on arriving, read and dropped, before the connection is closed. */
const LINGER_MS = 2_000

export interface WebhookReceiverOptions {
  /** The webhook path (Probot's, /api/github/webhooks by default). */
  path: string
  log: LogLike
  queue: Pick<DeliveryQueue, 'enqueue'>
  secret: string
  maxBytes: number
  metrics: AppMetrics
  /** A delivery was newly recorded (not a duplicate): the worker thread is told to look. */
  onQueued?: () => void
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

function signatureMatches(secret: KeyObject, chunks: Buffer[], expected: Buffer): boolean {
  const hmac = createHmac('sha256', secret)
  for (const chunk of chunks) hmac.update(chunk)
  return timingSafeEqual(hmac.digest(), expected)
}

/** The verified body as a JSON object, or why not. */
function parsePayload(text: string): { payload: object } | { refusal: Refusal } {
  let payload: unknown
  try {
    payload = JSON.parse(text)
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

/** Events the App routes and comments it answers; anything else is acknowledged without a job. */
function worthQueueing(name: string, payload: object): boolean {
  // The Action answers an event it cannot route with an explanation; the App just has nothing to do.
  // GitHub also sends `ping` and events an installation's settings add.
  if (!ROUTED_EVENTS.includes(name)) return false
  const { intent } = readDelivery(name, payload)
  return intent.kind !== 'ignore' && !(intent.kind === 'comment' && isChat(intent))
}

/**
 * Record the delivery, then answer: 202 once the queue has it durably (a redelivery of a known one
 * too), 503 when it cannot be recorded, so GitHub shows the delivery failed and it can be redelivered.
 */
async function acknowledge(
  options: WebhookReceiverOptions,
  log: LogLike,
  delivery: Delivery,
  res: ServerResponse,
): Promise<number> {
  try {
    const outcome = await options.queue.enqueue(delivery)
    answer(res, 202, `${outcome}\n`)
    if (outcome === 'queued') options.onQueued?.()
    return 202
  } catch (err) {
    log.error({ delivery: delivery.id, event: delivery.event, reason: failureReason(err) }, 'delivery not recorded')
    answer(res, 503, 'could not record the delivery; redeliver it\n')
    return 503
  }
}

/** Who and what a delivery is about, for its receipt line: never the payload itself. */
function receipt(payload: object): { repository?: string | undefined; action?: string | undefined } {
  const { repository, action } = payload as { repository?: { full_name?: unknown }; action?: unknown }
  return {
    ...(typeof repository?.full_name === 'string' ? { repository: shown(repository.full_name) } : {}),
    ...(typeof action === 'string' ? { action: shown(action) } : {}),
  }
}

/**
 * The verified body, parsed, counted and logged as received, down to what is kept: the queue record, or
 * null when the App has nothing to do with it. The parsed payload ends here, before the receiver waits
 * for the queue: in a burst hundreds of deliveries wait at once, and none of them needs its parsed
 * payload kept alive across that wait (BENCHMARKS.md measured no clear gain from it, nor any cost).
 */
function readVerified(
  options: WebhookReceiverOptions,
  log: LogLike,
  event: Headers,
  text: string,
): { record: Delivery | null } | { refusal: Refusal } {
  const parsed = parsePayload(text)
  if ('refusal' in parsed) return parsed
  const { payload } = parsed
  options.metrics.deliveries.inc({ event: event.name, action: readAction(payload) })
  log.info({ delivery: event.id, event: event.name, ...receipt(payload) }, 'webhook received')
  if (!worthQueueing(event.name, payload)) return { record: null }
  return { record: describeDelivery({ id: event.id, event: event.name, body: text, payload }) }
}

export function createWebhookReceiver(options: WebhookReceiverOptions): WebhookReceiver {
  const { maxBytes, metrics, log } = options
  // Prepared once: preparing the key for every delivery was a tenth of the receiver's time in a burst.
  const secret = createSecretKey(Buffer.from(options.secret, 'utf8'))
  const path = options.path.replace(/\/+$/, '')
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
    const read = readVerified(options, log, checked, decodeWebhookBody(body.chunks))
    if ('refusal' in read) return refuse(req, res, read.refusal)
    const started = Date.now()
    const status = read.record
      ? await acknowledge(options, log, read.record, res)
      : (answer(res, 200, 'ignored\n'), 200)
    metrics.responses.inc({ status })
    const acknowledged = { delivery: checked.id, status, duration_ms: Date.now() - started }
    if (status < 300) log.info(acknowledged, `webhook acknowledged: ${status}`)
    else log.error(acknowledged, `webhook answered ${status}`)
  }
  return async (req, res, expectsContinue = false) => {
    if ((req.url ?? '/').split('?')[0]!.replace(/\/+$/, '') !== path) return false
    await receive(req, res, expectsContinue)
    return true
  }
}
