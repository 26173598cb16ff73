import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import { currentIdentity, formatIdentity, identityAlive, parseIdentity } from '../../store/safe-fs/process-identity.ts'
import type {
  Delivery,
  DeliveryHandler,
  DeliveryJob,
  DeliveryQueue,
  EnqueueOutcome,
  FailedJob,
  JobRecord,
  QueueStats,
  RetryPolicy,
  StartOptions,
} from './delivery-queue.ts'
import {
  backoffMs,
  checkDelivery,
  checkFailedStep,
  checkListLimit,
  checkStep,
  DEFAULT_KEEP_FINISHED_MS,
  DEFAULT_RETRY,
  DeliveryQueueError,
  failureReason,
} from './delivery-queue.ts'
import type { ClaimedRow } from './embedded-store.ts'
import { EmbeddedStore } from './embedded-store.ts'

/**
 * The default queue: one SQLite file in the cache dir, no server to run, one replica. A job a dead
 * process held (kill -9, OOM, a container restart) is taken back when the next instance starts and
 * periodically after: its owner is recorded as boot id + pid + process start time, so a restarted
 * process that got the same pid (PID 1 in a container) does not take the dead owner for alive.
 */

export interface EmbeddedQueueOptions {
  /** The SQLite file (created with its folder); `embeddedQueueFile(cacheDir)` by default in the App. */
  file: string
  retry?: Partial<RetryPolicy>
  /** How long finished jobs (and so their ids, for dedupe) are kept. */
  keepFinishedMs?: number
  /** How often to look for due retries, jobs enqueued by another process, and dead owners. */
  pollMs?: number
}

export function embeddedQueueFile(cacheDir: string): string {
  return join(cacheDir, 'kitty-deliveries.sqlite')
}

/** Instances open in this process, by nonce: a same-process owner is alive only while its instance is open. */
const OPEN_INSTANCES = new Set<string>()
const SELF = formatIdentity(currentIdentity())
const PURGE_EVERY_MS = 60_000

function ownerAlive(owner: string): boolean {
  const [identity, nonce] = owner.split('#')
  if (identity === SELF) return nonce !== undefined && OPEN_INSTANCES.has(nonce)
  const parsed = parseIdentity(identity ?? '')
  return parsed !== null && identityAlive(parsed)
}

export function openEmbeddedQueue(options: EmbeddedQueueOptions): DeliveryQueue {
  return new EmbeddedQueue(options)
}

class EmbeddedQueue implements DeliveryQueue {
  readonly #store: EmbeddedStore
  readonly #retry: RetryPolicy
  readonly #keepMs: number
  readonly #pollMs: number
  readonly #nonce = randomUUID()
  readonly #owner: string
  readonly #running = new Map<string, Promise<void>>()
  readonly #batch: Array<{ delivery: Delivery; resolve: (o: EnqueueOutcome) => void; reject: (e: unknown) => void }> =
    []
  #handler: DeliveryHandler | null = null
  #concurrency = 1
  #taking = false
  #closed = false
  #timer: NodeJS.Timeout | undefined
  #purgedAt = 0

