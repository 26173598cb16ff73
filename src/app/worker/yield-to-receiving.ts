import { setTimeout as sleep } from 'node:timers/promises'

/**
 * The worker thread starts a job's work only once this process's receiver has had a quiet moment:
 * QUIET_MS without a delivery arriving (the receiver says so as each one's headers pass, at most every
 * 5 ms, and again as each is recorded). A burst is then acknowledged on cores the work does
 * not share, and its jobs start when it ends. On two cores, work started by a burst's first deliveries
 * (git, the engine, and GitHub's side of a fetch or push in a test) put 100–200 ms on the burst's p99
 * acknowledgement. A job whose delivery has already waited MAX_WAIT_MS starts whatever the receiver
 * is doing, so a steady stream of deliveries delays work by at most that, and never starves it.
 */

export const QUIET_MS = 20
export const MAX_WAIT_MS = 1_000

export interface ReceivingGate {
  /** A delivery arrived or was recorded just now. */
  noteDelivery(): void
  /** Resolves once the receiver is quiet, or once a delivery received at `receivedAt` has waited long enough. */
  wait(receivedAt: number): Promise<void>
}

export interface GateClock {
  now(): number
  sleep(ms: number): Promise<unknown>
}

const realClock: GateClock = { now: Date.now, sleep }

export function createReceivingGate(clock: GateClock = realClock): ReceivingGate {
  let lastDelivery = Number.NEGATIVE_INFINITY
  return {
    noteDelivery() {
      lastDelivery = clock.now()
    },
    async wait(receivedAt) {
      for (;;) {
        const now = clock.now()
        const quietFor = QUIET_MS - (now - lastDelivery)
        const patience = MAX_WAIT_MS - (now - receivedAt)
        if (quietFor <= 0 || patience <= 0) return
        await clock.sleep(Math.min(quietFor, patience))
      }
    },
  }
}
