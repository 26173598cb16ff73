import { describe, expect, it } from 'vitest'
import { BANNED_FLAGS, parsePolicy } from '../../src/core/policy.ts'

const P = {
  orchestrator_id: 'test-orch',
  orchestrator_version: '0.1.0',
  agent_family: 'claude',
  approval_mode: 'supervised',
  sandbox_mode: 'sandbox',
  network_mode: 'restricted',
  dangerous_flags: [] as unknown[],
}
const with_ = (patch: Record<string, unknown>) => JSON.stringify({ ...P, ...patch })
const errorOf = (raw: string): string => {
  try {
    parsePolicy(raw)
  } catch (err) {
    return (err as Error).message
  }
  throw new Error('policy was accepted')
}

describe('policy validation (reference §4, behaviours 4–16, HEAD column)', () => {
  it('4: a valid policy with tool_restrictions parses all eight fields', () => {
    expect(parsePolicy(with_({ tool_restrictions: 'read_only' }))).toEqual({ ...P, tool_restrictions: 'read_only' })
  })
  it('5: a missing required field is named', () => {
    const { orchestrator_id: _, ...rest } = P
    expect(errorOf(JSON.stringify(rest))).toContain("missing required field: 'orchestrator_id'")
  })
  it('5b: required fields are checked in upstream order', () => {
    expect(errorOf(JSON.stringify({}))).toContain("'orchestrator_id'")
    expect(errorOf(JSON.stringify({ ...P, network_mode: undefined }))).toContain("'network_mode'")
  })
  it('6: a secret-looking value is refused, naming the field and never the value', () => {
    const msg = errorOf(with_({ orchestrator_id: 'my_token_here_xyz' }))
    expect(msg).toContain("field 'orchestrator_id' appears to contain a secret")
    expect(msg).not.toContain('my_token_here_xyz')
  })
  it('7: dangerous_flags must be an array', () => {
    expect(errorOf(with_({ dangerous_flags: '--full-auto' }))).toContain('must be a JSON array')
  })
  it('8: unparseable JSON', () => {
    expect(errorOf('not-json{{')).toContain('not valid JSON')
  })
  it('8b: the JSON error never echoes the input', () => {
    expect(errorOf('{"orchestrator_id": "password123"')).not.toContain('password123')
  })
  it('9: a non-object', () => {
    expect(errorOf('[1, 2, 3]')).toContain('must be a JSON object')
  })
  it('10: round trip keeps scalars and flags; tool_restrictions defaults to null', () => {
    const policy = parsePolicy(JSON.stringify(P))
    expect(policy).toMatchObject(P)
    expect(policy.tool_restrictions).toBeNull()
  })
  it('11: scalar fields must be strings (checked before the secret scan)', () => {
    expect(errorOf(with_({ orchestrator_id: ['API_KEY=abc123'] }))).toContain('orchestrator_id must be a string')
  })
  it('12: secrets inside dangerous_flags are found by path', () => {
    const msg = errorOf(with_({ dangerous_flags: ['AWS_SECRET_ACCESS_KEY=abc123'] }))
    expect(msg).toContain('appears to contain a secret')
    expect(msg).toContain('dangerous_flags[0]')
    expect(msg).not.toContain('abc123')
    expect(msg).not.toContain('AWS_SECRET_ACCESS_KEY')
  })
  it('13: flag entries must be strings', () => {
    expect(errorOf(with_({ dangerous_flags: [{ name: '--full-auto' }] }))).toContain('entries must be strings')
  })
  it('14: an allowed flag is kept', () => {
    expect(parsePolicy(with_({ dangerous_flags: ['--some-allowed-flag'] })).dangerous_flags).toEqual(['--some-allowed-flag'])
  })
  it.each(BANNED_FLAGS)('15: banned flag %s', (flag) => {
    expect(errorOf(with_({ dangerous_flags: [flag] }))).toContain('banned flag')
  })
  it('16: tool_restrictions must be a string or null', () => {
    expect(errorOf(with_({ tool_restrictions: ['API_KEY=abc123'] }))).toContain('tool_restrictions must be a string or null')
  })
  it('the secret scan is recursive into unknown keys and nested objects; keys are not scanned', () => {
    expect(errorOf(with_({ extra: { nested: ['ok', { deep: 'my-password' }] } }))).toContain("'extra.nested[1].deep'")
    expect(parsePolicy(with_({ token_count: 'five' })).orchestrator_id).toBe('test-orch')
  })
  it('unknown keys are dropped from what is recorded', () => {
    expect(Object.keys(parsePolicy(with_({ extra: 'x' })))).not.toContain('extra')
  })
})
