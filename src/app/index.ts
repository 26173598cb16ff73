import { isMainThread, parentPort, workerData } from 'node:worker_threads'
import { isKittyError } from '../core/errors.ts'
import type { AppServer } from './server.ts'
import { loadEnvFile } from './setup/load-env-file.ts'
import type { WarmUpData } from './warm-up/send-warm-up.ts'
import type { FromWorker, WorkerData } from './worker/worker-messages.ts'
import { WARM_UP_ROLE, WORKER_ROLE } from './worker/worker-messages.ts'

/**
 * `npm start`: the App as a process. SIGTERM (a rolling deploy, a scale-down): /readyz turns 503,
 * deliveries are answered 503 (GitHub shows them failed; another replica or a redelivery takes them),
 * running jobs finish within KITTY_DRAIN_TIMEOUT_MS, unstarted ones stay in the durable queue for the
 * next start, then exit 0. A job the bound cut short is retried from its saved steps, as after a crash.
 * The same module is the App's worker thread (worker/run-app-worker.ts) and its start-up warm-up's sender
 * (warm-up/send-warm-up.ts): the receiving thread starts them with this file and a workerData that says
 * which, which keeps one entry file for the bundle and for src.
 */

const DEFAULT_DRAIN_MS = 25_000

async function main(): Promise<void> {
  loadEnvFile(process.env, process.cwd())
  // No App yet: serve GitHub's registration flow instead (docs/app.md, "Registering the App").
  if (!process.env['APP_ID']) {
    const { startSetup } = await import('./setup/start-setup.ts')
    await startSetup(process.argv.slice(2), process.env, process.cwd())
    return
  }
  const { startAppServer } = await import('./server.ts')
  let started: AppServer | null = null
  const app = await startAppServer(process.env, process.cwd(), {
    workerEntry: new URL(import.meta.url),
    onFatal(reason) {
      const line = 'worker thread lost; exiting for the supervisor to restart the App'
      if (started) started.probot.log.error({ reason }, line)
      else process.stderr.write(`${line}: ${reason}\n`)
      setTimeout(() => process.exit(1), 50)
    },
  })
  started = app
  const log = app.probot.log
  const drainMs = Number(process.env['KITTY_DRAIN_TIMEOUT_MS'] ?? DEFAULT_DRAIN_MS)
  let stopping = false
  const stop = (signal: string) => {
    if (stopping) return
    stopping = true
    log.info({ signal, in_flight: app.running() }, `${signal}: draining`)
    const bound = Number.isFinite(drainMs) && drainMs >= 0 ? drainMs : DEFAULT_DRAIN_MS
    void app
      .drain(bound)
      .then(
        (drained) => {
          if (drained) log.info({}, 'drained; exiting')
          else log.warn({ in_flight: app.running() }, 'drain bound reached; the jobs cut short will be retried')
        },
        (err: unknown) => log.error({ reason: (err as Error).message }, 'drain failed; exiting'),
      )
      .then(() => app.close())
      // pino writes through a stream; give it a tick to flush.
      .then(() => setTimeout(() => process.exit(0), 50))
  }
  process.on('SIGTERM', () => stop('SIGTERM'))
  process.on('SIGINT', () => stop('SIGINT'))
  // Said once a signal drains: whoever acts on this line (a test, a supervisor) may signal at once.
  log.info(
    { url: app.url, queue: app.queueKind.kind, queue_at: app.queueKind.where },
    `kitty-github App listening on ${app.url}`,
  )
}

async function worker(data: WorkerData): Promise<void> {
  const { runAppWorker } = await import('./worker/run-app-worker.ts')
  await runAppWorker(process.env, data.cwd)
}

async function warmUpSender(data: WarmUpData): Promise<void> {
  const { sendWarmUp } = await import('./warm-up/send-warm-up.ts')
  parentPort?.postMessage(await sendWarmUp(data))
}

const role = isMainThread ? null : (workerData as Partial<WorkerData | WarmUpData> | null)?.role
// The warm-up's sender (warm-up/warm-up-receiver.ts): a thread that only posts to a loopback port.
if (role === WARM_UP_ROLE) void warmUpSender(workerData as WarmUpData)
else if (role === WORKER_ROLE)
  worker(workerData as WorkerData).catch((err: unknown) => {
    const failed: FromWorker = { type: 'failed', message: (err as Error).message.split('\n')[0] ?? 'unknown' }
    parentPort?.postMessage(failed)
    process.exit(1)
  })
else
  main().catch((err: unknown) => {
    const message = isKittyError(err) ? err.message : `kitty-github App failed to start: ${(err as Error).message}`
    process.stderr.write(`${message}\n`)
    process.exit(isKittyError(err) ? 2 : 1)
  })
