import { describe, expect, it } from 'vitest'
import { doWhileWaiting, runIdleWork } from '../../../src/store/remote/idle-work.ts'

const nextTurn = () => new Promise((resolve) => setImmediate(resolve))

describe('work done while waiting on another process', () => {
  it('runs each queued task once, after the caller has gone back to the event loop', async () => {
    const ran: string[] = []
    doWhileWaiting(() => ran.push('a'))
    doWhileWaiting(() => {
      throw new Error('a hint must never fail the command')
    })
    doWhileWaiting(async () => Promise.reject(new Error('nor may a rejected one')))
    runIdleWork()
    expect(ran).toEqual([]) // not inline: the caller's own work comes first
    await nextTurn()
    expect(ran).toEqual(['a'])
    runIdleWork()
    await nextTurn()
    expect(ran).toEqual(['a'])
  })
})
