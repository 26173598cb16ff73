import { describe, expect, it } from 'vitest'
import { CONTRACT_VERSION, isoTimestamp, makeEnvelope, makeFailure, zuluSeconds } from '../../src/core/envelope.ts'
import type { ErrorCode } from '../../src/core/errors.ts'

describe('envelope (upstream behaviours 1–3, 17–19)', () => {
  it('1: a success envelope has exactly the seven keys in order', () => {
    const env = makeEnvelope('test-cmd', true, { foo: 'bar' })
    expect(Object.keys(env)).toEqual([
      'contract_version',
      'command',
      'timestamp',
      'correlation_id',
      'success',
      'error_code',
      'data',
    ])
    expect(env.contract_version).toBe(CONTRACT_VERSION)
    expect(env.command).toBe('orchestrator-api.test-cmd')
    expect(typeof env.timestamp).toBe('string')
    expect(env.correlation_id).toMatch(/^corr-[0-9a-f]{32}$/)
    expect(env.success).toBe(true)
    expect(env.error_code).toBeNull()
    expect(env.data).toEqual({ foo: 'bar' })
  })

  it('2: a failure envelope carries the code and the data as given', () => {
    const env = makeEnvelope('test-cmd', false, {}, 'SOME_ERROR' as ErrorCode)
    expect(env.success).toBe(false)
    expect(env.error_code).toBe('SOME_ERROR')
    expect(env.data).toEqual({})
  })

  it('3: every envelope gets a new correlation id', () => {
    expect(makeEnvelope('a', true, {}).correlation_id).not.toBe(makeEnvelope('a', true, {}).correlation_id)
  })

  it('17: structured failure data keeps its keys and gains message', () => {
    const env = makeFailure('x', 'WP_ALREADY_CLAIMED', 'taken', { claimed_by: 'a', requesting_actor: 'b' })
    expect(env.success).toBe(false)
    expect(env.error_code).toBe('WP_ALREADY_CLAIMED')
    expect(env.data).toEqual({ claimed_by: 'a', requesting_actor: 'b', message: 'taken' })
  })

  it('18: without data, data is exactly {message}', () => {
    expect(makeFailure('x', 'MISSION_NOT_FOUND', 'nope').data).toEqual({ message: 'nope' })
  })

  it('19: an explicit message replaces one already in the data; other keys stay', () => {
    const env = makeFailure('x', 'PREFLIGHT_FAILED', 'Merge failed', { message: 'old', candidates: ['a', 'b'] })
    expect(Object.keys(env.data).sort()).toEqual(['candidates', 'message'])
    expect(env.data).toEqual({ message: 'Merge failed', candidates: ['a', 'b'] })
  })

  it('timestamps follow Python isoformat: microseconds unless zero, +00:00 suffix', () => {
    expect(isoTimestamp(new Date('2026-02-23T18:03:22.152Z'))).toBe('2026-02-23T18:03:22.152000+00:00')
    expect(isoTimestamp(new Date('2026-02-23T18:03:22.000Z'))).toBe('2026-02-23T18:03:22+00:00')
    // Milliseconds under 100 are zero-padded to six digits, as Python prints microseconds.
    expect(isoTimestamp(new Date('2026-02-23T18:03:22.005Z'))).toBe('2026-02-23T18:03:22.005000+00:00')
    expect(isoTimestamp(new Date('2026-02-23T18:03:22.047Z'))).toBe('2026-02-23T18:03:22.047000+00:00')
    expect(zuluSeconds(new Date('2026-02-23T18:03:22.152Z'))).toBe('2026-02-23T18:03:22Z')
  })

  it('a dotted command name is used as given', () => {
    expect(makeEnvelope('agent.tasks.mark-status', true, {}).command).toBe('agent.tasks.mark-status')
  })
})
