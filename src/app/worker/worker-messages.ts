import type { MetricObjectWithValues, MetricValue } from 'prom-client'

/**
 * What the App's two threads say to each other. The receiving thread (HTTP, signatures, the durable
 * enqueue) never runs engine work; the worker thread takes jobs from the queue and answers them. Both
 * open the same queue (the SQLite file, or Redis), so nothing acknowledged lives only in a message.
 */

/** workerData of the worker thread: how index.ts knows which of the two it is starting as. */
export const WORKER_ROLE = 'kitty-app-worker'
/** workerData of the start-up warm-up's sender (warm-up/send-warm-up.ts). */
export const WARM_UP_ROLE = 'kitty-app-warm-up'

export interface WorkerData {
  role: typeof WORKER_ROLE
  cwd: string
}

export type ToWorker =
  /** A delivery was recorded: look for it now rather than at the next poll. */
  | { type: 'notify' }
  /** Send your registry's metrics (answered with the same id). */
  | { type: 'metrics'; id: number }
  /** Stop taking jobs, let running ones finish within timeoutMs, close the queue, say 'drained'. */
  | { type: 'drain'; timeoutMs: number }

export type MetricsJson = Array<MetricObjectWithValues<MetricValue<string>>>

export type FromWorker =
  /** Probot is loaded and the queue started: the worker is taking jobs. */
  | { type: 'ready' }
  /** Jobs running now (sent on every change: the receiver's drain line and gauge read it). */
  | { type: 'running'; count: number }
  | { type: 'metrics'; id: number; metrics: MetricsJson }
  | { type: 'drained'; finished: boolean }
  /** The worker could not start (a bad setting, an unreadable key): the process should not serve. */
  | { type: 'failed'; message: string }
