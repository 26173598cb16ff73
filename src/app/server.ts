import { randomBytes } from 'node:crypto'
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import type { Probot } from 'probot'
import { AggregatorRegistry } from 'prom-client'
import { cacheRoot, checkAppEnvironment, readyMaxBacklogMs, webhookMaxBytes } from './app-environment.ts'
import type { AppMetrics } from './app-metrics.ts'
import { createAppMetrics } from './app-metrics.ts'
import type { LogLike } from './handle-delivery.ts'
import { openAppProbot, openAppQueue } from './open-app-probot.ts'
import type { DeliveryQueue } from './queue/delivery-queue.ts'
import type { OpenedQueue } from './queue/open-delivery-queue.ts'
import { createWebhookReceiver } from './receive-webhook.ts'
import { warmUpOrStartCold } from './warm-up/warm-up-receiver.ts'
import type { WorkerThread } from './worker/start-worker-thread.ts'
import { startWorkerThread } from './worker/start-worker-thread.ts'

/**
 * The App's HTTP server: the webhook endpoint at Probot's path (/api/github/webhooks; receive-webhook.ts
 * verifies and records deliveries in the durable queue), plus /healthz, /readyz and /metrics, on a plain
 * node:http server (Probot 14 has no Express to hang routes on). The queue's jobs run in a worker
 * thread (worker/run-app-worker.ts), so engine work never delays an acknowledgement. Everything
 * comes from the environment, as Probot reads it, plus KITTY_CACHE_DIR, WEBHOOK_MAX_BYTES, KITTY_WORKERS,
 * REDIS_URL and KITTY_QUEUE_* (docs/app.md).
 */

export interface AppServer {
  /** http://host:port actually bound (PORT=0 picks a free port). */
  url: string
  server: Server
  probot: Probot
  metrics: AppMetrics
  queue: DeliveryQueue
  /** 'embedded' or 'redis', and where (for the start-up line). */
  queueKind: Pick<OpenedQueue, 'kind' | 'where'>
  /** Jobs running in this process now (in its worker thread). */
  running(): number
  /**
   * Not ready, deliveries answered 503, running jobs finish, unstarted ones stay queued (another replica
   * or the next start takes them), the queue closed; false if `timeoutMs` ran out with jobs still running.
   */
  drain(timeoutMs: number): Promise<boolean>
  /** Stop listening (after drain: /healthz answers until then). */
  close(): Promise<void>
}

function answer(res: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' })
  res.end(body)
}

