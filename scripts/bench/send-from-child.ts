// The benches' side of send-deliveries.ts: deliveries as GitHub signs them, and a burst of them sent
// from a child process of its own, so that sending does not cost the thread being measured.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { dirname, join } from 'node:path'
import { text } from 'node:stream/consumers'
import { fileURLToPath } from 'node:url'
import { sign } from '../../test/helpers/app-process.ts'
import { onCpu } from './pin-cpu.ts'
import type { Outgoing } from './post-delivery.ts'

const SENDER = join(dirname(fileURLToPath(import.meta.url)), 'send-deliveries.ts')

/** A webhook delivery with GitHub's headers, signed with the test App's secret. */
export function githubDelivery(url: string, event: string, id: string, body: string): Outgoing {
  return {
    url,
    body,
    headers: {
      'content-type': 'application/json',
      'x-github-event': event,
      'x-github-delivery': id,
      'x-hub-signature-256': sign(body),
    },
  }
}

export interface SendOptions {
  /** One delivery every spacingMs instead of all at once. */
  spacingMs?: number
  /** Pin the sender to this CPU before it starts (it sends as soon as it has read its input). */
  cpu?: number
  /** Called once the sender runs, just before it is given the deliveries: where a measurement starts. */
  started?: () => void
}

/** [{ status, ms }] in the order given (send-deliveries.ts). */
export async function sendFromChild(
  outgoing: Outgoing[],
  options: SendOptions = {},
): Promise<Array<{ status: number; ms: number }>> {
  const sender = [process.execPath, SENDER, String(options.spacingMs ?? 0)]
  const [command, ...args] = onCpu(sender, options.cpu)
  // Encoded before the measurement starts: for a 500-burst it is megabytes, and a measurement of this
  // thread (bench:receiver) would count its encoding as the server's work.
  const input = Buffer.from(JSON.stringify(outgoing))
  const child = spawn(command!, args, { stdio: ['pipe', 'pipe', 'inherit'] })
  options.started?.()
  child.stdin.end(input)
  const [out] = await Promise.all([text(child.stdout), once(child, 'exit')])
  return JSON.parse(out) as Array<{ status: number; ms: number }>
}
