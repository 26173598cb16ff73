import { randomBytes } from 'node:crypto'
import { mkdtempSync, openSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import { DEFAULT_WEBHOOK_MAX_BYTES, warmUpDeliveries } from '../app-environment.ts'
import { createAppLog } from '../app-log.ts'
import { createAppMetrics } from '../app-metrics.ts'
import type { LogLike } from '../handle-delivery.ts'
import type { DeliveryQueue } from '../queue/delivery-queue.ts'
import { openEmbeddedQueue } from '../queue/open-embedded-queue.ts'
import { createWebhookReceiver } from '../receive-webhook.ts'
import { WARM_UP_ROLE } from '../worker/worker-messages.ts'
import type { WarmUpData, WarmUpReport } from './send-warm-up.ts'

/**
 * Before the App listens, its receiving code is run through a scratch copy of itself, so that GitHub's
 * first burst after a start meets code V8 has already compiled and optimized. A burst of 500 to an App
 * just started cost its receiving thread about 100 ms more CPU than one to an App in service, and its
 * acknowledgements' p99 sat at the 500 ms goal (BENCHMARKS.md, fourth to seventh passes).
 *
 * The copy shares the App's code but none of its state: a loopback server on a port of its own, the
 * same receiver with a random secret, its own metrics registry, a logger of the same kind writing to
 * /dev/null, and a queue of the same kind in a temporary folder (embedded), or none (Redis: the App's
 * Redis is never written). So the warm-up leaves no job, no log line and no count behind; it only
 * costs start-up time (one to three seconds for the default 1,000), and a failure only costs the warm-up.
 */

const IN_FLIGHT = 100
/** However slow the machine, the App starts: the sender is stopped after this. */
const BOUND_MS = 15_000
const PATH = '/warm-up'

export interface WarmUpOptions {
  env: NodeJS.ProcessEnv
  /** The App's entry module: the sender's worker thread runs it with the warm-up role. */
  entry: URL
  queueKind: 'embedded' | 'redis'
  /** Where the scratch folder (an embedded queue's file) is made; the system's temporary folder by default. */
  scratchParent?: string
}

export interface WarmUpResult extends WarmUpReport {
  deliveries: number
  ms: number
}

/** A queue that records nothing: for an App on Redis, whose Redis the warm-up must not touch. */
const NOWHERE: Pick<DeliveryQueue, 'enqueue'> = { enqueue: async () => 'queued' }

let devNullFd: number | undefined
/**
 * /dev/null, opened once per process and never closed: a scratch logger writes asynchronously and may
 * still hold lines when its warm-up ends, and a write to a closed descriptor would be an error event.
 */
const devNull = () => (devNullFd ??= openSync('/dev/null', 'w'))

function runSender(entry: URL, data: WarmUpData): Promise<WarmUpReport> {
  // An empty environment: the sender needs neither the App's key nor its secret.
  const worker = new Worker(entry, { workerData: data, env: {} })
  let timer: NodeJS.Timeout | undefined
  return new Promise<WarmUpReport>((resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`not done within ${BOUND_MS / 1000} s`)), BOUND_MS)
    worker.once('message', (report: WarmUpReport) => resolve(report))
    worker.once('error', (err) => reject(err))
    worker.once('exit', (code) => reject(new Error(`the sender exited with ${code} before it reported`)))
  }).finally(() => {
    clearTimeout(timer)
    void worker.terminate()
  })
}

export async function warmUpReceiver(options: WarmUpOptions): Promise<WarmUpResult> {
  const started = Date.now()
  const count = warmUpDeliveries(options.env)
  if (count === 0) return { deliveries: 0, acknowledged: 0, failed: 0, ms: 0 }
  const folder = mkdtempSync(join(options.scratchParent ?? tmpdir(), 'kitty-warm-up-'))
  const server = createServer()
  let queue: DeliveryQueue | null = null
  try {
    if (options.queueKind === 'embedded') queue = openEmbeddedQueue({ file: join(folder, 'warm-up.sqlite') })
    // The App's own log format and level, but never Sentry: nothing here is the operator's to see.
    const scratchEnv: NodeJS.ProcessEnv = { ...options.env, LOG_LEVEL: 'info', SENTRY_DSN: '' }
    const log = (await createAppLog(scratchEnv, devNull())) as unknown as LogLike
    const secret = randomBytes(32).toString('hex')
    const receive = createWebhookReceiver({
      path: PATH,
      log,
      queue: queue ?? NOWHERE,
      secret,
      // Not the App's own limit: one set below a comment's size would only refuse the warm-up.
      maxBytes: DEFAULT_WEBHOOK_MAX_BYTES,
      metrics: createAppMetrics(() => 0, { processWide: false }),
    })
    server.on('request', (req, res) => void receive(req, res))
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(0, '127.0.0.1', () => resolve())
    })
    const { port } = server.address() as AddressInfo
    const data: WarmUpData = { role: WARM_UP_ROLE, port, path: PATH, secret, count, inFlight: IN_FLIGHT }
    const report = await runSender(options.entry, data)
    return { ...report, deliveries: count, ms: Date.now() - started }
  } finally {
    server.closeAllConnections()
    if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()))
    await queue?.close()
    rmSync(folder, { recursive: true, force: true })
  }
}

/** The warm-up as the App runs it: one log line, and never a reason not to start. */
export async function warmUpOrStartCold(options: WarmUpOptions, log: LogLike): Promise<void> {
  try {
    const warmed = await warmUpReceiver(options)
    if (warmed.deliveries === 0) return
    const line = { deliveries: warmed.deliveries, acknowledged: warmed.acknowledged, duration_ms: warmed.ms }
    if (warmed.failed === 0) log.info(line, 'receiver warmed up')
    else log.warn({ ...line, reason: warmed.firstFailure }, 'receiver warm-up: some deliveries failed')
  } catch (err) {
    log.warn({ reason: (err as Error).message.split('\n')[0] }, 'receiver warm-up failed; starting cold')
  }
}
