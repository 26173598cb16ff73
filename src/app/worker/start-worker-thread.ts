import { Worker } from 'node:worker_threads'
import type { LogLike } from '../handle-delivery.ts'
import type { FromWorker, MetricsJson, ToWorker, WorkerData } from './worker-messages.ts'
import { WORKER_ROLE } from './worker-messages.ts'

/**
 * The receiving thread's handle on the worker thread (run-app-worker.ts). A worker that dies (an
 * uncaught error, out of memory) is started again: the jobs it held are in the durable queue and are
 * taken back; too many deaths in a row and `onFatal` is told, so a supervisor restarts the process.
 */

export interface WorkerThread {
  /** Jobs the worker is running now, as it last said. */
  running(): number
  /** A delivery was recorded: wake the worker (coalesced: one message per turn of the event loop). */
  notify(): void
  /** The worker's metrics as JSON, to merge into /metrics; [] if it does not answer within a second. */
  metrics(): Promise<MetricsJson>
  /** Let running jobs finish within timeoutMs, close the worker's queue, stop the thread. */
  drain(timeoutMs: number): Promise<boolean>
}

export interface WorkerThreadOptions {
  /** The module the thread runs: the App's entry, which starts runAppWorker when it is a worker. */
  entry: URL
  env: NodeJS.ProcessEnv
  cwd: string
  log: LogLike
  /** Called when the worker cannot be kept running. */
  onFatal(reason: string): void
}

const RESTARTS_ALLOWED = 5
const RESTART_WINDOW_MS = 5 * 60_000
const RESTART_DELAY_MS = 1_000
const METRICS_TIMEOUT_MS = 1_000

interface Live {
  worker: Worker
  ready: Promise<void>
}

function spawnWorker(options: WorkerThreadOptions, onMessage: (m: FromWorker) => void): Live {
  const workerData: WorkerData = { role: WORKER_ROLE, cwd: options.cwd }
  const worker = new Worker(options.entry, { workerData, env: { ...options.env } })
  const ready = new Promise<void>((resolve, reject) => {
    const early = (err: Error) => reject(err)
    const exitEarly = (code: number) => reject(new Error(`the worker thread exited with ${code} before it was ready`))
    worker.once('error', early)
    worker.once('exit', exitEarly)
    worker.on('message', (message: FromWorker) => {
      if (message.type === 'failed') reject(new Error(message.message))
      if (message.type === 'ready') {
        worker.off('error', early)
        worker.off('exit', exitEarly)
        resolve()
      }
      onMessage(message)
    })
  })
  return { worker, ready }
}

export async function startWorkerThread(options: WorkerThreadOptions): Promise<WorkerThread> {
  let count = 0
  let notifying = false
  let draining = false
  let nextId = 0
  const pending = new Map<number, (json: MetricsJson) => void>()
  const deaths: number[] = []
  let drained: ((finished: boolean) => void) | null = null
  const onMessage = (message: FromWorker) => {
    if (message.type === 'running') count = message.count
    if (message.type === 'metrics') pending.get(message.id)?.(message.metrics)
    if (message.type === 'drained') drained?.(message.finished)
  }
  const send = (message: ToWorker) => live.worker.postMessage(message)
  let live = spawnWorker(options, onMessage)
  const watch = (current: Live) => {
    current.worker.once('error', (err) =>
      options.log.error({ reason: err.message.split('\n')[0] }, 'worker thread failed; its jobs are retried'),
    )
    current.worker.once('exit', (code) => {
      count = 0
      if (draining) return drained?.(false)
      const now = Date.now()
      deaths.push(now)
      while (deaths.length > 0 && now - deaths[0]! > RESTART_WINDOW_MS) deaths.shift()
      if (deaths.length > RESTARTS_ALLOWED)
        return options.onFatal(`the worker thread died ${deaths.length} times within ${RESTART_WINDOW_MS / 1000} s`)
      options.log.warn({ code, restarts: deaths.length }, 'worker thread exited; starting another')
      setTimeout(() => {
        if (draining) return
        live = spawnWorker(options, onMessage)
        live.ready.then(
          () => watch(live),
          (err: Error) => options.onFatal(`the worker thread could not start again: ${err.message}`),
        )
      }, RESTART_DELAY_MS).unref()
    })
  }
  await live.ready
  watch(live)
  return {
    running: () => count,
    notify() {
      if (notifying || draining) return
      notifying = true
      setImmediate(() => {
        notifying = false
        send({ type: 'notify' })
      })
    },
    metrics() {
      const id = ++nextId
      return new Promise<MetricsJson>((resolve) => {
        const timer = setTimeout(() => finish([]), METRICS_TIMEOUT_MS)
        const finish = (json: MetricsJson) => {
          clearTimeout(timer)
          pending.delete(id)
          resolve(json)
        }
        pending.set(id, finish)
        send({ type: 'metrics', id })
      })
    },
    async drain(timeoutMs) {
      draining = true
      const answered = new Promise<boolean>((resolve) => (drained = resolve))
      // The worker bounds its own drain; the extra second is for closing its queue and saying so.
      const late = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), timeoutMs + 1_000).unref())
      send({ type: 'drain', timeoutMs })
      const finished = await Promise.race([answered, late])
      await live.worker.terminate()
      return finished
    },
  }
}
