import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { replyMarker } from '../../src/app/durable-answers.ts'
import { openDeliveryQueue } from '../../src/app/queue/open-delivery-queue.ts'
import { SWEPT } from '../../src/app/sweep-abandoned.ts'
import { MISSION as M, gitCli, useAppsPerTest } from '../helpers/app-fixture.ts'
import type { AppProcess } from '../helpers/app-process.ts'
import { deliver, eventPayload, maintainerComment, waitForLogLine } from '../helpers/app-process.ts'
import { makeRepo, tempDir } from '../helpers/git-repo.ts'
import { diamondRepo } from '../helpers/merge-repo.ts'
import type { RedisServer } from '../helpers/redis-server.ts'
import { startRedisServer } from '../helpers/redis-server.ts'
import { until } from '../helpers/until.ts'

/**
 * The App killed with SIGKILL at the worst moments for its answers, then started again on the same
 * queue (the embedded one in its cache, or Redis with REDIS_URL): during a merge whose check run is
 * `in_progress` (the job's only attempt: the queue fails it without running it again, and the recovery
 * sweep completes the run and removes the label), and between posting a reply and saving that it did
 * (the retry finds the reply by its marker and posts no second one).
 */

const TOKEN = 'ghs_RecoverySweepInstallationToken0123'

const fx = useAppsPerTest({ token: TOKEN, people: { maintainer: 'write' } })

function start(cache: string, env: Record<string, string>): Promise<AppProcess> {
  return fx.startApp({ KITTY_CACHE_DIR: cache, ...env })
}

/** Kill `app` the moment its request matching `route` reaches the stand-in, before it is answered. */
function killAt(app: AppProcess, route: RegExp): Promise<number | null> {
  fx.rest.beforeNext(route, async () => {
    app.child.kill('SIGKILL')
    await app.exited
  })
  return app.exited
}

const requests = (method: string, path: RegExp) =>
  fx.rest.requests.filter((r) => r.method === method && path.test(r.path))

/**
 * Where the queue lives. The embedded file is failed at the restart (the run it was in died with the
 * process); Redis fails it once the dead process's lock expires (30 s) and the new one's stalled check
 * takes it back, so the sweep that finishes it is a periodic one, not the one at start.
 */
interface QueueUnderTest {
  kind: 'embedded' | 'redis'
  env(): Record<string, string>
  /** How long after the restart the run may be completed. */
  sweptWithinMs: number
}

const embedded: QueueUnderTest = { kind: 'embedded', env: () => ({}), sweptWithinMs: 60_000 }

let redis: RedisServer | undefined
const onRedis: QueueUnderTest = {
  kind: 'redis',
  env: () => ({ REDIS_URL: redis!.url, KITTY_QUEUE_PREFIX: `sweep${process.pid}` }),
  sweptWithinMs: 120_000,
}

