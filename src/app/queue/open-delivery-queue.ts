import { UsageError } from '../../core/errors.ts'
import { wholeNumberSetting } from '../read-setting.ts'
import type { DeliveryQueue } from './delivery-queue.ts'
import { embeddedQueueFile, openEmbeddedQueue } from './open-embedded-queue.ts'
import { openRedisQueue } from './open-redis-queue.ts'

/**
 * The queue the App runs on, from its environment: Redis (BullMQ) when REDIS_URL is set, for any
 * number of replicas; otherwise the embedded SQLite file in the cache dir, for one replica.
 * KITTY_QUEUE_PREFIX names the Redis keys (replicas of one App share it; two Apps on one Redis differ);
 * KITTY_QUEUE_MAX_ATTEMPTS bounds the runs of one delivery (default 5).
 */

export interface OpenedQueue {
  queue: DeliveryQueue
  kind: 'embedded' | 'redis'
  /** For the start-up log line: the file, or the Redis host without credentials. */
  where: string
}

function maxAttempts(env: NodeJS.ProcessEnv): number | undefined {
  return wholeNumberSetting(
    env,
    'KITTY_QUEUE_MAX_ATTEMPTS',
    undefined,
    { min: 1, max: 100 },
    'a whole number from 1 to 100',
  )
}

function redisUrl(raw: string): URL {
  let url: URL | null = null
  try {
    url = new URL(raw)
  } catch {}
  if (!url || (url.protocol !== 'redis:' && url.protocol !== 'rediss:') || !url.hostname)
    throw new UsageError('REDIS_URL must look like redis://[user:password@]host:port[/db] (or rediss:// for TLS).')
  return url
}

export function openDeliveryQueue(
  env: NodeJS.ProcessEnv,
  cacheDir: string,
  onError?: (err: Error) => void,
): OpenedQueue {
  const attempts = maxAttempts(env)
  const retry = attempts === undefined ? {} : { retry: { maxAttempts: attempts } }
  const raw = env['REDIS_URL']
  if (raw) {
    const url = redisUrl(raw)
    const prefix = env['KITTY_QUEUE_PREFIX'] || 'kitty'
    if (!/^[\w.-]{1,64}$/.test(prefix))
      throw new UsageError('KITTY_QUEUE_PREFIX may hold letters, digits, _ . - (at most 64).')
    const queue = openRedisQueue({ url: raw, prefix, ...retry, ...(onError ? { onError } : {}) })
    return { queue, kind: 'redis', where: `${url.protocol}//${url.host}${url.pathname === '/' ? '' : url.pathname}` }
  }
  const file = embeddedQueueFile(cacheDir)
  return { queue: openEmbeddedQueue({ file, ...retry }), kind: 'embedded', where: file }
}
