import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach, describe, expect, it } from 'vitest'
import type { Delivery, DeliveryJob, DeliveryQueue, RetryPolicy } from '../../../src/app/queue/delivery-queue.ts'
import { AFTER_FAILURE } from '../../../src/app/queue/delivery-queue.ts'

/**
 * The behaviour every DeliveryQueue adapter owes the App, run by one test file per adapter against
 * real storage (a SQLite file; a real redis-server).
 */

export interface QueueStorage {
  /** A queue instance on this storage; several instances share what it holds. */
  open(options?: QueueOptions): DeliveryQueue
}

export interface QueueOptions {
  retry?: Partial<RetryPolicy>
  keepFinishedMs?: number
}

export interface QueueBackend {
  /** Fresh, empty storage for one test. */
  storage(): Promise<QueueStorage>
}

export function delivery(overrides: Partial<Delivery> = {}): Delivery {
  const id = overrides.id ?? randomUUID()
  return {
    id,
    event: 'issue_comment',
    body: JSON.stringify({ action: 'created', comment: { body: `/kitty note ${id}` } }),
    receivedAt: Date.now(),
    ...overrides,
  }
}

/** Poll `check` until it holds; fail after `timeoutMs`. Every wait in these tests is bounded. */
export async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (let i = 0; i < 10_000; i++) {
    if (await check()) return
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(25)
  }
  throw new Error(`gave up polling for ${what}`)
}

const FAST_RETRY = { maxAttempts: 3, backoffBaseMs: 20, backoffMaxMs: 100 }

