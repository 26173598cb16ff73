import type { DeliveryJob } from './delivery-queue.ts'

/**
 * Run `work` at most once per delivery as far as the queue knows: when an earlier attempt saved step
 * `name`, its value comes back and `work` is skipped (the check run already opened, the commit already
 * made). A crash between `work` and the save runs it again on the retry, so `work` must itself be safe
 * to repeat (a check run looked up by external_id before it is created, a commit keyed by idempotency).
 * `undefined` is saved as null.
 */
export async function runStep<T>(job: DeliveryJob, name: string, work: () => Promise<T>): Promise<T> {
  if (Object.hasOwn(job.steps, name)) return job.steps[name] as T
  const value = await work()
  await job.saveStep(name, value === undefined ? null : value)
  return value
}
