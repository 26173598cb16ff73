import { describe, expect, it } from 'vitest'
import type { GateClock } from '../../../src/app/worker/yield-to-receiving.ts'
import { createReceivingGate, MAX_WAIT_MS, QUIET_MS } from '../../../src/app/worker/yield-to-receiving.ts'

/** A clock that only moves when the gate sleeps, and delivers on a schedule while it does. */
function fakeClock(deliveriesAt: number[], gate: () => { noteDelivery(): void }): GateClock & { t: number } {
  const pending = [...deliveriesAt]
  const clock = {
    t: 0,
    now: () => clock.t,
    async sleep(ms: number) {
      const until = clock.t + ms
      while (pending.length > 0 && pending[0]! <= until) {
        clock.t = pending.shift()!
        gate().noteDelivery()
      }
      clock.t = until
    },
  }
  return clock
}

function gateWith(deliveriesAt: number[]) {
  let gate: ReturnType<typeof createReceivingGate> | undefined
  const clock = fakeClock(deliveriesAt, () => gate!)
  gate = createReceivingGate(clock)
  return { gate, clock }
}

describe('yield to receiving: a job starts once the receiver is quiet', () => {
  it('starts at once when no delivery has arrived lately', async () => {
    const { gate, clock } = gateWith([])
    clock.t = 5_000
    await gate.wait(5_000)
    expect(clock.t).toBe(5_000)
  })

  it('waits out a burst: starts QUIET_MS after its last delivery', async () => {
    // A delivery every 5 ms for 300 ms; the job is for the first of them.
    const burst = Array.from({ length: 60 }, (_, i) => 5 * (i + 1))
    const { gate, clock } = gateWith(burst)
    gate.noteDelivery()
    await gate.wait(0)
    expect(clock.t).toBe(300 + QUIET_MS)
  })

  it('never waits past MAX_WAIT_MS from its delivery: a steady stream does not starve the work', async () => {
    const stream = Array.from({ length: 1_000 }, (_, i) => 5 * (i + 1))
    const { gate, clock } = gateWith(stream)
    gate.noteDelivery()
    await gate.wait(0)
    expect(clock.t).toBe(MAX_WAIT_MS)
  })

  it('a job whose delivery waited long already (a retry, a backlog) starts at once, burst or not', async () => {
    const { gate, clock } = gateWith([])
    clock.t = 10_000
    gate.noteDelivery()
    await gate.wait(10_000 - MAX_WAIT_MS)
    expect(clock.t).toBe(10_000)
  })
})
