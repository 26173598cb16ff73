import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { loadSqlite, withoutSqliteWarning } from '../../../src/app/queue/load-sqlite.ts'
import { currentIdentity, formatIdentity, processStartTime } from '../../../src/store/safe-fs/process-identity.ts'
import { openEmbeddedQueue } from '../../../src/app/queue/open-embedded-queue.ts'
import { cleanupTempDirs, tempDir } from '../../helpers/git-repo.ts'
import { delivery, describeDeliveryQueueContract, until } from './delivery-queue.contract.ts'
import { describeCrashContract, startConsumer } from './queue-crash.contract.ts'

afterAll(() => cleanupTempDirs())

describeDeliveryQueueContract('embedded (node:sqlite)', {
  async storage() {
    const file = join(tempDir('kitty-queue-'), 'cache', 'kitty-deliveries.sqlite')
    return { open: (options) => openEmbeddedQueue({ file, pollMs: 50, ...options }) }
  },
})

describeCrashContract('embedded (node:sqlite)', async () => {
  const file = join(tempDir('kitty-queue-crash-'), 'kitty-deliveries.sqlite')
  return {
    open: () => openEmbeddedQueue({ file, pollMs: 50 }),
    childEnv: { QUEUE_KIND: 'embedded', QUEUE_FILE: file },
  }
})

describe('embedded (node:sqlite): job owners and process output', () => {
  const children: ChildProcess[] = []
  afterEach(() => {
    for (const c of children.splice(0)) c.kill('SIGKILL')
  })

  it('takes back a job whose owner is this pid with another start time (a reused pid), not one a live process holds', async () => {
    const file = join(tempDir('kitty-queue-owner-'), 'kitty-deliveries.sqlite')
    const reused = delivery({ repository: 'o/reused' })
    const held = delivery({ repository: 'o/held' })
    const setup = openEmbeddedQueue({ file })
    await setup.enqueue(reused)
    await setup.enqueue(held)
    await setup.close()
    const sleeper = spawn('sleep', ['60'])
    children.push(sleeper)
    await until('the sleeper runs', () => processStartTime(sleeper.pid!) !== null)
    const me = currentIdentity()
    const ghost = formatIdentity({ ...me, startTime: String(Number(me.startTime) + 1) })
    const live = formatIdentity({ ...me, pid: sleeper.pid!, startTime: processStartTime(sleeper.pid!)! })
    const { DatabaseSync } = loadSqlite()
    const db = new DatabaseSync(file)
    const plant = db.prepare(`UPDATE jobs SET state = 'active', attempts = 1, owner = ? WHERE id = ?`)
    plant.run(`${ghost}#dead`, reused.id)
    plant.run(`${live}#other`, held.id)
    db.close()

    const q = openEmbeddedQueue({ file, pollMs: 50 })
    const runs: Array<[string, number]> = []
    q.start(
      async (job) => {
        runs.push([job.delivery.id, job.attempt])
      },
      { concurrency: 2 },
    )
    await until('the reused-pid job ran', () => runs.length === 1)
    await sleep(500)
    expect(runs).toEqual([[reused.id, 2]])
    expect((await q.inspect(held.id))?.state).toBe('active')
    sleeper.kill('SIGKILL')
    await until('the dead holder’s job ran', () => runs.length === 2)
    expect(runs[1]).toEqual([held.id, 2])
    await q.close()
  })

  it('prints no ExperimentalWarning for node:sqlite in a consumer process', async () => {
    const file = join(tempDir('kitty-queue-warn-'), 'kitty-deliveries.sqlite')
    const consumer = await startConsumer({
      QUEUE_KIND: 'embedded',
      QUEUE_FILE: file,
      MODE: 'work',
      LOG_FILE: '/dev/null',
    })
    consumer.child.kill('SIGTERM')
    expect(await consumer.exited).toBe(0)
    expect(consumer.stderr()).not.toMatch(/Warning/)
  })

  it("drops only node:sqlite's ExperimentalWarning while it loads", async () => {
    const seen: string[] = []
    const listen = (w: Error) => seen.push(`${w.name}: ${w.message}`)
    process.on('warning', listen)
    try {
      withoutSqliteWarning(() => {
        process.emitWarning('SQLite is an experimental feature and might change at any time', 'ExperimentalWarning')
        process.emitWarning('Something else is experimental', 'ExperimentalWarning')
        process.emitWarning('SQLite said something that is not experimental', 'DeprecationWarning')
      })
      process.emitWarning('SQLite after the load is not ours to hide', 'ExperimentalWarning')
      await sleep(20)
    } finally {
      process.off('warning', listen)
    }
    expect(seen).toEqual([
      'ExperimentalWarning: Something else is experimental',
      'DeprecationWarning: SQLite said something that is not experimental',
      'ExperimentalWarning: SQLite after the load is not ours to hide',
    ])
  })
})
