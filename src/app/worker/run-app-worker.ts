import { setPriority } from 'node:os'
import { parentPort } from 'node:worker_threads'
import type { MessagePort } from 'node:worker_threads'
import { engineEnvironment, workers } from '../app-environment.ts'
import type { AppMetrics } from '../app-metrics.ts'
import { createAppMetrics } from '../app-metrics.ts'
import type { LogLike } from '../handle-delivery.ts'
import { kittyWorker } from '../kitty-app.ts'
import { openAppProbot, openAppQueue } from '../open-app-probot.ts'
import type { DeliveryHandler } from '../queue/delivery-queue.ts'
import { failureReason } from '../queue/delivery-queue.ts'
import { recoverySweepDeps, startRecoverySweep, sweepIntervalMs } from '../sweep-abandoned.ts'
import type { FromWorker, MetricsJson, ToWorker } from './worker-messages.ts'

/**
 * The App's worker thread: takes jobs from the durable queue and runs them (git, the engine, the
 * answers on GitHub). It runs apart from the receiving thread because that work is CPU-bound in
 * stretches (inflating and hashing objects): on the receiver's event loop it held acknowledgements back
 * for seconds under a burst. It has its own Probot (its own installation tokens and throttles) and its
 * own metrics registry, which the receiver merges into /metrics.
 */

/**
 * Nice value of this thread: when the node's cores are busy, the receiving thread (nice 0) runs first,
 * so acknowledgements stay fast under a burst and the work takes what is left. On Linux,
 * setpriority(PRIO_PROCESS, 0) applies to the calling thread only (and to what it spawns, like git).
 */
const WORKER_NICE = 10

function lowerPriority(log: LogLike): void {
  try {
    setPriority(0, WORKER_NICE)
  } catch (err) {
    log.warn({ reason: (err as Error).message }, 'worker thread: could not lower its priority')
  }
}

function say(port: MessagePort, message: FromWorker): void {
  port.postMessage(message)
}

/** The handler the queue runs: counts what runs, times the answer, logs a failure the queue will retry. */
function countedHandler(
  work: DeliveryHandler,
  metrics: AppMetrics,
  log: LogLike,
  running: (delta: number) => void,
): DeliveryHandler {
  return async (job) => {
    running(1)
    if (job.attempt === 1) metrics.repositoryWait.observe((Date.now() - job.delivery.receivedAt) / 1000)
    try {
      await work(job)
      metrics.answered(job.delivery.receivedAt)
    } catch (err) {
      log.warn(
        { delivery: job.delivery.id, attempt: job.attempt, reason: failureReason(err) },
        'delivery failed; the queue retries it',
      )
      throw err
    } finally {
      running(-1)
    }
  }
}

export async function runAppWorker(env: NodeJS.ProcessEnv, cwd: string): Promise<void> {
  const port = parentPort
  if (!port) throw new Error('runAppWorker runs in a worker thread.')
  let count = 0
  const metrics = createAppMetrics(() => count, { processWide: false })
  const probot = await openAppProbot(env)
  const log = probot.log as unknown as LogLike
  lowerPriority(log)
  const { queue } = openAppQueue(env, log)
  const work = kittyWorker(probot, { metrics, applied: queue, engineEnv: engineEnvironment(env), cwd })
  const running = (delta: number) => {
    count += delta
    say(port, { type: 'running', count })
  }
  port.on('message', (message: ToWorker) => {
    if (message.type === 'notify') return queue.notify()
    if (message.type === 'metrics')
      return void metrics.registry
        .getMetricsAsJSON()
        .then((json) => say(port, { type: 'metrics', id: message.id, metrics: json as MetricsJson }))
    void Promise.all([queue.drain(message.timeoutMs), stopSweep(message.timeoutMs)])
      .then(async ([finished]) => {
        await queue.close()
        say(port, { type: 'drained', finished })
      })
      .catch((err: unknown) => {
        log.error({ reason: failureReason(err) }, 'worker drain failed')
        say(port, { type: 'drained', finished: false })
      })
  })
  queue.start(countedHandler(work, metrics, log, running), { concurrency: workers(env) })
  // After start: the embedded queue has taken back (and failed) a dead process's jobs by now.
  const stopSweep = startRecoverySweep(recoverySweepDeps(probot, queue, metrics), sweepIntervalMs(env))
  say(port, { type: 'ready' })
}
