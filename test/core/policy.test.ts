import { describe, expect, it } from 'vitest'
import {
  BANNED_FLAGS,
  EXAMPLE_POLICY_JSON,
  MAX_POLICY_DEPTH,
  parsePolicy,
  policyTrailer,
} from '../../src/core/policy.ts'

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

describe('policy validation (upstream behaviours 4–16, as at HEAD)', () => {
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
    expect(parsePolicy(with_({ dangerous_flags: ['--some-allowed-flag'] })).dangerous_flags).toEqual([
      '--some-allowed-flag',
    ])
  })
  it.each(BANNED_FLAGS)('15: banned flag %s', (flag) => {
    expect(errorOf(with_({ dangerous_flags: [flag] }))).toContain('banned flag')
  })
  it('16: tool_restrictions must be a string or null', () => {
    expect(errorOf(with_({ tool_restrictions: ['API_KEY=abc123'] }))).toContain(
      'tool_restrictions must be a string or null',
    )
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
  [
    'PEM private key',
    `-----BEGIN ${'OPENSSH'} PRIVATE ${'KEY'}-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----`,
  ],
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
    expect(errorOf(with_({ approval_mode: 'my-credential' }))).toContain(
      'matched pattern: token|secret|key|password|credential',
    )
    for (const value of [
      'risk-assessment-for-the-whole-team',
      'sk-short',
      'ghp_short',
      'AKIA-not-an-id',
      'eyJhbGciOi only one part',
      'task-scheduler-v2-supervised',
    ]) {
      expect(parsePolicy(with_({ approval_mode: value })).approval_mode).toBe(value)
    }
  })
})

describe('parsePolicy: the exact refusals', () => {
  const example = `. A complete policy: ${EXAMPLE_POLICY_JSON}`
  it('JSON that is not an object', () => {
    for (const raw of ['null', '5', '"supervised"', 'true', '[]']) {
      expect(errorOf(raw), raw).toBe('--policy must be a JSON object')
    }
  })
  it('one problem is named alone, with a complete policy to copy', () => {
    const { dangerous_flags: _, ...rest } = P
    expect(errorOf(JSON.stringify(rest))).toBe(`--policy missing required field: 'dangerous_flags'${example}`)
    expect(EXAMPLE_POLICY_JSON).toBe(
      '{"orchestrator_id":"my-orchestrator","orchestrator_version":"0.1.0","agent_family":"claude","approval_mode":"supervised","sandbox_mode":"sandbox","network_mode":"restricted","dangerous_flags":[]}',
    )
  })
  it('every missing field is named: the first in upstream words, the rest after it', () => {
    expect(errorOf('{}')).toBe(
      "--policy missing required field: 'orchestrator_id'; also missing 'orchestrator_version', 'agent_family', 'approval_mode', 'sandbox_mode', 'network_mode', 'dangerous_flags'" +
        example,
    )
    const { sandbox_mode: _s, network_mode: _n, ...rest } = P
    expect(errorOf(JSON.stringify(rest))).toBe(
      `--policy missing required field: 'sandbox_mode'; also missing 'network_mode'${example}`,
    )
  })
  it('missing and mistyped fields are reported together, in check order', () => {
    const { agent_family: _, ...rest } = P
    expect(errorOf(JSON.stringify({ ...rest, approval_mode: 1, dangerous_flags: [1] }))).toBe(
      "--policy missing required field: 'agent_family'; also --policy.approval_mode must be a string; --policy.dangerous_flags entries must be strings" +
        example,
    )
    expect(errorOf(with_({ dangerous_flags: 'x' }))).toBe(`--policy.dangerous_flags must be a JSON array${example}`)
  })
  it('a banned flag is named, with why', () => {
    expect(errorOf(with_({ dangerous_flags: ['--ok', '--yolo'] }))).toBe(
      "--policy.dangerous_flags contains a banned flag: '--yolo'. Orchestrators must not run agents with approval or sandbox bypass flags.",
    )
  })
  it('tool_restrictions may be null or absent, and is recorded as null', () => {
    expect(parsePolicy(with_({ tool_restrictions: null })).tool_restrictions).toBeNull()
    expect(errorOf(with_({ tool_restrictions: 5 }))).toBe('--policy.tool_restrictions must be a string or null')
  })
  it('a token used as a key names the path with <key> and the rule, never the key', () => {
    const token = `ghp_${b62(36)}`
    expect(errorOf(with_({ notes: { ok: { [token]: 'x' } } }))).toBe(
      "--policy field 'notes.ok.<key>' appears to contain a secret (matched pattern: GitHub token). Do not pass secrets via --policy.",
    )
    expect(errorOf(with_({ notes: [{ [token]: 'x' }] }))).toBe(
      "--policy field 'notes[0].<key>' appears to contain a secret (matched pattern: GitHub token). Do not pass secrets via --policy.",
    )
    expect(errorOf(with_({ [token]: 'x' }))).toBe(
      '--policy has a key shaped like a credential. Do not pass secrets via --policy.',
    )
  })
})

