import { randomBytes } from 'node:crypto'
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { createProbot } from 'probot'
import type { Probot } from 'probot'
import { UsageError } from '../core/errors.ts'
import { createAppLog } from './app-log.ts'
import type { AppMetrics } from './app-metrics.ts'
import { createAppMetrics } from './app-metrics.ts'
import { kittyWorker } from './kitty-app.ts'
import type { DeliveryQueue } from './queue/delivery-queue.ts'
import { failureReason } from './queue/delivery-queue.ts'
import type { OpenedQueue } from './queue/open-delivery-queue.ts'
import { openDeliveryQueue } from './queue/open-delivery-queue.ts'
import { createWebhookReceiver, DEFAULT_WEBHOOK_MAX_BYTES } from './receive-webhook.ts'
import { recoverySweepDeps, startRecoverySweep, sweepIntervalMs } from './sweep-abandoned.ts'

/**
 * The App's HTTP server: the webhook endpoint at Probot's path (/api/github/webhooks; receive-webhook.ts
 * verifies and records deliveries in the durable queue), plus /healthz, /readyz and /metrics, on a plain
 * node:http server (Probot 14 has no Express to hang routes on), and the queue's workers. Everything
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
  /** Jobs running in this process now. */
  running(): number
  /**
   * Not ready, deliveries answered 503, running jobs finish, unstarted ones stay queued (another replica
   * or the next start takes them), the queue closed; false if `timeoutMs` ran out with jobs still running.
   */
  drain(timeoutMs: number): Promise<boolean>
  /** Stop listening (after drain: /healthz answers until then). */
  close(): Promise<void>
}

const DEFAULT_WORKERS = 4

/** Variables the engine must never see: it needs neither, and every child or log line is one less risk. */
const PRIVATE = ['PRIVATE_KEY', 'PRIVATE_KEY_PATH', 'WEBHOOK_SECRET', 'GITHUB_TOKEN', 'KITTY_TOKEN']

/** KITTY_READY_MAX_BACKLOG_MS: above this oldest-pending age /readyz says 503, so a balancer sheds load. */
export function readyMaxBacklogMs(env: NodeJS.ProcessEnv): number {
  const raw = env['KITTY_READY_MAX_BACKLOG_MS']
  const ms = Number(raw)
  return raw === undefined || raw === '' || !Number.isFinite(ms) || ms < 0 ? 60_000 : ms
}

export function cacheRoot(env: NodeJS.ProcessEnv): string {
  return env['KITTY_CACHE_DIR'] ?? join(env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache'), 'kitty-github', 'repos')
}

function engineEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(env).filter(([k]) => !PRIVATE.includes(k)))
  out['KITTY_CACHE_DIR'] = cacheRoot(env)
  // State commits show as the App's; GitHub links the noreply address to the bot account when it matches.
  out['GIT_COMMITTER_NAME'] ??= 'kitty-github[bot]'
  out['GIT_COMMITTER_EMAIL'] ??= 'kitty-github[bot]@users.noreply.github.com'
  out['GIT_AUTHOR_NAME'] ??= out['GIT_COMMITTER_NAME']
  out['GIT_AUTHOR_EMAIL'] ??= out['GIT_COMMITTER_EMAIL']
  return out
}

/** Refuse to start half-configured: Probot would otherwise accept webhooks signed with "development". */
export function checkAppEnvironment(env: NodeJS.ProcessEnv): void {
  const missing: string[] = []
  if (!env['APP_ID']) missing.push('APP_ID')
  if (!env['PRIVATE_KEY'] && !env['PRIVATE_KEY_PATH']) missing.push('PRIVATE_KEY or PRIVATE_KEY_PATH')
  if (!env['WEBHOOK_SECRET']) missing.push('WEBHOOK_SECRET')
  if (missing.length > 0)
    throw new UsageError(`The App needs ${missing.join(', ')} in its environment (see docs/app.md, "Running the App").`)
  webhookMaxBytes(env)
  workers(env)
  const port = Number(env['PORT'] ?? 3000)
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new UsageError(`PORT must be a port number, not '${String(env['PORT']).slice(0, 20)}'.`)
}

/** WEBHOOK_MAX_BYTES: the largest delivery body accepted; GitHub's own cap by default. */
export function webhookMaxBytes(env: NodeJS.ProcessEnv): number {
  const raw = env['WEBHOOK_MAX_BYTES']
  if (raw === undefined || raw === '') return DEFAULT_WEBHOOK_MAX_BYTES
  const max = Number(raw)
  if (!Number.isSafeInteger(max) || max < 1)
    throw new UsageError(`WEBHOOK_MAX_BYTES must be a positive whole number of bytes, not '${raw.slice(0, 20)}'.`)
  return max
}

/** KITTY_WORKERS: jobs (of different repositories) one process runs at once. */
export function workers(env: NodeJS.ProcessEnv): number {
  const raw = env['KITTY_WORKERS']
  if (raw === undefined || raw === '') return DEFAULT_WORKERS
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 1 || n > 256)
    throw new UsageError(`KITTY_WORKERS must be a whole number from 1 to 256, not '${raw.slice(0, 20)}'.`)
  return n
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

export async function startAppServer(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Promise<AppServer> {
  checkAppEnvironment(env)
  const sweepEvery = sweepIntervalMs(env)
  let running = 0
  const metrics = createAppMetrics(() => running)
  // Probot's own default is warn; the App's one line per command is info, and operators want it.
  const probot = createProbot({ env: { LOG_LEVEL: 'info', ...env }, overrides: { log: await createAppLog(env) } })
  // Probot initializes (its logger, its Octokit class) asynchronously; load() is how to wait for it.
  await probot.load(() => undefined)
  const cacheDir = cacheRoot(env)
  const opened = openDeliveryQueue(env, cacheDir, (err) =>
    probot.log.warn({ reason: err.message.split('\n')[0] }, 'delivery queue: connection problem'),
  )
  const { queue } = opened
  metrics.observeQueue(() => queue.stats())
  const services = { metrics, applied: queue, engineEnv: engineEnvironment(env), cwd }
  const work = kittyWorker(probot, services)
  queue.start(
    async (job) => {
      running++
      if (job.attempt === 1) metrics.repositoryWait.observe((Date.now() - job.delivery.receivedAt) / 1000)
      try {
        await work(job)
        metrics.answered(job.delivery.receivedAt)
      } catch (err) {
        const reason = failureReason(err)
        probot.log.warn(
          { delivery: job.delivery.id, attempt: job.attempt, reason },
          'delivery failed; the queue retries it',
        )
        throw err
      } finally {
        running--
      }
    },
    { concurrency: workers(env) },
  )
  const stopSweep = startRecoverySweep(recoverySweepDeps(probot, queue, metrics), sweepEvery)
  const webhooks = createWebhookReceiver({
    probot,
    queue,
    secret: env['WEBHOOK_SECRET'] as string,
    maxBytes: webhookMaxBytes(env),
    metrics,
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
      return answer(res, 200, await metrics.registry.metrics(), metrics.registry.contentType)
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
    running: () => running,
    async drain(timeoutMs) {
      draining = true
      server.closeIdleConnections()
      const [finished] = await Promise.all([queue.drain(timeoutMs), stopSweep(timeoutMs)])
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