export function describeDeliveryQueueContract(name: string, backend: QueueBackend): void {
  describe(`${name}: the DeliveryQueue contract`, () => {
    const opened: DeliveryQueue[] = []
    const open = (storage: QueueStorage, options?: QueueOptions) => {
      const q = storage.open(options)
      opened.push(q)
      return q
    }
    afterEach(async () => {
      for (const q of opened.splice(0)) await q.close()
    })

    it('keeps enqueued deliveries across a new queue instance on the same storage, byte for byte', async () => {
      const storage = await backend.storage()
      const first = open(storage)
      const sent = [
        delivery({ repository: 'o/a', installationId: 7 }),
        delivery({ body: '{"é":"\\u0000 ✓"}' }),
        delivery({ repository: 'o/b' }),
      ]
      for (const d of sent) expect(await first.enqueue(d)).toBe('queued')
      await first.close()

      const second = open(storage)
      expect((await second.stats()).waiting).toBe(3)
      const seen: Delivery[] = []
      second.start(
        async (job) => {
          seen.push(job.delivery)
        },
        { concurrency: 2 },
      )
      await until('all three handled', async () => (await second.stats()).waiting + (await second.stats()).active === 0)
      expect(seen.map((d) => d.id).sort()).toEqual(sent.map((d) => d.id).sort())
      for (const d of sent) expect(seen.find((s) => s.id === d.id)).toEqual(d)
      for (const d of sent) expect((await second.inspect(d.id))?.state).toBe('done')
    })

    it('records a burst of concurrent enqueues, redeliveries inside it included, each exactly once', async () => {
      const storage = await backend.storage()
      const q = open(storage)
      const sent = Array.from({ length: 150 }, (_, i) => delivery({ repository: `o/r${i % 7}`, id: `burst-${i}` }))
      const again = sent.filter((_, i) => i % 10 === 0)
      const outcomes = await Promise.all([...sent, ...again].map((d) => q.enqueue(d)))
      expect(outcomes.filter((o) => o === 'queued')).toHaveLength(sent.length)
      expect(outcomes.filter((o) => o === 'duplicate')).toHaveLength(again.length)
      const late = q.enqueue(delivery({ id: 'enqueued-just-before-close' }))
      await q.close()
      expect(await late).toBe('queued')
      const next = open(storage)
      expect((await next.stats()).waiting).toBe(sent.length + 1)
      for (const d of sent) expect((await next.inspect(d.id))?.state).toBe('waiting')
    })

    it('treats a redelivery (same id) as the same job: duplicate while waiting and after it is done', async () => {
      const storage = await backend.storage()
      const q = open(storage)
      const d = delivery({ repository: 'o/dup' })
      expect(await q.enqueue(d)).toBe('queued')
      expect(await q.enqueue({ ...d, receivedAt: d.receivedAt + 5 })).toBe('duplicate')
      const runs: string[] = []
      q.start(
        async (job) => {
          runs.push(job.delivery.id)
        },
        { concurrency: 2 },
      )
      await until('the job done', async () => (await q.inspect(d.id))?.state === 'done')
      expect(await q.enqueue(d)).toBe('duplicate')
      // A fresh instance (another replica, a restart) remembers it too.
      expect(await open(storage).enqueue(d)).toBe('duplicate')
      await sleep(300)
      expect(runs).toEqual([d.id])
    })

    it("runs one repository's jobs one at a time in arrival order, other repositories alongside", async () => {
      const storage = await backend.storage()
      const q = open(storage)
      const sent: Delivery[] = []
      for (let i = 0; i < 6; i++)
        for (const repo of ['o/a', 'o/b', 'o/c']) sent.push(delivery({ repository: repo, id: `${repo}-${i}` }))
      for (const d of sent) await q.enqueue(d)
      const started: Record<string, string[]> = {}
      const active = new Map<string, number>()
      let overlapSameRepo = 0
      let mostAtOnce = 0
      let running = 0
      q.start(
        async (job) => {
          const repo = job.delivery.repository!
          active.set(repo, (active.get(repo) ?? 0) + 1)
          if (active.get(repo)! > 1) overlapSameRepo++
          mostAtOnce = Math.max(mostAtOnce, ++running)
          ;(started[repo] ??= []).push(job.delivery.id)
          await sleep(15 + Math.floor(Math.random() * 20))
          running--
          active.set(repo, active.get(repo)! - 1)
        },
        { concurrency: 4 },
      )
      await until('all 18 started', () => Object.values(started).flat().length === 18)
      await until('all 18 done', async () => (await q.stats()).active + (await q.stats()).waiting === 0)
      expect(overlapSameRepo).toBe(0)
      for (const repo of ['o/a', 'o/b', 'o/c'])
        expect(started[repo]).toEqual(sent.filter((d) => d.repository === repo).map((d) => d.id))
      expect(mostAtOnce).toBeGreaterThan(1)
    })

    it('retries a failing handler with backoff, then lands it in failed with its reason', async () => {
      const storage = await backend.storage()
      const q = open(storage, { retry: FAST_RETRY })
      const bad = delivery({ repository: 'o/r' })
      const flaky = delivery({ repository: 'o/s' })
      const attempts: Record<string, number[]> = {}
      const times: number[] = []
      q.start(
        async (job) => {
          ;(attempts[job.delivery.id] ??= []).push(job.attempt)
          if (job.delivery.id === bad.id) {
            times.push(Date.now())
            throw Object.assign(new Error('the remote said no'), { code: 'REMOTE_UNREACHABLE' })
          }
          if (job.attempt === 1) {
            await job.saveStep('check_run', { id: 99 })
            throw new Error('transient')
          }
          expect(job.steps).toEqual({ check_run: { id: 99 } })
        },
        { concurrency: 2 },
      )
      await q.enqueue(bad)
      await q.enqueue(flaky)
      await until('the bad one failed', async () => (await q.inspect(bad.id))?.state === 'failed')
      await until('the flaky one done', async () => (await q.inspect(flaky.id))?.state === 'done')
      expect(attempts[bad.id]).toEqual([1, 2, 3])
      expect(attempts[flaky.id]).toEqual([1, 2])
      const failed = await q.inspect(bad.id)
      expect(failed).toMatchObject({ state: 'failed', attempts: 3 })
      expect(failed?.reason).toBe('REMOTE_UNREACHABLE: the remote said no')
      // Backoff: 20 ms then 40 ms at least between attempts.
      expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(18)
      expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(38)
      const stats = await q.stats()
      expect(stats.failed).toBe(1)
      expect(stats.waiting + stats.active).toBe(0)
    })

    it('queues a redelivery of a failed job again, keeping its saved steps', async () => {
      const storage = await backend.storage()
      const q = open(storage, { retry: { ...FAST_RETRY, maxAttempts: 1 } })
      const d = delivery({ repository: 'o/again' })
      let fail = true
      const seen: Array<{ attempt: number; steps: unknown }> = []
      q.start(
        async (job) => {
          seen.push({ attempt: job.attempt, steps: { ...job.steps } })
          if (fail) {
            await job.saveStep('check_run', 5)
            throw new Error('down')
          }
        },
        { concurrency: 1 },
      )
      await q.enqueue(d)
      await until('failed', async () => (await q.inspect(d.id))?.state === 'failed')
      fail = false
      expect(await q.enqueue(d)).toBe('queued')
      await until('done', async () => (await q.inspect(d.id))?.state === 'done')
      expect(seen).toEqual([
        { attempt: 1, steps: {} },
        { attempt: 1, steps: { check_run: 5 } },
      ])
    })

    it('hands a job abandoned mid-run to the next instance with its saved steps, once', async () => {
      const storage = await backend.storage()
      const crashed = open(storage)
      const d = delivery({ repository: 'o/crash' })
      const later = delivery({ repository: 'o/crash' })
      let reached = false
      crashed.start(
        async (job) => {
          await job.saveStep('check_run', { id: 1234 })
          await job.saveStep('commit', 'done')
          reached = true
          await new Promise(() => {})
        },
        { concurrency: 1 },
      )
      await crashed.enqueue(d)
      await crashed.enqueue(later)
      await until('the first run saved its steps', () => reached)
      await crashed.close()

      const next = open(storage)
      const runs: Array<{ id: string; attempt: number; steps: unknown }> = []
      next.start(
        async (job) => {
          runs.push({ id: job.delivery.id, attempt: job.attempt, steps: { ...job.steps } })
        },
        { concurrency: 2 },
      )
      await until('both done', async () => (await next.inspect(later.id))?.state === 'done', 30_000)
      expect(runs).toEqual([
        { id: d.id, attempt: 2, steps: { check_run: { id: 1234 }, commit: 'done' } },
        { id: later.id, attempt: 1, steps: {} },
      ])
    })

    it('lists failed jobs oldest first with their delivery and steps; a step saved on one skips it, and only a failed job takes one', async () => {
      const storage = await backend.storage()
      const q = open(storage, { retry: { ...FAST_RETRY, maxAttempts: 1 } })
      const [a, b, ok] = ['o/f1', 'o/f2', 'o/f3'].map((repository) => delivery({ repository, installationId: 9 }))
      let failing = true
      const retried: unknown[] = []
      q.start(
        async (job) => {
          if (job.delivery.id === ok!.id) return
          if (!failing) return void retried.push({ ...job.steps })
          await job.saveStep('check-run:kitty/x#0', { id: job.delivery.id === a!.id ? 1 : 2, open: true })
          await sleep(20)
          throw new Error(`failed ${job.delivery.repository}`)
        },
        { concurrency: 1 },
      )
      for (const d of [a!, b!, ok!]) await q.enqueue(d)
      await until('two failed, one done', async () => {
        const s = await q.stats()
        return s.failed === 2 && (await q.inspect(ok!.id))?.state === 'done'
      })
      const listed = await q.listFailed(10)
      expect(listed.map((j) => j.id)).toEqual([a!.id, b!.id])
      expect(listed[0]).toEqual({
        id: a!.id,
        state: 'failed',
        attempts: 1,
        steps: { 'check-run:kitty/x#0': { id: 1, open: true } },
        reason: 'failed o/f1',
        delivery: a,
      })
      expect((await q.listFailed(1)).map((j) => j.id)).toEqual([a!.id])

      const swept = `${AFTER_FAILURE}swept`
      expect(await q.saveFailedStep(a!.id, swept, { at: 1 })).toBe(true)
      expect((await q.listFailed(10, { without: swept })).map((j) => j.id)).toEqual([b!.id])
      expect((await open(storage).inspect(a!.id))?.steps).toMatchObject({ [swept]: { at: 1 } })
      // Not failed, or not known: nothing saved.
      expect(await q.saveFailedStep(ok!.id, swept, { at: 1 })).toBe(false)
      expect(await q.saveFailedStep('no-such-delivery', swept, { at: 1 })).toBe(false)
      expect((await q.inspect(ok!.id))?.steps ?? {}).not.toHaveProperty(swept)
      await expect(q.saveFailedStep(a!.id, 'swept', 1)).rejects.toMatchObject({ name: 'DeliveryQueueError' })
      await expect(q.listFailed(0)).rejects.toMatchObject({ name: 'DeliveryQueueError' })

      // A redelivery queues it again: the failure's steps are forgotten, the job's own are kept.
      failing = false
      expect(await q.enqueue(a!)).toBe('queued')
      await until('the redelivery ran', () => retried.length === 1)
      expect(retried).toEqual([{ 'check-run:kitty/x#0': { id: 1, open: true } }])
      await until('done', async () => (await q.inspect(a!.id))?.state === 'done')
      expect(await q.saveFailedStep(a!.id, swept, { at: 2 })).toBe(false)
      expect((await q.listFailed(10, { without: swept })).map((j) => j.id)).toEqual([b!.id])
    })

    it('fails a job whose last attempt a crash cut short without running it again, and lists it with its steps', async () => {
      const storage = await backend.storage()
      const once = { retry: { ...FAST_RETRY, maxAttempts: 1 } }
      const crashed = open(storage, once)
      const d = delivery({ repository: 'o/last' })
      let reached = false
      crashed.start(
        async (job) => {
          await job.saveStep('check-run:kitty/merge-mission#0', { id: 77, url: null, open: true })
          reached = true
          await new Promise(() => {})
        },
        { concurrency: 1 },
      )
      await crashed.enqueue(d)
      await until('the only attempt saved its step', () => reached)
      await crashed.close()

      const next = open(storage, once)
      const runs: string[] = []
      next.start(
        async (job) => {
          runs.push(job.delivery.id)
        },
        { concurrency: 1 },
      )
      await until('listed as failed', async () => (await next.listFailed(10)).length === 1, 30_000)
      const [failed] = await next.listFailed(10)
      expect(failed).toMatchObject({
        id: d.id,
        attempts: 1,
        steps: { 'check-run:kitty/merge-mission#0': { id: 77, url: null, open: true } },
        delivery: d,
      })
      expect(failed?.reason).toMatch(/stopped/)
      expect(runs).toEqual([])
    })

    it('drains: running jobs finish, unstarted ones stay queued for the next start', async () => {
      const storage = await backend.storage()
      const q = open(storage)
      const sent = [delivery({ repository: 'o/1' }), delivery({ repository: 'o/2' }), delivery({ repository: 'o/3' })]
      let release = () => {}
      const gate = new Promise<void>((resolve) => (release = resolve))
      const ran: string[] = []
      q.start(
        async (job) => {
          ran.push(job.delivery.id)
          await gate
        },
        { concurrency: 1 },
      )
      for (const d of sent) await q.enqueue(d)
      await until('one job running', () => ran.length === 1)
      const drained = q.drain(10_000)
      await sleep(100)
      release()
      expect(await drained).toBe(true)
      expect(ran).toHaveLength(1)
      expect((await q.inspect(ran[0]!))?.state).toBe('done')
      expect((await q.stats()).waiting).toBe(2)

      const next = open(storage)
      next.start(
        async (job) => {
          ran.push(job.delivery.id)
        },
        { concurrency: 2 },
      )
      await until('the other two run', () => ran.length === 3)
      expect([...ran].sort()).toEqual(sent.map((d) => d.id).sort())
    })

    it('drain reports false when a running job outlasts the bound', async () => {
      const storage = await backend.storage()
      const q = open(storage)
      let started = false
      q.start(
        async () => {
          started = true
          await new Promise(() => {})
        },
        { concurrency: 1 },
      )
      await q.enqueue(delivery())
      await until('started', () => started)
      const t0 = Date.now()
      expect(await q.drain(200)).toBe(false)
      expect(Date.now() - t0).toBeLessThan(5_000)
    })

    it('reports waiting, active, failed and the oldest pending age', async () => {
      const storage = await backend.storage()
      const q = open(storage, { retry: { ...FAST_RETRY, maxAttempts: 1 } })
      expect(await q.stats()).toEqual({ waiting: 0, active: 0, failed: 0, oldestPendingMs: 0 })
      const old = delivery({ receivedAt: Date.now() - 5_000, repository: 'o/s' })
      await q.enqueue(old)
      await q.enqueue(delivery({ repository: 'o/t' }))
      const waiting = await q.stats()
      expect(waiting).toMatchObject({ waiting: 2, active: 0, failed: 0 })
      expect(waiting.oldestPendingMs).toBeGreaterThanOrEqual(5_000)
      expect(waiting.oldestPendingMs).toBeLessThan(60_000)
      let release = () => {}
      const gate = new Promise<void>((resolve) => (release = resolve))
      q.start(
        async (job: DeliveryJob) => {
          if (job.delivery.id === old.id) {
            await gate
            throw new Error('no')
          }
        },
        { concurrency: 2 },
      )
      await until('old one active, other done', async () => {
        const s = await q.stats()
        return s.active === 1 && s.waiting === 0
      })
      expect((await q.stats()).oldestPendingMs).toBeGreaterThanOrEqual(5_000)
      release()
      await until('old one failed', async () => (await q.stats()).failed === 1)
      expect(await q.stats()).toEqual({ waiting: 0, active: 0, failed: 1, oldestPendingMs: 0 })
    })

    it('forgets a finished job after keepFinishedMs: a later redelivery is a new job', async () => {
      const storage = await backend.storage()
      const q = open(storage, { keepFinishedMs: 150 })
      const d = delivery({ repository: 'o/forget' })
      const runs: number[] = []
      q.start(
        async (job) => {
          runs.push(job.attempt)
        },
        { concurrency: 1 },
      )
      await q.enqueue(d)
      await until('done', async () => (await q.inspect(d.id))?.state === 'done')
      expect(await q.enqueue(d)).toBe('duplicate')
      await q.close()
      await sleep(300)
      const next = open(storage, { keepFinishedMs: 150 })
      next.start(
        async (job) => {
          runs.push(job.attempt)
        },
        { concurrency: 1 },
      )
      await until('forgotten', async () => (await next.inspect(d.id)) === null)
      expect(await next.enqueue(d)).toBe('queued')
      await until('run again', () => runs.length === 2)
      expect(runs).toEqual([1, 1])
    })

    it('remembers applied keys for their time to live, across instances', async () => {
      const storage = await backend.storage()
      const q = open(storage)
      await q.remember('comment:1:line:2', 60_000)
      await q.remember('short', 150)
      expect(await q.seen('comment:1:line:2')).toBe(true)
      expect(await q.seen('short')).toBe(true)
      expect(await q.seen('comment:1:line:3')).toBe(false)
      expect(await open(storage).seen('comment:1:line:2')).toBe(true)
      await sleep(250)
      expect(await q.seen('short')).toBe(false)
    })

    it('refuses work after close and bad arguments with a coded error', async () => {
      const storage = await backend.storage()
      const q = open(storage)
      await expect(q.enqueue({ ...delivery(), id: '' })).rejects.toMatchObject({ code: 'INTERNAL_ERROR' })
      expect(() => q.start(async () => {}, { concurrency: 0 })).toThrow(/concurrency/)
      await q.close()
      await expect(q.enqueue(delivery())).rejects.toMatchObject({ name: 'DeliveryQueueError' })
    })
  })
}