describe('parsePolicy: the secret scan over any JSON', () => {
  const nestArrays = (n: number, inner: unknown): unknown => (n === 0 ? inner : [nestArrays(n - 1, inner)])
  const nestObjects = (n: number, inner: unknown): unknown => (n === 0 ? inner : { a: nestObjects(n - 1, inner) })
  it('null, numbers and booleans anywhere are no secret', () => {
    expect(
      parsePolicy(with_({ extra: null, more: [null, 1, true, { n: null, x: 2.5, f: false }] })).orchestrator_id,
    ).toBe('test-orch')
  })
  it(`${MAX_POLICY_DEPTH} levels of arrays or objects are scanned; one more is refused, naming where`, () => {
    expect(MAX_POLICY_DEPTH).toBe(32)
    expect(parsePolicy(with_({ extra: nestArrays(32, 1) })).orchestrator_id).toBe('test-orch')
    expect(parsePolicy(with_({ extra: nestArrays(32, null) })).orchestrator_id).toBe('test-orch')
    expect(parsePolicy(with_({ extra: nestObjects(32, 'fine') })).orchestrator_id).toBe('test-orch')
    expect(errorOf(with_({ extra: nestArrays(32, 'my-password') }))).toBe(
      `--policy field 'extra${'[0]'.repeat(32)}' appears to contain a secret (matched pattern: token|secret|key|password|credential). Do not pass secrets via --policy.`,
    )
    expect(errorOf(with_({ extra: nestArrays(33, 1) }))).toBe(
      `--policy field 'extra${'[0]'.repeat(32)}' is nested deeper than 32 levels`,
    )
    expect(errorOf(with_({ extra: nestObjects(33, 'fine') }))).toBe(
      `--policy field 'extra${'.a'.repeat(32)}' is nested deeper than 32 levels`,
    )
  })
  it('hostile nesting is refused, not a stack overflow', () => {
    const raw = `${JSON.stringify(P).slice(0, -1)},"extra":${'['.repeat(100_000)}${']'.repeat(100_000)}}`
    expect(errorOf(raw)).toMatch(/^--policy field 'extra(\[0\]){32}' is nested deeper than 32 levels$/)
  })
})

describe('policyTrailer', () => {
  it('compact JSON of the eight fields, in recorded order', () => {
    const policy = parsePolicy(with_({ tool_restrictions: 'read_only', extra: 'dropped' }))
    expect(policyTrailer(policy)).toBe(
      '{"orchestrator_id":"test-orch","orchestrator_version":"0.1.0","agent_family":"claude","approval_mode":"supervised","sandbox_mode":"sandbox","network_mode":"restricted","dangerous_flags":[],"tool_restrictions":"read_only"}',
    )
  })
})