describe.each([embedded, onRedis])('a merge cut short on its only attempt ($kind queue)', (where) => {
  beforeEach(async () => {
    if (where.kind === 'redis') redis = await startRedisServer()
  })
  afterEach(async () => {
    // The Apps first (the fixture's afterEach runs after this one): none may outlive its Redis.
    for (const app of fx.apps.splice(0)) await app.stop('SIGKILL')
    await redis?.stop()
    redis = undefined
  })

  it('is failed after the restart and swept: its in_progress run completed as a failure, the label removed, once', async () => {
    const bare = fx.git.createBareRepo(`octo-org/sweep`, { from: diamondRepo() })
    const cache = join(tempDir('kitty-sweep-cache-'), 'cache')
    const once = { KITTY_QUEUE_MAX_ATTEMPTS: '1', ...where.env() }
    const first = await start(cache, once)
    const before = await gitCli(bare, 'rev-parse', 'main')
    // The merge's push arrives: the process dies there, and the push is refused, so nothing landed.
    fx.git.faults.beforeNextPush(async () => {
      fx.git.faults.refuseNextPush()
      first.child.kill('SIGKILL')
      await first.exited
    })
    const labeled = eventPayload('pull_request.labeled', fx.git.repoUrl('octo-org/sweep'))
    const sent = await deliver(first.url, 'pull_request', labeled)
    expect(sent.status).toBe(202)
    await first.exited
    const [opened] = requests('POST', /\/check-runs$/)
    expect(opened?.body).toMatchObject({ name: 'kitty/merge-mission', status: 'in_progress' })
    const runId = fx.rest.checkRuns[0]!.id
    expect(requests('PATCH', /./)).toEqual([])
    expect(requests('DELETE', /./)).toEqual([])

    const second = await start(cache, { ...once, KITTY_SWEEP_INTERVAL_MS: '200' })
    const removed = () => requests('DELETE', /./).length > 0
    await until('the run completed and the label removed', removed, where.sweptWithinMs)
    await sleep(1_000)
    const patches = requests('PATCH', /\/check-runs\/\d+$/)
    expect(patches.map((r) => r.path)).toEqual([`/repos/octo-org/sweep/check-runs/${runId}`])
    expect(patches[0]!.body).toMatchObject({
      status: 'completed',
      conclusion: 'failure',
      output: { title: 'Delivery failed after 1 attempt' },
    })
    expect((patches[0]!.body as { output: { summary: string } }).output.summary).toContain(sent.id)
    expect(requests('DELETE', /./).map((r) => r.path)).toEqual(['/repos/octo-org/sweep/issues/7/labels/kitty:merge'])
    expect(fx.rest.checkRuns.map((r) => r.status)).toEqual(['completed'])
    // Never run again: no second check run, no merge.
    expect(requests('POST', /\/check-runs$/)).toHaveLength(1)
    expect(await gitCli(bare, 'rev-parse', 'main')).toBe(before)
    const metrics = await (await fetch(`${second.url}/metrics`)).text()
    expect(metrics).toMatch(/^kitty_swept_deliveries_total\{outcome="finished"\} 1$/m)
    expect(await second.stop('SIGTERM')).toBe(0)

    // Another start (or replica) on the same queue: nothing more to do.
    const writes = fx.rest.requests.filter((r) => r.method !== 'GET').length
    const third = await start(cache, { ...once, KITTY_SWEEP_INTERVAL_MS: '200' })
    await sleep(1_500)
    expect(fx.rest.requests.filter((r) => r.method !== 'GET')).toHaveLength(writes)
    expect(await third.stop('SIGTERM')).toBe(0)
    for (const app of [first, second, third]) expect(app.output()).not.toContain(TOKEN)

    const { queue, kind } = openDeliveryQueue(once, cache)
    expect(kind).toBe(where.kind)
    const record = await queue.inspect(sent.id)
    await queue.close()
    expect(record).toMatchObject({ state: 'failed', attempts: 1, steps: { [SWEPT]: { outcome: 'finished' } } })
    expect(record?.reason).toMatch(/stopped/)
  }, 240_000)
})

describe('a reply posted just before the process died', () => {
  it('is found by its marker on the retry: one reply, not two', async () => {
    fx.git.createBareRepo('octo-org/reply', {
      from: makeRepo([{ slug: M, wps: [{ id: 'WP01', lane: 'for_review' }] }]),
    })
    fx.rest.pulls.set(7, { head: { ref: `${M}-WP01`, sha: 'e'.repeat(40) } })
    const cache = join(tempDir('kitty-sweep-cache-'), 'cache')
    const twice = { KITTY_QUEUE_MAX_ATTEMPTS: '2' }
    const first = await start(cache, twice)
    // The reply reaches GitHub (the stand-in keeps it), but the App dies before it hears back or saves it.
    const died = killAt(first, /^POST \/repos\/octo-org\/reply\/issues\/7\/comments$/)
    const read = maintainerComment(fx.git.repoUrl('octo-org/reply'), 7, 2_200_000_001, '/kitty state')
    const sent = await deliver(first.url, 'issue_comment', read)
    expect(sent.status).toBe(202)
    await died
    await until('the reply kept by the stand-in', () => fx.rest.comments.length > 0, 60_000)
    expect(fx.rest.comments).toHaveLength(1)

    const second = await start(cache, twice)
    await waitForLogLine(second, { delivery: sent.id, msg: 'delivery done' }, 60_000)
    const marker = replyMarker(sent.id, 'reply:7#0')
    expect(fx.rest.comments.map((c) => c.body.endsWith(marker))).toEqual([true])
    expect(requests('GET', /\/issues\/7\/comments$/)).toHaveLength(1)
    // The rest of its answers were still owed, and given.
    expect(requests('POST', /\/reactions$/)).toHaveLength(1)
  }, 180_000)
})
