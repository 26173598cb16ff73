import { setTimeout as sleep } from 'node:timers/promises'
import { DelayedError, Queue, Worker } from 'bullmq'
import type { Job } from 'bullmq'
import { Redis } from 'ioredis'
import type {
  Delivery,
  DeliveryHandler,
  DeliveryQueue,
  EnqueueOutcome,
  FailedJob,
  JobRecord,
  JobState,
  QueueStats,
  RetryPolicy,
  StartOptions,
} from './delivery-queue.ts'
import {
  AFTER_FAILURE,
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

/**
 * The queue for several replicas: BullMQ on Redis (REDIS_URL). The delivery id is the BullMQ job id,
 * so a redelivery to any replica is the same job. A replica that dies leaves its jobs' locks to expire;
 * any other replica's stalled check moves them back to wait (lockDurationMs bounds the takeover).
 *
 * Per-repository order across replicas: each repository has a Redis list of its pending job ids in
 * arrival order; a job runs only while it is the list's head, so one job per repository runs in the
 * whole fleet, in order. A job that is not the head is moved to delayed (DelayedError, no attempt
 * spent) and promoted when the head finishes. The line's order is the order enqueues registered, so two
 * deliveries of one repository arriving within one enqueue's round trips may run in either order. Attempts and saved steps live in a hash per job, counted
 * by this adapter (not BullMQ's attemptsMade) so a run cut short by a crash counts like a failure.
 *
 * Durability is Redis's: acknowledge-after-enqueue is only as safe as its persistence (appendonly yes).
 */

export interface RedisQueueOptions {
  /** redis://[user:password@]host:port[/db] */
  url: string
  /** Key prefix (BullMQ's): replicas of one App share it; tests use one per test. */
  prefix?: string
  retry?: Partial<RetryPolicy>
  keepFinishedMs?: number
  /** A dead replica's job is taken over after about this long (BullMQ's lock, renewed at half). */
  lockDurationMs?: number
  /** How often each replica looks for stalled jobs. */
  stalledIntervalMs?: number
  /** First re-check of a job waiting for its repository's turn (scaled by its place in line, capped at 30 s). */
  busyPollMs?: number
  /** Redis and BullMQ errors that reach no caller (connection drops, a failed promotion). */
  onError?: (err: Error) => void
}

const QUEUE_NAME = 'kitty-deliveries'

interface Side {
  redis: Redis
  queue: Queue<Delivery>
}

/** Append `id` to its repository's line unless it is already in it (a redelivery, a re-registration). */
const REGISTER = `if redis.call('LPOS', KEYS[1], ARGV[1]) == false then redis.call('RPUSH', KEYS[1], ARGV[1]) end return 1`

/**
 * Save a step on a job only while it is in BullMQ's failed set (KEYS[1]); the job's hash (KEYS[2]) keeps
 * an expiry, so a step saved after it was forgotten does not stay forever. One script: a redelivery's
 * retry cannot move the job out between the check and the write.
 */
const SAVE_IF_FAILED = `if redis.call('ZSCORE', KEYS[1], ARGV[1]) == false then return 0 end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
if redis.call('PTTL', KEYS[2]) < 0 then redis.call('PEXPIRE', KEYS[2], ARGV[4]) end
return 1`

/** Failed jobs read per round trip by listFailed. */
const FAILED_PAGE = 100

export function openRedisQueue(options: RedisQueueOptions): DeliveryQueue {
  return new RedisDeliveryQueue(options)
}

function stateOf(bull: string): JobState | null {
  if (bull === 'active') return 'active'
  if (bull === 'completed') return 'done'
  if (bull === 'failed') return 'failed'
  if (bull === 'unknown') return null
  return 'waiting'
}

class RedisDeliveryQueue implements DeliveryQueue {
  readonly #options: RedisQueueOptions
  readonly #prefix: string
  readonly #retry: RetryPolicy
  readonly #keepMs: number
  /** Receiving (enqueue, stats, inspect): fails within about a second when Redis is away, so the webhook answers 5xx. */
  readonly #front: Side
  /** Working: waits for Redis to come back rather than fail a job over a blip. Opened by start(). */
  #back: Side | null = null
  #worker: Worker<Delivery> | null = null
  /** Enqueues under way: close() lets them finish, their callers are about to answer GitHub 2xx. */
  readonly #enqueuing = new Set<Promise<void>>()
  #closed = false

  constructor(options: RedisQueueOptions) {
    this.#options = options
    this.#prefix = options.prefix ?? 'kitty'
    this.#retry = { ...DEFAULT_RETRY, ...options.retry }
    this.#keepMs = options.keepFinishedMs ?? DEFAULT_KEEP_FINISHED_MS
    this.#front = this.#side(2)
  }

  #side(maxRetriesPerRequest: number | null): Side {
    const redis = new Redis(this.#options.url, { maxRetriesPerRequest })
    redis.on('error', (err: Error) => this.#error(err))
    const queue = new Queue<Delivery>(QUEUE_NAME, {
      connection: this.#connection(maxRetriesPerRequest),
      prefix: this.#prefix,
    })
    queue.on('error', (err: Error) => this.#error(err))
    return { redis, queue }
  }

  #connection(maxRetriesPerRequest: number | null) {
    return { url: this.#options.url, maxRetriesPerRequest }
  }

  #error(err: Error): void {
    if (!this.#closed) this.#options.onError?.(err)
  }

  #key(...parts: string[]): string {
    return [this.#prefix, 'kitty', ...parts].join(':')
  }

  #open(): void {
    if (this.#closed) throw new DeliveryQueueError('The delivery queue is closed.')
  }

  async #register(d: Delivery): Promise<void> {
    await this.#front.redis.zadd(this.#key('pending'), 'NX', d.receivedAt, d.id)
    if (d.repository) await this.#front.redis.eval(REGISTER, 1, this.#key('repo', d.repository), d.id)
  }

  async enqueue(delivery: Delivery): Promise<EnqueueOutcome> {
    checkDelivery(delivery)
    this.#open()
    const pending = this.#enqueue(delivery).catch((err: unknown) => {
      throw new DeliveryQueueError(`Could not record delivery ${delivery.id} in Redis: ${(err as Error).message}`)
    })
    const settled = pending.then(
      () => undefined,
      () => undefined,
    )
    this.#enqueuing.add(settled)
    void settled.then(() => this.#enqueuing.delete(settled))
    return pending
  }

  async #enqueue(delivery: Delivery): Promise<EnqueueOutcome> {
    if ((await this.#front.redis.exists(this.#key('done', delivery.id))) === 1) return 'duplicate'
    const existing = await this.#front.queue.getJob(delivery.id)
    if (existing) return this.#requeueIfFailed(existing)
    // Two replicas receiving one id at once: the first to claim it adds the job, the other answers duplicate.
    const claimed = await this.#front.redis.set(this.#key('enqueuing', delivery.id), '1', 'PX', 60_000, 'NX')
    if (claimed === null && (await this.#appears(delivery.id))) return 'duplicate'
    // Claimed, or the claimant died before adding the job (a crash between its claim and add): add it now.
    // Registered first: a job BullMQ could hand out must already be in its repository's line.
    await this.#register(delivery)
    // A done job leaves only a `done` marker (set before BullMQ removes it): no body kept in Redis's memory for days.
    await this.#front.queue.add(delivery.event, delivery, {
      jobId: delivery.id,
      attempts: 1,
      removeOnComplete: true,
      removeOnFail: { age: Math.ceil(this.#keepMs / 1000) },
    })
    return 'queued'
  }

  /** Wait (bounded) for another enqueue of the same id to add its job. */
  async #appears(id: string): Promise<boolean> {
    for (let i = 0; i < 40; i++) {
      if (await this.#front.queue.getJob(id)) return true
      await sleep(50)
    }
    return false
  }

  async #requeueIfFailed(job: Job<Delivery>): Promise<EnqueueOutcome> {
    if ((await job.getState()) !== 'failed') return 'duplicate'
    const hash = this.#key('job', job.data.id)
    await this.#register(job.data)
    await this.#front.redis.hdel(hash, 'attempts', 'reason')
    await this.#front.redis.persist(hash)
    try {
      await job.retry('failed')
    } catch (err) {
      // Another redelivery of the same id retried it first.
      if ((await job.getState()) !== 'failed') return 'duplicate'
      throw err
    }
    // After the retry, not before: out of the failed set, no sweep can save another one now.
    await this.#forgetFailureSteps(hash)
    return 'queued'
  }

  /** What was done about the failure (the sweep's steps) is not the new run's business. */
  async #forgetFailureSteps(hash: string): Promise<void> {
    const fields = (await this.#front.redis.hkeys(hash)).filter((f) => f.startsWith(`step:${AFTER_FAILURE}`))
    if (fields.length > 0) await this.#front.redis.hdel(hash, ...fields)
  }

  start(handler: DeliveryHandler, options: StartOptions): void {
    this.#open()
    if (this.#worker) throw new DeliveryQueueError('This delivery queue is already started.')
    if (!Number.isInteger(options.concurrency) || options.concurrency < 1)
      throw new DeliveryQueueError(`concurrency must be a positive integer, not ${options.concurrency}.`)
    const back = this.#side(null)
    this.#back = back
    this.#worker = new Worker<Delivery>(QUEUE_NAME, (job, token) => this.#process(back, job, token ?? '', handler), {
      connection: this.#connection(null),
      prefix: this.#prefix,
      concurrency: options.concurrency,
      lockDuration: this.#options.lockDurationMs ?? 30_000,
      stalledInterval: this.#options.stalledIntervalMs ?? 15_000,
      // This adapter counts attempts itself (a crash counts); BullMQ must not fail a job for stalling first.
      maxStalledCount: this.#retry.maxAttempts + 1,
    })
    this.#worker.on('error', (err: Error) => this.#error(err))
  }

  async #process(back: Side, job: Job<Delivery>, token: string, handler: DeliveryHandler): Promise<void> {
    const delivery = job.data
    if (delivery.repository) await this.#awaitTurn(back, job, token, delivery.repository)
    const hash = this.#key('job', delivery.id)
    const attempt = await back.redis.hincrby(hash, 'attempts', 1)
    if (attempt > this.#retry.maxAttempts) {
      // Not run: the count stays at the attempts that did run (as the embedded queue counts them).
      await back.redis.hset(hash, 'attempts', String(this.#retry.maxAttempts))
      const last = (await back.redis.hget(hash, 'reason')) ?? 'the worker running it stopped before it finished'
      await this.#finish(back, delivery)
      throw new Error(last)
    }
    const steps = await this.#steps(back.redis, hash)
    try {
      await handler({
        delivery,
        attempt,
        steps,
        saveStep: async (name, value) => {
          const json = checkStep(name, value)
          await back.redis.hset(hash, `step:${name}`, json)
          steps[name] = JSON.parse(json)
        },
      })
    } catch (err) {
      const reason = failureReason(err)
      await back.redis.hset(hash, 'reason', reason)
      if (attempt < this.#retry.maxAttempts) {
        await job.moveToDelayed(Date.now() + backoffMs(this.#retry, attempt), token)
        throw new DelayedError()
      }
      await this.#finish(back, delivery)
      throw new Error(reason)
    }
    await back.redis.set(this.#key('done', delivery.id), '1', 'PX', this.#keepMs)
    await this.#finish(back, delivery)
  }

  /** Return when `job` heads its repository's line; otherwise park it in delayed and end this run. */
  async #awaitTurn(back: Side, job: Job<Delivery>, token: string, repository: string): Promise<void> {
    const line = this.#key('repo', repository)
    // Re-register: an enqueue cut short between add and registration, or a run after cleanup, is still in line.
    await back.redis.eval(REGISTER, 1, line, job.data.id)
    for (let i = 0; i < 10; i++) {
      const head = await back.redis.lindex(line, 0)
      if (head === null || head === job.data.id) return
      // A head that finished (its process died before cleaning up) or was forgotten blocks nobody.
      const state = await back.queue.getJobState(head)
      if (state !== 'completed' && state !== 'failed' && state !== 'unknown') break
      await back.redis.lrem(line, 1, head)
    }
    const place = (await back.redis.lpos(line, job.data.id)) ?? 1
    const wait = Math.min((this.#options.busyPollMs ?? 1_000) * Math.max(place, 1), 30_000)
    await job.moveToDelayed(Date.now() + wait, token)
    throw new DelayedError()
  }

  async #steps(redis: Redis, hash: string): Promise<Record<string, unknown>> {
    const steps: Record<string, unknown> = {}
    for (const [field, value] of Object.entries(await redis.hgetall(hash)))
      if (field.startsWith('step:')) steps[field.slice(5)] = JSON.parse(value)
    return steps
  }

  /** Out of its repository's line and the pending set; wake the next in line at once. */
  async #finish(back: Side, delivery: Delivery): Promise<void> {
    await back.redis.zrem(this.#key('pending'), delivery.id)
    await back.redis.pexpire(this.#key('job', delivery.id), this.#keepMs)
    if (!delivery.repository) return
    const line = this.#key('repo', delivery.repository)
    await back.redis.lrem(line, 1, delivery.id)
    const next = await back.redis.lindex(line, 0)
    if (next === null) return
    const job = await back.queue.getJob(next)
    if (job && (await job.getState()) === 'delayed') await job.promote().catch(() => undefined)
  }

  /** BullMQ's workers wait on Redis for new jobs: nothing to do. */
  notify(): void {}

  async remember(key: string, ttlMs: number): Promise<void> {
    this.#open()
    await this.#front.redis.set(this.#key('applied', key), '1', 'PX', Math.max(Math.round(ttlMs), 1))
  }

  async seen(key: string): Promise<boolean> {
    this.#open()
    return (await this.#front.redis.exists(this.#key('applied', key))) === 1
  }

  async stats(): Promise<QueueStats> {
    this.#open()
    const c = await this.#front.queue.getJobCounts('wait', 'delayed', 'prioritized', 'active', 'failed')
    const oldest = await this.#oldestPending()
    return {
      waiting: (c['wait'] ?? 0) + (c['delayed'] ?? 0) + (c['prioritized'] ?? 0),
      active: c['active'] ?? 0,
      failed: c['failed'] ?? 0,
      oldestPendingMs: oldest === null ? 0 : Math.max(Date.now() - oldest, 0),
    }
  }

  /** The pending set's oldest entry, skipping (and dropping) entries a crash left after their job finished. */
  async #oldestPending(): Promise<number | null> {
    const pending = this.#key('pending')
    for (let i = 0; i < 10; i++) {
      const [id, score] = await this.#front.redis.zrange(pending, 0, 0, 'WITHSCORES')
      if (id === undefined || score === undefined) return null
      const state = await this.#front.queue.getJobState(id)
      if (state !== 'completed' && state !== 'failed' && state !== 'unknown') return Number(score)
      await this.#front.redis.zrem(pending, id)
    }
    return null
  }

  async inspect(id: string): Promise<JobRecord | null> {
    this.#open()
    const job = await this.#front.queue.getJob(id)
    const bull = job ? stateOf(await job.getState()) : null
    const state = bull ?? ((await this.#front.redis.exists(this.#key('done', id))) === 1 ? 'done' : null)
    if (!state) return null
    const hash = this.#key('job', id)
    const record: JobRecord = {
      id,
      state,
      attempts: Number((await this.#front.redis.hget(hash, 'attempts')) ?? 0),
      steps: await this.#steps(this.#front.redis, hash),
    }
    const reason = (await this.#front.redis.hget(hash, 'reason')) ?? (job?.failedReason || null)
    if (reason) record.reason = reason
    return record
  }

  async listFailed(limit: number, options: { without?: string } = {}): Promise<FailedJob[]> {
    checkListLimit(limit)
    this.#open()
    const found: FailedJob[] = []
    // Oldest failure first (the failed set is scored by when each failed), a page at a time.
    for (let start = 0; found.length < limit; start += FAILED_PAGE) {
      const page = await this.#front.queue.getJobs(['failed'], start, start + FAILED_PAGE - 1, true)
      for (const job of page) {
        if (found.length >= limit) break
        const record = job ? await this.#failedRecord(job as Job<Delivery>, options.without) : null
        if (record) found.push(record)
      }
      if (page.length < FAILED_PAGE) break
    }
    return found
  }

  async #failedRecord(job: Job<Delivery>, without: string | undefined): Promise<FailedJob | null> {
    const delivery = job.data
    const hash = this.#key('job', delivery.id)
    if (without !== undefined && (await this.#front.redis.hexists(hash, `step:${without}`)) === 1) return null
    const steps = await this.#steps(this.#front.redis, hash)
    const record: FailedJob = {
      id: delivery.id,
      state: 'failed',
      attempts: Number((await this.#front.redis.hget(hash, 'attempts')) ?? 0),
      steps,
      delivery,
    }
    const reason = (await this.#front.redis.hget(hash, 'reason')) ?? (job.failedReason || null)
    if (reason) record.reason = reason
    return record
  }

  async saveFailedStep(id: string, name: string, value: unknown): Promise<boolean> {
    const json = checkFailedStep(name, value)
    this.#open()
    const failedSet = this.#front.queue.keys['failed']!
    const saved = await this.#front.redis.eval(
      SAVE_IF_FAILED,
      2,
      failedSet,
      this.#key('job', id),
      id,
      `step:${name}`,
      json,
      String(this.#keepMs),
    )
    return saved === 1
  }

  async drain(timeoutMs: number): Promise<boolean> {
    const worker = this.#worker
    if (!worker) return true
    let timer: NodeJS.Timeout | undefined
    const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)))
    // pause() stops fetching and waits for the running jobs; unfetched jobs stay in Redis. Not close(): a
    // close still waiting for a job that outlasts the bound could not be forced afterwards.
    const drained = await Promise.race([worker.pause().then(() => true as const), late])
    clearTimeout(timer)
    return drained
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await Promise.all([...this.#enqueuing])
    // force: a job still running is abandoned like a crash; its lock expires and a replica takes it over.
    await this.#worker?.close(true).catch(() => undefined)
    for (const side of [this.#front, this.#back]) {
      await side?.queue.close().catch(() => undefined)
      side?.redis.disconnect()
    }
  }
}