/** Ready = the App can authenticate (sign its JWT, locally) and the git cache can be written. */
async function readiness(probot: Probot, cacheDir: string): Promise<string[]> {
  const problems: string[] = []
  try {
    const appOctokit = await probot.auth()
    await (appOctokit as unknown as { auth(o: { type: 'app' }): Promise<unknown> }).auth({ type: 'app' })
  } catch (err) {
    problems.push(`cannot sign the App JWT (APP_ID / PRIVATE_KEY): ${(err as Error).message.split('\n')[0]}`)
  }
  const probe = join(cacheDir, `.ready-${process.pid}-${randomBytes(4).toString('hex')}`)
  try {
    await mkdir(cacheDir, { recursive: true })
    await writeFile(probe, '')
    await rm(probe, { force: true })
  } catch (err) {
    problems.push(
      `cache dir ${cacheDir} is not writable: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    )
  }
  return problems
}

export interface AppServerOptions {
  /** The module the worker thread runs: the App's entry (src/app/index.ts), which knows its role. */
  workerEntry: URL
  /** The worker thread cannot be kept running: the process should exit for its supervisor to restart. */
  onFatal(reason: string): void
}

/** /metrics: this thread's registry and the worker thread's, merged (counters and histograms summed). */
async function renderMetrics(metrics: AppMetrics, worker: WorkerThread): Promise<string> {
  const [own, theirs] = await Promise.all([metrics.registry.getMetricsAsJSON(), worker.metrics()])
  return AggregatorRegistry.aggregate([own, theirs]).metrics()
}

export async function startAppServer(
  env: NodeJS.ProcessEnv,
  cwd: string,
  options: AppServerOptions,
): Promise<AppServer> {
  checkAppEnvironment(env)
  const probot = await openAppProbot(env)
  const log = probot.log as unknown as LogLike
  const cacheDir = cacheRoot(env)
  const opened = openAppQueue(env, log)
  const { queue } = opened
  const worker = await startWorkerThread({ entry: options.workerEntry, env, cwd, log, onFatal: options.onFatal })
  const metrics = createAppMetrics(() => 0)
  metrics.observeQueue(() => queue.stats())
  const webhooks = createWebhookReceiver({
    path: probot.webhookPath,
    log,
    queue,
    secret: env['WEBHOOK_SECRET'] as string,
    maxBytes: webhookMaxBytes(env),
    metrics,
    onQueued: () => worker.notify(),
  })
  let draining = false
  const maxBacklogMs = readyMaxBacklogMs(env)

  const route = async (req: IncomingMessage, res: ServerResponse, expectsContinue: boolean) => {
    const path = (req.url ?? '/').split('?')[0]
    if (req.method === 'GET' && path === '/healthz') return answer(res, 200, 'ok\n')
    if (req.method === 'GET' && path === '/readyz') {
      if (draining) return answer(res, 503, 'draining\n')
      const problems = await readiness(probot, cacheDir)
      const { oldestPendingMs } = await metrics.backlog()
      if (oldestPendingMs > maxBacklogMs)
        problems.push(`backlog: oldest pending delivery is ${oldestPendingMs} ms old (> ${maxBacklogMs} ms)`)
      return problems.length === 0 ? answer(res, 200, 'ready\n') : answer(res, 503, problems.join('\n') + '\n')
    }
    if (req.method === 'GET' && path === '/metrics')
      return answer(res, 200, await renderMetrics(metrics, worker), metrics.registry.contentType)
    // A delivery arriving after SIGTERM goes unanswered by this replica; GitHub shows it failed and it can be redelivered.
    if (draining) {
      metrics.responses.inc({ status: 503 })
      return answer(res, 503, 'draining\n')
    }
    const handled = await webhooks(req, res, expectsContinue)
    if (!handled && !res.headersSent) answer(res, 404, 'not found\n')
  }
  const serve = (req: IncomingMessage, res: ServerResponse, expectsContinue = false) => {
    route(req, res, expectsContinue).catch((err: unknown) => {
      probot.log.error({ err: { message: (err as Error).message } }, 'request failed')
      if (!res.headersSent) answer(res, 500, 'internal error\n')
    })
  }
  const server = createServer((req, res) => serve(req, res))
  // `Expect: 100-continue` (curl's habit for large bodies): the body is asked for only once the headers
  // pass, so an oversized or unsigned delivery is refused before it is sent at all.
  server.on('checkContinue', (req, res) => serve(req, res, true))
  // A delivery is answered once recorded; a slow client must not hold a socket forever either.
  server.requestTimeout = 60_000
  // Before listening: GitHub's first burst after a start then meets compiled code (warm-up-receiver.ts).
  await warmUpOrStartCold({ env, entry: options.workerEntry, queueKind: opened.kind }, log)
  const host = env['HOST'] || 'localhost'
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(Number(env['PORT'] ?? 3000), host, () => resolve())
  })
  const { port, address, family } = server.address() as AddressInfo
  const url = `http://${family === 'IPv6' ? `[${address}]` : address}:${port}`
  return {
    url,
    server,
    probot,
    metrics,
    queue,
    queueKind: { kind: opened.kind, where: opened.where },
    running: () => worker.running(),
    async drain(timeoutMs) {
      draining = true
      server.closeIdleConnections()
      const finished = await worker.drain(timeoutMs)
      await queue.close()
      return finished
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
