import { describe, expect, it } from 'vitest'
import type { LogLike } from '../../../src/app/handle-delivery.ts'
import { startWorkerThread } from '../../../src/app/worker/start-worker-thread.ts'
import { until } from '../../helpers/until.ts'
import type { WorkerThreadOptions } from '../../../src/app/worker/start-worker-thread.ts'

const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url)

function recordingLog(): LogLike & { lines: string[] } {
  const lines: string[] = []
  const log = {
    lines,
    info: (_: object, m?: string) => void lines.push(`info ${m}`),
    warn: (_: object, m?: string) => void lines.push(`warn ${m}`),
    error: (_: object, m?: string) => void lines.push(`error ${m}`),
    child: () => log,
  }
  return log
}

const soon = (what: string, check: () => boolean) => until(what, check, 15_000, { everyMs: 25 })

/** The stand-in worker; its log and its fatal calls unobserved unless given. */
const startFlakyWorker = (observed: Partial<Pick<WorkerThreadOptions, 'log' | 'onFatal'>> = {}) =>
  startWorkerThread({
    entry: fixture('flaky-worker.ts'),
    env: {},
    cwd: '/',
    log: recordingLog(),
    onFatal: () => undefined,
    ...observed,
  })

describe('startWorkerThread', () => {
  it('a worker that cannot start fails the start with its reason', async () => {
    const log = recordingLog()
    await expect(
      startWorkerThread({ entry: fixture('failing-worker.ts'), env: {}, cwd: '/', log, onFatal: () => undefined }),
    ).rejects.toThrow('cannot read PRIVATE_KEY')
  })

  it('a worker that dies is started again; after too many deaths in a row the process is told', async () => {
    const log = recordingLog()
    const fatal: string[] = []
    const worker = await startFlakyWorker({ log, onFatal: (reason) => void fatal.push(reason) })
    expect(worker.running()).toBe(2)
    const restarts = () => log.lines.filter((l) => l === 'warn worker thread exited; starting another').length
    for (let death = 1; death <= 5; death++) {
      worker.notify()
      await soon(`restart ${death}`, () => restarts() === death)
      // The replacement says ready again and answers: it is a live worker, not a dead handle.
      await soon('the replacement running', () => worker.running() === 2)
      expect(await worker.metrics()).toEqual([])
    }
    expect(fatal).toEqual([])
    worker.notify()
    await soon('the fatal call', () => fatal.length === 1)
    expect(fatal[0]).toMatch(/died 6 times/)
    expect(log.lines.filter((l) => l.startsWith('error worker thread failed'))).toHaveLength(6)
  }, 60_000)

  it('drain: the worker says it drained, and the thread is stopped', async () => {
    const worker = await startFlakyWorker()
    expect(await worker.drain(1_000)).toBe(true)
    // A stopped worker answers no metrics: the receiver's /metrics shows its own figures only.
    expect(await worker.metrics()).toEqual([])
  })
})
