import { readdirSync } from 'node:fs'
import { createServer as createHttpServer } from 'node:http'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
import { checkAppEnvironment } from '../../../src/app/app-environment.ts'
import { describeDelivery } from '../../../src/app/queue/describe-delivery.ts'
import { sendWarmUp, warmUpPayload } from '../../../src/app/warm-up/send-warm-up.ts'
import { warmUpOrStartCold, warmUpReceiver } from '../../../src/app/warm-up/warm-up-receiver.ts'
import { WARM_UP_ROLE } from '../../../src/app/worker/worker-messages.ts'
import { isChat, readDelivery } from '../../../src/github/read-event.ts'
import { tempDir } from '../../helpers/git-repo.ts'
import type { LogLine } from '../../helpers/recording-log.ts'
import { recordingLog } from '../../helpers/recording-log.ts'

/**
 * The receiver's start-up warm-up, in-process: the sender runs from the App's real entry
 * (src/app/index.ts in its warm-up role) in a worker thread, against a scratch receiver.
 */

const ENTRY = new URL('../../../src/app/index.ts', import.meta.url)
const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url)

describe('warmUpReceiver', () => {
  it('sends its deliveries through a scratch receiver and queue, every one acknowledged, and leaves no folder', async () => {
    const parent = tempDir('kitty-warm-up-test-')
    const env = { KITTY_WARM_UP_DELIVERIES: '40' }
    const warmed = await warmUpReceiver({ env, entry: ENTRY, queueKind: 'embedded', scratchParent: parent })
    expect(warmed).toMatchObject({ deliveries: 40, acknowledged: 40, failed: 0 })
    expect(warmed.ms).toBeGreaterThan(0)
    expect(readdirSync(parent)).toEqual([])
  })

  it('for an App on Redis it records nothing anywhere: no queue file, not one connection to Redis', async () => {
    let connections = 0
    const redis = createServer((socket) => {
      connections++
      socket.destroy()
    })
    await new Promise<void>((resolve) => redis.listen(0, '127.0.0.1', resolve))
    const parent = tempDir('kitty-warm-up-test-')
    try {
      const env = {
        KITTY_WARM_UP_DELIVERIES: '25',
        REDIS_URL: `redis://127.0.0.1:${(redis.address() as AddressInfo).port}`,
      }
      const warmed = await warmUpReceiver({ env, entry: ENTRY, queueKind: 'redis', scratchParent: parent })
      expect(warmed).toMatchObject({ deliveries: 25, acknowledged: 25, failed: 0 })
      expect(connections).toBe(0)
      expect(readdirSync(parent)).toEqual([])
    } finally {
      await new Promise<void>((resolve) => redis.close(() => resolve()))
    }
  })

  it('KITTY_WARM_UP_DELIVERIES=0 turns it off: nothing sent, no folder made', async () => {
    const parent = tempDir('kitty-warm-up-test-')
    const env = { KITTY_WARM_UP_DELIVERIES: '0' }
    const warmed = await warmUpReceiver({
      env,
      entry: fixture('exiting-sender.ts'),
      queueKind: 'embedded',
      scratchParent: parent,
    })
    expect(warmed).toEqual({ deliveries: 0, acknowledged: 0, failed: 0, ms: 0 })
    expect(readdirSync(parent)).toEqual([])
  })

  it('a KITTY_WARM_UP_DELIVERIES that is not a whole number from 0 to 10000 stops the start', () => {
    const env = { APP_ID: '1', PRIVATE_KEY: 'k', WEBHOOK_SECRET: 's' }
    expect(() => checkAppEnvironment({ ...env, KITTY_WARM_UP_DELIVERIES: 'many' })).toThrow(
      "KITTY_WARM_UP_DELIVERIES must be a whole number from 0 to 10000, not 'many'.",
    )
    expect(() => checkAppEnvironment({ ...env, KITTY_WARM_UP_DELIVERIES: '10001' })).toThrow('KITTY_WARM_UP_DELIVERIES')
    expect(() => checkAppEnvironment({ ...env, KITTY_WARM_UP_DELIVERIES: '0' })).not.toThrow()
  })

  it('its deliveries are commands, so they take the whole receiving path down to the queue', () => {
    for (const n of [0, 1, 7]) {
      const payload = JSON.parse(warmUpPayload(n)) as object
      const { intent } = readDelivery('issue_comment', payload)
      expect(intent.kind).toBe('comment')
      expect(intent.kind === 'comment' && isChat(intent)).toBe(false)
      const record = describeDelivery({ id: `d${n}`, event: 'issue_comment', body: warmUpPayload(n), payload })
      expect(record.repository).toMatch(/^warm-up-\d\/repository-\d$/)
      expect(record.installationId).toBeGreaterThan(0)
    }
  })

  it('the sender thread gets an empty environment: not the App key, the secret or anything else', async () => {
    const parent = tempDir('kitty-warm-up-test-')
    const env = { KITTY_WARM_UP_DELIVERIES: '1', WEBHOOK_SECRET: 'never-in-the-sender' }
    const entry = fixture('env-reporting-sender.ts')
    expect(Object.keys(process.env).length).toBeGreaterThan(0)
    const warmed = await warmUpReceiver({ env, entry, queueKind: 'embedded', scratchParent: parent })
    expect(warmed).toMatchObject({ failed: 1, firstFailure: '' })
  })

  it('the sender reports what the receiver refused, with the first reason', async () => {
    const refusing = createHttpServer((req, res) => {
      req.resume()
      req.once('end', () => res.writeHead(400).end('signature mismatch\n'))
    })
    await new Promise<void>((resolve) => refusing.listen(0, '127.0.0.1', resolve))
    try {
      const { port } = refusing.address() as AddressInfo
      const data = { role: WARM_UP_ROLE, port, path: '/warm-up', secret: 'x', count: 7, inFlight: 3 } as const
      expect(await sendWarmUp(data)).toEqual({ acknowledged: 0, failed: 7, firstFailure: 'answered 400' })
    } finally {
      refusing.closeAllConnections()
      await new Promise<void>((resolve) => refusing.close(() => resolve()))
    }
  })
})

