import { describe, expect, it } from 'vitest'
import { warmDeliveries } from '../../src/app/app-environment.ts'
import type { LogLike } from '../../src/app/handle-delivery.ts'
import { warmReceiver } from '../../src/app/warm-receiver.ts'

/**
 * The receiver's warm-up in one process: every delivery it sends takes the whole receiving path
 * (checks, HMAC, parse, routing, the queue's answer) and is acknowledged, and the server it used is
 * gone afterwards. The App process's side (nothing reaches its log, queue or metrics) is in
 * app-server.test.ts.
 */

function recordingLog(): { log: LogLike; lines: Array<{ obj: Record<string, unknown>; msg: string | undefined }> } {
  const lines: Array<{ obj: Record<string, unknown>; msg: string | undefined }> = []
  const log: LogLike = {
    info: (obj, msg) => void lines.push({ obj: obj as Record<string, unknown>, msg }),
    warn: (obj, msg) => void lines.push({ obj: obj as Record<string, unknown>, msg }),
    error: (obj, msg) => void lines.push({ obj: obj as Record<string, unknown>, msg }),
    child: () => log,
  }
  return { log, lines }
}

const servers = () => process.getActiveResourcesInfo().filter((r) => r === 'TCPServerWrap').length

describe('warmReceiver', () => {
  it('sends every delivery through the whole receiving path, each acknowledged 202, then closes its server', async () => {
    const { log, lines } = recordingLog()
    const before = servers()
    const warmed = await warmReceiver({ deliveries: 120, log, maxBytes: 1 << 20 })
    expect(warmed.sent).toBe(120)
    const received = lines.filter((l) => l.msg === 'webhook received')
    const acknowledged = lines.filter((l) => l.msg === 'webhook acknowledged: 202')
    expect(received).toHaveLength(120)
    expect(acknowledged).toHaveLength(120)
    // Routed as a command (a chat comment would be answered 200 without the queue's step).
    expect(received[0]!.obj).toMatchObject({ event: 'issue_comment', action: 'created' })
    expect(new Set(acknowledged.map((l) => l.obj['delivery'])).size).toBe(120)
    expect(lines.filter((l) => l.msg?.startsWith('webhook delivery refused'))).toEqual([])
    // A closed handle leaves the list on the loop's next turn.
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(servers()).toBe(before)
  })

  it('sends nothing and opens nothing when asked for none', async () => {
    const { log, lines } = recordingLog()
    expect(await warmReceiver({ deliveries: 0, log, maxBytes: 1 << 20 })).toEqual({ sent: 0, ms: 0 })
    expect(lines).toEqual([])
  })
})

describe('KITTY_WARM_DELIVERIES', () => {
  it('is 1,000 unless set; 0 turns the warm-up off; anything else stops the start', () => {
    expect(warmDeliveries({})).toBe(1_000)
    expect(warmDeliveries({ KITTY_WARM_DELIVERIES: '' })).toBe(1_000)
    expect(warmDeliveries({ KITTY_WARM_DELIVERIES: '0' })).toBe(0)
    expect(warmDeliveries({ KITTY_WARM_DELIVERIES: '250' })).toBe(250)
    for (const bad of ['-1', '1e9', 'many', '2.5'])
      expect(() => warmDeliveries({ KITTY_WARM_DELIVERIES: bad })).toThrow(/^KITTY_WARM_DELIVERIES must be/)
  })
})
