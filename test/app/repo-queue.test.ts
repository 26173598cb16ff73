import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import { RepoQueue } from '../../src/app/repo-queue.ts'

describe('RepoQueue', () => {
  it('runs one repository one task at a time, in order, and repositories side by side', async () => {
    const queue = new RepoQueue()
    const events: string[] = []
    const task = (name: string, ms: number) => async () => {
      events.push(`start ${name}`)
      await sleep(ms)
      events.push(`end ${name}`)
      return name
    }
    const all = Promise.all([
      queue.run('a', task('a1', 30)),
      queue.run('a', task('a2', 1)),
      queue.run('b', task('b1', 5)),
    ])
    expect(queue.depth).toBe(3)
    expect(await all).toEqual(['a1', 'a2', 'b1'])
    expect(events.indexOf('end a1')).toBeLessThan(events.indexOf('start a2'))
    expect(events.indexOf('start b1')).toBeLessThan(events.indexOf('end a1'))
    expect(queue.depth).toBe(0)
  })

  it('a failed task fails only its caller; the next one still runs', async () => {
    const queue = new RepoQueue()
    const failed = queue.run('a', () => Promise.reject(new Error('boom')))
    const next = queue.run('a', async () => 'ran')
    await expect(failed).rejects.toThrow('boom')
    expect(await next).toBe('ran')
  })

  it('drain waits for queued and tracked work, or reports false when the bound passes first', async () => {
    const queue = new RepoQueue()
    expect(await queue.drain(10)).toBe(true)
    void queue.run('a', () => sleep(40))
    void queue.track(sleep(60))
    expect(await queue.drain(5)).toBe(false)
    expect(await queue.drain(1_000)).toBe(true)
    expect(queue.depth).toBe(0)
  })
})