describe('warmUpOrStartCold', () => {
  it('a sender that cannot run costs only the warm-up: one warning, the scratch folder removed', async () => {
    const parent = tempDir('kitty-warm-up-test-')
    const lines: LogLine[] = []
    const options = {
      env: {},
      entry: fixture('exiting-sender.ts'),
      queueKind: 'embedded' as const,
      scratchParent: parent,
    }
    await warmUpOrStartCold(options, recordingLog(lines))
    expect(lines).toEqual([
      {
        level: 'warn',
        fields: { reason: 'the sender exited with 1 before it reported' },
        msg: 'receiver warm-up failed; starting cold',
      },
    ])
    expect(readdirSync(parent)).toEqual([])
  })

  it('refused deliveries are a warning with the first reason; a clean warm-up one info line', async () => {
    const lines: LogLine[] = []
    const scratchParent = tempDir('kitty-warm-up-test-')
    const refused = { env: {}, entry: fixture('refused-sender.ts'), queueKind: 'redis' as const, scratchParent }
    await warmUpOrStartCold(refused, recordingLog(lines))
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatchObject({
      level: 'warn',
      fields: { deliveries: 1000, acknowledged: 3, reason: 'answered 400' },
      msg: 'receiver warm-up: some deliveries failed',
    })
    const clean: LogLine[] = []
    const env = { KITTY_WARM_UP_DELIVERIES: '10' }
    await warmUpOrStartCold({ env, entry: ENTRY, queueKind: 'embedded', scratchParent }, recordingLog(clean))
    expect(clean).toEqual([
      {
        level: 'info',
        fields: expect.objectContaining({ deliveries: 10, acknowledged: 10 }),
        msg: 'receiver warmed up',
      },
    ])
  })
})
