import { KittyError } from '../../core/errors.ts'

/**
 * The App's durable delivery queue: the webhook handler verifies a delivery, enqueues it and answers
 * only once the record is durable; workers take jobs and run them, recording progress as named steps
 * so a retry after a crash skips what was done (the check run it opened, the commit, the reply).
 * Two adapters implement it: embedded (node:sqlite, one replica) and Redis (BullMQ, any number).
 */

export interface Delivery {
  /** X-GitHub-Delivery: the job id, so a redelivery is the same job while the queue remembers it. */
  id: string
  /** X-GitHub-Event. */
  event: string
  /** The raw JSON text whose signature was verified, kept byte for byte. */
  body: string
  /** Epoch ms when the webhook arrived. */
  receivedAt: number
  installationId?: number
  /** owner/name: jobs of one repository run one at a time, in arrival order. */
  repository?: string
}

export type EnqueueOutcome = 'queued' | 'duplicate'

/** Steps saved by earlier attempts, by name; values are JSON. */
export type SavedSteps = Readonly<Record<string, unknown>>

export interface DeliveryJob {
  readonly delivery: Delivery
  /** 1 on the first run; a retry, or a run after the previous owner died, counts up. */
  readonly attempt: number
  /** What earlier attempts recorded (and this one, as it saves). */
  readonly steps: SavedSteps
  /** Record durable progress; resolves once stored. `value` must be JSON (undefined is refused). */
  saveStep(name: string, value: unknown): Promise<void>
}

export type DeliveryHandler = (job: DeliveryJob) => Promise<void>

export interface StartOptions {
  /** Jobs this replica runs at once (different repositories only). */
  concurrency: number
}

export type JobState = 'waiting' | 'active' | 'done' | 'failed'

export interface JobRecord {
  id: string
  state: JobState
  /** Attempts started so far. */
  attempts: number
  steps: SavedSteps
  /** Why the last failed attempt failed, if one did (kept after a later attempt succeeds). */
  reason?: string
}

/** A job whose attempts are spent, with what it was given: for the recovery sweep (sweep-abandoned.ts). */
export interface FailedJob extends JobRecord {
  state: 'failed'
  delivery: Delivery
}

/**
 * Steps saved on a failed job from outside its runs (saveFailedStep): what was done about that failure.
 * A redelivery that queues the job again forgets them, since they belong to the failure, not the job;
 * its other steps are kept (what landed on GitHub stays landed).
 */
export const AFTER_FAILURE = 'after-failure:'

export interface QueueStats {
  /** Queued, including retries waiting for their backoff. */
  waiting: number
  active: number
  failed: number
  /** Age of the oldest delivery not yet done or failed (ms since receivedAt); 0 when none. */
  oldestPendingMs: number
}

export interface DeliveryQueue {
  /**
   * Resolves once the delivery is durably recorded: `queued`, or `duplicate` when a job with this id
   * is waiting, running or done. A redelivery of a `failed` job queues it again (its steps kept): that
   * is how an operator retries one from GitHub's "Recent Deliveries".
   */
  enqueue(delivery: Delivery): Promise<EnqueueOutcome>
  /** Start running jobs with `handler`. One handler per queue instance. */
  start(handler: DeliveryHandler, options: StartOptions): void
  /**
   * Another thread or process enqueued: look for runnable jobs now, not at the next poll (the App's
   * receiving thread says so to its worker thread after each delivery it records).
   */
  notify(): void
  /** Remember an applied idempotency key for `ttlMs` (beyond git's fetch depth). */
  remember(key: string, ttlMs: number): Promise<void>
  seen(key: string): Promise<boolean>
  stats(): Promise<QueueStats>
  /** What the queue knows of one delivery, or null once forgotten. */
  inspect(id: string): Promise<JobRecord | null>
  /**
   * Up to `limit` failed jobs, the oldest failure first, skipping those that saved step `without`
   * (the sweep's own mark, so jobs it has finished never crowd out those it has not).
   */
  listFailed(limit: number, options?: { without?: string }): Promise<FailedJob[]>
  /**
   * Save a step (named AFTER_FAILURE…) on a job that is failed now; false, and nothing saved, when it
   * is not (a redelivery queued it again, or it was forgotten). Atomic with that check.
   */
  saveFailedStep(id: string, name: string, value: unknown): Promise<boolean>
  /**
   * Stop taking jobs, let running ones finish; unstarted jobs stay queued (for another replica or the
   * next start). True when everything running finished within `timeoutMs`.
   */
  drain(timeoutMs: number): Promise<boolean>
  close(): Promise<void>
}

export interface RetryPolicy {
  /** Attempts before a job lands in `failed` (a run cut short by a crash counts). */
  maxAttempts: number
  /** Backoff before retry n (n ≥ 1): min(baseMs · 2^(n−1), maxMs). */
  backoffBaseMs: number
  backoffMaxMs: number
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 5, backoffBaseMs: 2_000, backoffMaxMs: 60_000 }

/** GitHub lets a delivery be redelivered for 3 days; remember finished jobs a little longer. */
export const DEFAULT_KEEP_FINISHED_MS = 4 * 24 * 3_600_000

export function backoffMs(policy: RetryPolicy, failedAttempts: number): number {
  return Math.min(policy.backoffBaseMs * 2 ** Math.max(failedAttempts - 1, 0), policy.backoffMaxMs)
}

/** A queue used after close(), or a store that cannot be opened: the App cannot acknowledge deliveries. */
export class DeliveryQueueError extends KittyError {
  constructor(message: string, data: Record<string, unknown> = {}) {
    super('INTERNAL_ERROR', message, data)
    this.name = 'DeliveryQueueError'
  }
}

export function checkDelivery(delivery: Delivery): void {
  if (typeof delivery.id !== 'string' || delivery.id === '' || delivery.id.length > 200)
    throw new DeliveryQueueError('A delivery needs an id (X-GitHub-Delivery) of 1 to 200 characters.')
  if (typeof delivery.body !== 'string') throw new DeliveryQueueError(`Delivery ${delivery.id} has no body text.`)
}

export function checkStep(name: string, value: unknown): string {
  const text = value === undefined ? undefined : JSON.stringify(value)
  if (name === '' || text === undefined)
    throw new DeliveryQueueError(`A saved step needs a name and a JSON value (step '${name}').`)
  return text
}

/** A step saved on a failed job names itself as such; `checkStep`'s rules otherwise. */
export function checkFailedStep(name: string, value: unknown): string {
  if (!name.startsWith(AFTER_FAILURE) || name.length === AFTER_FAILURE.length)
    throw new DeliveryQueueError(`A step saved on a failed job is named ${AFTER_FAILURE}<name>, not '${name}'.`)
  return checkStep(name, value)
}

/** listFailed's bound: one call reads at most this many jobs' steps. */
export function checkListLimit(limit: number): void {
  if (!Number.isInteger(limit) || limit < 1 || limit > 1_000)
    throw new DeliveryQueueError(`listFailed takes a limit from 1 to 1000, not ${limit}.`)
}

/** The reason a handler failed, as stored: a kitty code when it has one, never a stack. */
export function failureReason(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code
  const message = err instanceof Error ? err.message : String(err)
  return (typeof code === 'string' ? `${code}: ${message}` : message).slice(0, 2_000)
}
