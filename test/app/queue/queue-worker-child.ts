import { appendFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import type { DeliveryHandler, DeliveryQueue } from '../../../src/app/queue/delivery-queue.ts'
import { openEmbeddedQueue } from '../../../src/app/queue/open-embedded-queue.ts'
import { openRedisQueue } from '../../../src/app/queue/open-redis-queue.ts'

/**
 * A queue consumer in its own process, for the crash and two-replica tests. Configured by environment:
 * QUEUE_KIND (embedded | redis), QUEUE_FILE or REDIS_URL + QUEUE_PREFIX, MODE, CONCURRENCY, LOG_FILE.
 * MODE=hang: save a step, say `started <id> <attempt>` on stdout, then never finish (the test kills us).
 * MODE=work: append `start|end <id> <pid> <ms>` lines to LOG_FILE around a short pause.
 * MODE=enqueue: enqueue without end, `ack <id>` on stdout once each enqueue resolved (the test kills us).
 */

const env = process.env
function open(): DeliveryQueue {
  if (env['QUEUE_KIND'] === 'embedded') return openEmbeddedQueue({ file: env['QUEUE_FILE']!, pollMs: 50 })
  return openRedisQueue({
    url: env['REDIS_URL']!,
    prefix: env['QUEUE_PREFIX']!,
    lockDurationMs: 1_500,
    stalledIntervalMs: 500,
    busyPollMs: 100,
    onError: (err) => process.stderr.write(`queue error: ${err.message}\n`),
  })
}

const hang: DeliveryHandler = async (job) => {
  await job.saveStep('opened', { pid: process.pid })
  process.stdout.write(`started ${job.delivery.id} ${job.attempt}\n`)
  await new Promise(() => {})
}

const work: DeliveryHandler = async (job) => {
  const log = (what: string) =>
    appendFileSync(env['LOG_FILE']!, `${what} ${job.delivery.id} ${process.pid} ${Date.now()}\n`)
  log('start')
  await sleep(10 + Math.floor(Math.random() * 30))
  log('end')
}

/** MODE=enqueue: enqueue bursts of deliveries, saying `ack <id>` as each resolves, as the webhook would answer 2xx. */
async function enqueueForever(queue: DeliveryQueue): Promise<void> {
  for (let burst = 0; burst < 200; burst++)
    await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const id = `${process.pid}-${burst}-${i}`
        const body = JSON.stringify({ n: i, pad: 'x'.repeat(2_000) })
        await queue.enqueue({ id, event: 'issue_comment', body, receivedAt: Date.now(), repository: `o/r${i % 3}` })
        process.stdout.write(`ack ${id}\n`)
      }),
    )
}

const queue = open()
if (env['MODE'] === 'enqueue') void enqueueForever(queue)
else queue.start(env['MODE'] === 'hang' ? hang : work, { concurrency: Number(env['CONCURRENCY'] ?? 2) })
// Keep the process alive while a handler awaits forever.
const alive = setInterval(() => {}, 60_000)
// Before `ready`: a test may send SIGTERM the moment it reads that, and a SIGTERM with no handler yet
// kills the process outright (the consumer then "exits" with no code: CI once saw that, FC_SEED=553248328).
process.on('SIGTERM', () => {
  void queue
    .drain(10_000)
    .then(() => queue.close())
    .then(() => {
      clearInterval(alive)
      process.exit(0)
    })
})
process.stdout.write('ready\n')
