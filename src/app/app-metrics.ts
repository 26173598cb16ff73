import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { QueueStats } from './queue/delivery-queue.ts'

/**
 * The App's Prometheus metrics, on a registry of its own (not prom-client's global one), so several
 * servers in one process (tests, the bench) never share or double-register counters.
 */
export interface AppMetrics {
  registry: Registry
  commands: Counter<'command' | 'outcome'>
  duration: Histogram<'command'>
  stateRetries: Counter
  deliveries: Counter<'event' | 'action'>
  refusals: Counter<'reason'>
  /** Webhook responses by HTTP status (2xx acknowledged, 4xx refused, 5xx failed, 503 draining). */
  responses: Counter<'status'>
  /** Answers (check run, reply, reaction, label) that could not be published. */
  answersFailed: Counter<'kind'>
  /** How long a delivery waited, from receipt, for its repository's turn and a free worker. */
  repositoryWait: Histogram
  /** Failed deliveries the recovery sweep dealt with, by outcome (finished, nothing_owed, gave_up). */
  sweptJobs: Counter<'outcome'>
  /** A delivery's answers are published: observe the latency from its receipt (the queue's `receivedAt`). */
  answered(receivedAt: number): void
  /** Where backlog figures come from: the delivery queue's stats() (until set, the jobs running here). */
  observeQueue(read: () => QueueStats | Promise<QueueStats>): void
  backlog(): Promise<QueueStats>
}

export interface AppMetricsOptions {
  /**
   * The process's own figures (Node's default metrics, the queue's backlog): on in the receiving
   * thread, off in the worker thread, whose registry is merged into the receiver's /metrics (a figure
   * kept by both would be counted twice).
   */
  processWide?: boolean
}

export function createAppMetrics(queueDepth: () => number, options: AppMetricsOptions = {}): AppMetrics {
  const processWide = options.processWide ?? true
  const registry = new Registry()
  let readQueue = (): QueueStats | Promise<QueueStats> => ({
    waiting: queueDepth(),
    active: 0,
    failed: 0,
    oldestPendingMs: 0,
  })
  if (processWide) collectDefaultMetrics({ register: registry })
  const commands = new Counter({
    name: 'kitty_commands_total',
    help: 'Commands answered, by engine command and outcome (success or the envelope error code).',
    labelNames: ['command', 'outcome'] as const,
    registers: [registry],
  })
  const duration = new Histogram({
    name: 'kitty_command_duration_seconds',
    help: 'Time an engine command took, from its turn in the repository queue to its envelope.',
    labelNames: ['command'] as const,
    // A warm command is a few hundred ms; merge-mission on a cold cache can take tens of seconds.
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  })
  const stateRetries = new Counter({
    name: 'kitty_state_conflict_retries_total',
    help: 'Lost compare-and-swaps on a state branch that were re-read, re-validated and retried.',
    registers: [registry],
  })
  const deliveries = new Counter({
    name: 'kitty_webhook_deliveries_total',
    help: 'Webhook deliveries that passed signature verification, by event and action.',
    labelNames: ['event', 'action'] as const,
    registers: [registry],
  })
  const refusals = new Counter({
    name: 'kitty_webhook_refusals_total',
    help: 'Webhook requests refused before any handler ran (size, headers, signature, JSON), by reason.',
    labelNames: ['reason'] as const,
    registers: [registry],
  })
  new Gauge({
    name: 'kitty_queue_depth',
    help: 'Deliveries waiting or running in the per-repository queues of this process.',
    registers: [registry],
    collect() {
      this.set(queueDepth())
    },
  })
  const responses = new Counter({
    name: 'kitty_webhook_responses_total',
    help: 'Webhook responses by HTTP status: 2xx acknowledged, 4xx refused, 503 draining or not recorded.',
    labelNames: ['status'] as const,
    registers: [registry],
  })
  const answersFailed = new Counter({
    name: 'kitty_answers_failed_total',
    help: 'Answers that could not be published on GitHub, by kind (check_run, reply, reaction).',
    labelNames: ['kind'] as const,
    registers: [registry],
  })
  const answerLatency = new Histogram({
    name: 'kitty_delivery_answer_seconds',
    help: 'From a verified delivery arriving to its answers published on GitHub (check run, reply, reaction).',
    // GitHub's secondary limits pace answers at about a write a second: a backlog shows as minutes here.
    buckets: [0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900],
    registers: [registry],
  })
  const repositoryWait = new Histogram({
    name: 'kitty_repository_wait_seconds',
    help: "Time from a delivery's receipt to its first run: its repository's turn and a free worker.",
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300],
    registers: [registry],
  })
  const sweptJobs = new Counter({
    name: 'kitty_swept_deliveries_total',
    help: 'Failed deliveries the recovery sweep finished the answers of (check runs left in_progress, merge labels left on), by outcome.',
    labelNames: ['outcome'] as const,
    registers: [registry],
  })
  const backlog = async () => readQueue()
  if (processWide) registerBacklog(registry, backlog)
  return {
    registry,
    commands,
    duration,
    stateRetries,
    deliveries,
    refusals,
    responses,
    answersFailed,
    repositoryWait,
    sweptJobs,
    answered(receivedAt) {
      answerLatency.observe((Date.now() - receivedAt) / 1000)
    },
    observeQueue(read) {
      readQueue = read
    },
    backlog,
  }
}

function registerBacklog(registry: Registry, backlog: () => Promise<QueueStats>): void {
  new Gauge({
    name: 'kitty_backlog_deliveries',
    help: 'Deliveries accepted and not finished, by state (waiting, active).',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      const stats = await backlog()
      this.set({ state: 'waiting' }, stats.waiting)
      this.set({ state: 'active' }, stats.active)
    },
  })
  new Gauge({
    name: 'kitty_backlog_oldest_pending_seconds',
    help: 'Age of the oldest accepted delivery not yet finished; 0 when none.',
    registers: [registry],
    async collect() {
      this.set((await backlog()).oldestPendingMs / 1000)
    },
  })
}
