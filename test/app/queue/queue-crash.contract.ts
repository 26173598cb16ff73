import { spawn } from 'node:child_process'
import type { ChildProcessWithoutNullStreams } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import type { Delivery, DeliveryQueue } from '../../../src/app/queue/delivery-queue.ts'
import { randomInts } from '../../helpers/seed.ts'
import { delivery, until } from './delivery-queue.contract.ts'

/** Crash tests with real processes: a consumer SIGKILLed mid-job, and (Redis) two consumers on one queue. */

const CHILD = fileURLToPath(new URL('./queue-worker-child.ts', import.meta.url))

export interface CrashStorage {
  open(): DeliveryQueue
  /** The environment that points a child process at this storage. */
  childEnv: Record<string, string>
}

export interface Consumer {
  child: ChildProcessWithoutNullStreams
  stdout(): string
  stderr(): string
  exited: Promise<number | null>
}

const children: ChildProcessWithoutNullStreams[] = []

export async function startConsumer(env: Record<string, string>): Promise<Consumer> {
  const child = spawn(process.execPath, [CHILD], { env: { PATH: process.env['PATH'] ?? '', ...env } })
  children.push(child)
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)))
  await until('the consumer ready', () => stdout.includes('ready\n') || child.exitCode !== null, 20_000)
  if (!stdout.includes('ready\n')) throw new Error(`the consumer exited early:\n${stderr}`)
  return { child, stdout: () => stdout, stderr: () => stderr, exited }
}

export function stopChildren(): void {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
}

export function describeCrashContract(name: string, storage: () => Promise<CrashStorage>): void {
  describe(`${name}: processes killed with SIGKILL`, () => {
    const opened: DeliveryQueue[] = []
    afterEach(async () => {
      stopChildren()
      for (const q of opened.splice(0)) await q.close()
    })

    it('loses no delivery whose enqueue had resolved when the receiving process was killed', async () => {
      const s = await storage()
      const receiver = await startConsumer({ ...s.childEnv, MODE: 'enqueue' })
      const acked = () => [...receiver.stdout().matchAll(/^ack (\S+)$/gm)].map((m) => m[1]!)
      const [killAfter] = randomInts(`${name} enqueue kill`, 1, 30, 400)
      await until('some bursts acknowledged', () => acked().length >= killAfter!)
      receiver.child.kill('SIGKILL')
      await receiver.exited
      const ids = acked()
      const q = s.open()
      opened.push(q)
      const missing: string[] = []
      for (const id of ids) if ((await q.inspect(id))?.state !== 'waiting') missing.push(id)
      expect(missing).toEqual([])
      const stats = await q.stats()
      expect(stats.waiting).toBeGreaterThanOrEqual(ids.length)
      // The kill came mid-burst: at most the unacknowledged tail of one burst may also be recorded.
      expect(stats.waiting).toBeLessThanOrEqual(ids.length + 20)
    })

    it('leaves its jobs to the next consumer, each resumed exactly once with the steps it saved', async () => {
      const s = await storage()
      const producer = s.open()
      opened.push(producer)
      const sent: Delivery[] = []
      for (let i = 0; i < 2; i++)
        for (const repo of ['o/a', 'o/b', 'o/c', 'o/d']) sent.push(delivery({ repository: repo, id: `${repo}#${i}` }))
      for (const d of sent) expect(await producer.enqueue(d)).toBe('queued')

      const victim = await startConsumer({ ...s.childEnv, MODE: 'hang', CONCURRENCY: '3' })
      const started = () => [...victim.stdout().matchAll(/^started (\S+) (\d+)$/gm)].map((m) => m[1]!)
      await until('three jobs started in the victim', () => started().length === 3)
      victim.child.kill('SIGKILL')
      await victim.exited
      const killed = started()
      // The three held jobs are the heads of three repositories: nothing runs behind a held job.
      expect(new Set(killed.map((id) => id.split('#')[0])).size).toBe(3)
      expect(killed.every((id) => id.endsWith('#0'))).toBe(true)

      const survivor = s.open()
      opened.push(survivor)
      const runs: Array<{ id: string; attempt: number; steps: Record<string, unknown> }> = []
      survivor.start(
        async (job) => {
          runs.push({ id: job.delivery.id, attempt: job.attempt, steps: { ...job.steps } })
        },
        { concurrency: 3 },
      )
      await until(
        'all eight done',
        async () => {
          const stats = await survivor.stats()
          return stats.waiting + stats.active === 0 && runs.length >= sent.length
        },
        40_000,
      )
      expect(runs.map((r) => r.id).sort()).toEqual(sent.map((d) => d.id).sort())
      for (const r of runs) {
        if (killed.includes(r.id)) expect(r).toMatchObject({ attempt: 2, steps: { opened: { pid: victim.child.pid } } })
        else expect(r).toMatchObject({ attempt: 1, steps: {} })
      }
      for (const repo of ['o/a', 'o/b', 'o/c', 'o/d'])
        expect(runs.filter((r) => r.id.startsWith(`${repo}#`)).map((r) => r.id)).toEqual([`${repo}#0`, `${repo}#1`])
      expect(victim.stderr()).toBe('')
    })
  })
}
