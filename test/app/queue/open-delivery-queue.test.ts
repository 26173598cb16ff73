import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openDeliveryQueue } from '../../../src/app/queue/open-delivery-queue.ts'
import { cleanupTempDirs, tempDir } from '../../helpers/git-repo.ts'
import type { RedisServer } from '../../helpers/redis-server.ts'
import { startRedisServer } from '../../helpers/redis-server.ts'
import { delivery } from './delivery-queue.contract.ts'

let redis: RedisServer
beforeAll(async () => {
  redis = await startRedisServer()
})
afterAll(async () => {
  cleanupTempDirs()
  await redis?.stop()
})

describe('openDeliveryQueue: the queue from the App environment', () => {
  it('is the embedded file in the cache dir without REDIS_URL', async () => {
    const cache = tempDir('kitty-cache-')
    const opened = openDeliveryQueue({}, cache)
    expect(opened).toMatchObject({ kind: 'embedded', where: join(cache, 'kitty-deliveries.sqlite') })
    expect(await opened.queue.enqueue(delivery())).toBe('queued')
    await opened.queue.close()
    expect(existsSync(join(cache, 'kitty-deliveries.sqlite'))).toBe(true)
  })

  it('is Redis with REDIS_URL, named without its password, replicas sharing the prefix', async () => {
    const url = redis.url.replace('redis://', 'redis://default:hunter2@')
    const env = { REDIS_URL: url, KITTY_QUEUE_PREFIX: `p${Date.now()}` }
    const a = openDeliveryQueue(env, tempDir('kitty-cache-'))
    const b = openDeliveryQueue(env, tempDir('kitty-cache-'))
    expect(a.kind).toBe('redis')
    expect(a.where).toBe(`redis://127.0.0.1:${redis.port}`)
    const d = delivery()
    expect(await a.queue.enqueue(d)).toBe('queued')
    expect(await b.queue.enqueue(d)).toBe('duplicate')
    await a.queue.close()
    await b.queue.close()
  })

  it('refuses a malformed setting with a usage error before touching anything', () => {
    const cache = tempDir('kitty-cache-')
    for (const env of [
      { REDIS_URL: 'http://127.0.0.1:6379' },
      { REDIS_URL: 'not a url' },
      { KITTY_QUEUE_MAX_ATTEMPTS: '0' },
      { KITTY_QUEUE_MAX_ATTEMPTS: 'many' },
      { REDIS_URL: 'redis://127.0.0.1:1', KITTY_QUEUE_PREFIX: 'has space' },
    ])
      expect(() => openDeliveryQueue(env, cache)).toThrow(expect.objectContaining({ code: 'USAGE_ERROR' }))
    expect(existsSync(join(cache, 'kitty-deliveries.sqlite'))).toBe(false)
  })
})
