import { randomUUID } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { Delivery } from '../../../src/app/queue/delivery-queue.ts'
import { openRedisQueue } from '../../../src/app/queue/open-redis-queue.ts'
import type { RedisServer } from '../../helpers/redis-server.ts'
import { startRedisServer } from '../../helpers/redis-server.ts'
import { cleanupTempDirs, tempDir } from '../../helpers/git-repo.ts'
import { delivery, describeDeliveryQueueContract, until } from './delivery-queue.contract.ts'
import { describeCrashContract, startConsumer, stopChildren } from './queue-crash.contract.ts'

let redis: RedisServer

beforeAll(async () => {
  redis = await startRedisServer()
})
afterAll(async () => {
  cleanupTempDirs()
  await redis?.stop()
})

/** Short locks so an abandoned job is taken over within the test's bounds (production: 30 s). */
export const FAST_TAKEOVER = { lockDurationMs: 1_500, stalledIntervalMs: 500, busyPollMs: 100 }

describeDeliveryQueueContract('redis (BullMQ)', {
  async storage() {
    const prefix = `t-${randomUUID()}`
    return {
      open: (options) =>
        openRedisQueue({
          url: redis.url,
          prefix,
          ...FAST_TAKEOVER,
          ...options,
          onError: (err) => console.error(`redis queue: ${err.message}`),
        }),
    }
  },
})

function redisStorage(prefix = `t-${randomUUID()}`) {
  return {
    open: () => openRedisQueue({ url: redis.url, prefix, ...FAST_TAKEOVER }),
    childEnv: { QUEUE_KIND: 'redis', REDIS_URL: redis.url, QUEUE_PREFIX: prefix },
  }
}

describeCrashContract('redis (BullMQ)', async () => redisStorage())

describe('redis (BullMQ): two consumer processes on one queue', () => {
  afterEach(() => stopChildren())

  it('never run the same job twice, and keep each repository in order, one job at a time', async () => {
    const s = redisStorage()
    const producer = s.open()
    const sent: Delivery[] = []
    for (let i = 0; i < 6; i++)
      for (const repo of ['o/a', 'o/b', 'o/c', 'o/d', 'o/e'])
        sent.push(delivery({ repository: repo, id: `${repo}#${i}` }))
    for (let i = 0; i < 10; i++) sent.push(delivery({ id: `loose#${i}` }))
    const log = join(tempDir('kitty-queue-two-'), 'runs.log')
    writeFileSync(log, '')
    const env = { ...s.childEnv, MODE: 'work', CONCURRENCY: '3', LOG_FILE: log }
    const [a, b] = await Promise.all([startConsumer(env), startConsumer(env)])
    for (const d of sent) expect(await producer.enqueue(d)).toBe('queued')
    const lines = () =>
      readFileSync(log, 'utf8')
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => {
          const [what, id, pid, t] = l.split(' ')
          return { what: what!, id: id!, pid: Number(pid), t: Number(t) }
        })
    await until('every job ended', () => lines().filter((l) => l.what === 'end').length >= sent.length, 60_000)
    await until('the queue empty', async () => {
      const st = await producer.stats()
      return st.waiting + st.active === 0
    })
    const starts = lines().filter((l) => l.what === 'start')
    expect(starts.map((l) => l.id).sort()).toEqual(sent.map((d) => d.id).sort())
    expect(new Set(starts.map((l) => l.pid))).toEqual(new Set([a!.child.pid, b!.child.pid]))
    for (const repo of ['o/a', 'o/b', 'o/c', 'o/d', 'o/e']) {
      const mine = lines().filter((l) => l.id.startsWith(`${repo}#`))
      // start, end, start, end … in enqueue order: never two of one repository at once, in either process.
      expect(mine.map((l) => `${l.what} ${l.id}`)).toEqual(
        sent.filter((d) => d.repository === repo).flatMap((d) => [`start ${d.id}`, `end ${d.id}`]),
      )
    }
    a!.child.kill('SIGTERM')
    b!.child.kill('SIGTERM')
    expect(await a!.exited).toBe(0)
    expect(await b!.exited).toBe(0)
    expect(a!.stderr() + b!.stderr()).toBe('')
    await producer.close()
  })
})

describe('redis (BullMQ): Redis unreachable', () => {
  it("refuses an enqueue within seconds, so the webhook can answer 5xx instead of hanging to GitHub's 10 s", async () => {
    const gone = await startRedisServer()
    const url = gone.url
    await gone.stop()
    const q = openRedisQueue({ url, prefix: `t-${randomUUID()}` })
    const t0 = Date.now()
    await expect(q.enqueue(delivery())).rejects.toMatchObject({ name: 'DeliveryQueueError', code: 'INTERNAL_ERROR' })
    expect(Date.now() - t0).toBeLessThan(5_000)
    await q.close()
  })
})
