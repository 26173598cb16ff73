import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { openEmbeddedQueue } from '../../../src/app/queue/open-embedded-queue.ts'
import { runStep } from '../../../src/app/queue/run-step.ts'
import { cleanupTempDirs, tempDir } from '../../helpers/git-repo.ts'
import { delivery, until } from './delivery-queue.contract.ts'

afterAll(() => cleanupTempDirs())

describe('runStep', () => {
  it('skips on a retry what an earlier attempt finished, and hands back its saved value', async () => {
    const q = openEmbeddedQueue({
      file: join(tempDir('kitty-step-'), 'q.sqlite'),
      pollMs: 50,
      retry: { maxAttempts: 3, backoffBaseMs: 10, backoffMaxMs: 10 },
    })
    const calls: string[] = []
    const seen: unknown[] = []
    q.start(
      async (job) => {
        const run = await runStep(job, 'check_run', async () => {
          calls.push(`open ${job.attempt}`)
          return { id: 700 + job.attempt }
        })
        const nothing = await runStep(job, 'label_removed', async () => {
          calls.push(`label ${job.attempt}`)
        })
        seen.push([run, nothing])
        await runStep(job, 'reply', async () => {
          calls.push(`reply ${job.attempt}`)
          if (job.attempt < 3) throw new Error('GitHub answered 502')
          return 'posted'
        })
      },
      { concurrency: 1 },
    )
    const d = delivery()
    await q.enqueue(d)
    await until('done', async () => (await q.inspect(d.id))?.state === 'done')
    expect(calls).toEqual(['open 1', 'label 1', 'reply 1', 'reply 2', 'reply 3'])
    expect(seen).toEqual([
      [{ id: 701 }, undefined],
      [{ id: 701 }, null],
      [{ id: 701 }, null],
    ])
    expect((await q.inspect(d.id))?.steps).toEqual({ check_run: { id: 701 }, label_removed: null, reply: 'posted' })
    await q.close()
  })
})
