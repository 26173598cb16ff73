import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll } from 'vitest'
import { openRedisQueue } from '../../../src/app/queue/open-redis-queue.ts'
import type { RedisServer } from '../../helpers/redis-server.ts'
import { startRedisServer } from '../../helpers/redis-server.ts'
import { describeDeliveryQueueContract } from './delivery-queue.contract.ts'

let redis: RedisServer

beforeAll(async () => {
  redis = await startRedisServer()
})
afterAll(async () => {
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
