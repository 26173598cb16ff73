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

/**
 * Token-shaped values (built at run time, so no scanner mistakes this file for a leak). None contains
 * upstream's words, so the word scan alone let every one of them through into the Kitty-Policy trailer.
 */
const b62 = (n: number) => 'A1b2C3d4E5f6G7h8J9k0'.repeat(4).slice(0, n)
const TOKENS: Array<[string, string]> = [
  ['GitHub personal token', `ghp_${b62(36)}`],
  ['GitHub OAuth token', `gho_${b62(36)}`],
  ['GitHub user-to-server token', `ghu_${b62(36)}`],
  ['GitHub App installation token', `ghs_${b62(36)}`],
  ['GitHub refresh token', `ghr_${b62(36)}`],
  ['GitHub fine-grained token', `github_pat_${b62(22)}_${b62(40)}`],
  ['sk- API key', `sk-proj-${b62(40)}`],
  ['AWS access key id', `AKIA${'ABCDEFGH23456789'}`],
  ['Slack bot token', `xoxb-1234567890-${b62(24)}`],
  ['Slack user token', `xoxp-1234567890-${b62(24)}`],
  ['Slack app token', `xoxa-2-${b62(24)}`],
  ['PEM private key', `-----BEGIN ${'OPENSSH'} PRIVATE ${'KEY'}-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----`],
  ['JWT', `eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJvcmNoIn0.${b62(43)}`],
]

describe('policy: token-shaped secrets', () => {
  it.each(TOKENS)('a %s is refused wherever it sits, naming the field, never the value', (_name, token) => {
    const places: Array<[Record<string, unknown>, string]> = [
      [{ orchestrator_id: token }, 'orchestrator_id'],
      [{ tool_restrictions: `allow: ${token}` }, 'tool_restrictions'],
      [{ dangerous_flags: ['--ok', `--auth=${token}`] }, 'dangerous_flags[1]'],
      [{ notes: { deep: [`use ${token} here`] } }, 'notes.deep[0]'],
    ]
    for (const [patch, path] of places) {
      let caught: unknown
      try {
        parsePolicy(with_(patch))
      } catch (err) {
        caught = err
      }
      expect(caught, path).toMatchObject({ code: 'POLICY_VALIDATION_FAILED' })
      const msg = (caught as Error).message
      expect(msg).toContain(`field '${path}' appears to contain a secret`)
      expect(msg).not.toContain(token.slice(4, 20))
    }
  })
  it('a token used as a key is refused too, and the key is not echoed', () => {
    const token = `ghp_${b62(36)}`
    for (const patch of [{ notes: { [token]: 'x' } }, { [token]: 'x' }]) {
      const msg = errorOf(with_(patch))
      expect(msg).toContain('Do not pass secrets via --policy')
      expect(msg).not.toContain(b62(20))
    }
  })
  it("upstream's words still count; ordinary values pass", () => {
    expect(errorOf(with_({ approval_mode: 'my-credential' }))).toContain('matched pattern: token|secret|key|password|credential')
    for (const value of ['risk-assessment-for-the-whole-team', 'sk-short', 'ghp_short', 'AKIA-not-an-id', 'eyJhbGciOi only one part', 'task-scheduler-v2-supervised']) {
      expect(parsePolicy(with_({ approval_mode: value })).approval_mode).toBe(value)
    }
  })
})