  constructor(options: EmbeddedQueueOptions) {
    this.#store = new EmbeddedStore(options.file)
    this.#retry = { ...DEFAULT_RETRY, ...options.retry }
    this.#keepMs = options.keepFinishedMs ?? DEFAULT_KEEP_FINISHED_MS
    this.#pollMs = options.pollMs ?? 1_000
    this.#owner = `${SELF}#${this.#nonce}`
    OPEN_INSTANCES.add(this.#nonce)
  }

  #open(): EmbeddedStore {
    if (this.#closed) throw new DeliveryQueueError('The delivery queue is closed.')
    return this.#store
  }

  async enqueue(delivery: Delivery): Promise<EnqueueOutcome> {
    checkDelivery(delivery)
    this.#open()
    return new Promise((resolve, reject) => {
      // Enqueues arriving while a commit's fsync blocks join the next commit: a burst costs a few fsyncs, not one each.
      if (this.#batch.push({ delivery, resolve, reject }) === 1) setImmediate(() => this.#commit())
    })
  }

  #commit(): void {
    const batch = this.#batch.splice(0)
    if (batch.length === 0) return
    try {
      const outcomes = this.#open().enqueueMany(batch.map((b) => b.delivery))
      batch.forEach((b, i) => b.resolve(outcomes[i]!))
    } catch (err) {
      for (const b of batch) b.reject(err)
    }
    this.#take()
  }

  start(handler: DeliveryHandler, options: StartOptions): void {
    this.#open()
    if (this.#handler) throw new DeliveryQueueError('This delivery queue is already started.')
    if (!Number.isInteger(options.concurrency) || options.concurrency < 1)
      throw new DeliveryQueueError(`concurrency must be a positive integer, not ${options.concurrency}.`)
    this.#handler = handler
    this.#concurrency = options.concurrency
    this.#store.checkpointOften()
    this.#taking = true
    this.#tick()
  }

  /** Housekeeping, then take what is runnable; again at the next retry's time or after pollMs. */
  #tick(): void {
    clearTimeout(this.#timer)
    if (!this.#taking) return
    const now = Date.now()
    for (const owner of this.#store.activeOwners())
      if (!ownerAlive(owner)) this.#store.reclaim(owner, this.#retry.maxAttempts, now)
    if (now - this.#purgedAt >= PURGE_EVERY_MS) {
      this.#store.purge(now - this.#keepMs, now)
      this.#purgedAt = now
    }
    this.#take()
    const next = this.#store.nextRunAt()
    const wait = next === null ? this.#pollMs : Math.min(Math.max(next - now, 0), this.#pollMs)
    this.#timer = setTimeout(() => this.#tick(), wait)
  }

  #take(): void {
    while (this.#taking && this.#running.size < this.#concurrency) {
      const claimed = this.#store.claim(this.#owner, Date.now())
      if (!claimed) return
      const run = this.#run(claimed).finally(() => {
        this.#running.delete(claimed.delivery.id)
        this.#take()
      })
      this.#running.set(claimed.delivery.id, run)
    }
  }

  async #run(claimed: ClaimedRow): Promise<void> {
    const { delivery, attempts, steps } = claimed
    const job: DeliveryJob = {
      delivery,
      attempt: attempts,
      steps,
      saveStep: async (name, value) => {
        const json = checkStep(name, value)
        this.#open().saveStep(delivery.id, name, json)
        steps[name] = JSON.parse(json)
      },
    }
    try {
      await this.#handler!(job)
      if (!this.#closed) this.#store.complete(delivery.id, this.#owner, Date.now())
    } catch (err) {
      if (this.#closed) return
      const now = Date.now()
      const retryAt = attempts < this.#retry.maxAttempts ? now + backoffMs(this.#retry, attempts) : null
      this.#store.fail(delivery.id, this.#owner, failureReason(err), retryAt, now)
    }
  }

  notify(): void {
    if (this.#taking && !this.#closed) this.#take()
  }

  async remember(key: string, ttlMs: number): Promise<void> {
    this.#open().remember(key, Date.now() + ttlMs)
  }

  async seen(key: string): Promise<boolean> {
    return this.#open().seen(key, Date.now())
  }

  async stats(): Promise<QueueStats> {
    return this.#open().stats(Date.now())
  }

  async inspect(id: string): Promise<JobRecord | null> {
    return this.#open().inspect(id)
  }

  async listFailed(limit: number, options: { without?: string } = {}): Promise<FailedJob[]> {
    checkListLimit(limit)
    // No step is named '' (checkStep refuses it): without a `without`, nothing is skipped.
    return this.#open().listFailed(limit, options.without ?? '')
  }

  async saveFailedStep(id: string, name: string, value: unknown): Promise<boolean> {
    const json = checkFailedStep(name, value)
    return this.#open().saveFailedStep(id, name, json)
  }

  async drain(timeoutMs: number): Promise<boolean> {
    this.#taking = false
    clearTimeout(this.#timer)
    let timer: NodeJS.Timeout | undefined
    const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)))
    const done = Promise.allSettled([...this.#running.values()]).then(() => true as const)
    const drained = await Promise.race([done, late])
    clearTimeout(timer)
    return drained
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#taking = false
    // Enqueues still waiting for their commit are committed, not refused: their callers are about to answer 2xx.
    if (this.#batch.length > 0) this.#commit()
    clearTimeout(this.#timer)
    this.#closed = true
    // Jobs still running are this instance's no more: the next instance takes them back.
    OPEN_INSTANCES.delete(this.#nonce)
    this.#store.close()
  }
}
