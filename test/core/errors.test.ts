import { describe, expect, it } from 'vitest'
import {
  ERROR_CODES,
  EventLogInvalidError,
  FORBIDDEN_ERROR_CODES,
  isKittyError,
  KittyError,
  MetaInvalidError,
  PermissionDeniedError,
  PolicyValidationError,
  StateConflictError,
  TransitionRejectedError,
  toKittyError,
  UsageError,
  WpFileInvalidError,
} from '../../src/core/errors.ts'

describe('error types: each a stable code, a name, and its data', () => {
  it.each([
    [
      'UsageError with data',
      () => new UsageError('bad flag', { flag: '--x' }),
      'USAGE_ERROR',
      'UsageError',
      'bad flag',
      { flag: '--x' },
    ],
    ['UsageError without data', () => new UsageError('bad flag'), 'USAGE_ERROR', 'UsageError', 'bad flag', {}],
    [
      'PolicyValidationError',
      () => new PolicyValidationError('no policy'),
      'POLICY_VALIDATION_FAILED',
      'PolicyValidationError',
      'no policy',
      {},
    ],
    [
      'TransitionRejectedError with data',
      () => new TransitionRejectedError('no', { lane: 'done' }),
      'TRANSITION_REJECTED',
      'TransitionRejectedError',
      'no',
      { lane: 'done' },
    ],
    [
      'TransitionRejectedError without data',
      () => new TransitionRejectedError('no'),
      'TRANSITION_REJECTED',
      'TransitionRejectedError',
      'no',
      {},
    ],
    [
      'PermissionDeniedError with data',
      () => new PermissionDeniedError('read only', { login: 'x' }),
      'PERMISSION_DENIED',
      'PermissionDeniedError',
      'read only',
      { login: 'x' },
    ],
    [
      'PermissionDeniedError without data',
      () => new PermissionDeniedError('read only'),
      'PERMISSION_DENIED',
      'PermissionDeniedError',
      'read only',
      {},
    ],
    ['KittyError', () => new KittyError('MERGE_FAILED', 'm'), 'MERGE_FAILED', 'KittyError', 'm', {}],
  ])('%s', (_label, make, code, name, message, data) => {
    const err = make()
    expect(err).toBeInstanceOf(Error)
    expect(isKittyError(err)).toBe(true)
    expect(err.code).toBe(code)
    expect(err.name).toBe(name)
    expect(err.message).toBe(message)
    expect(err.data).toEqual(data)
  })

  it('a WP file error names the path, and the line when there is one', () => {
    const withLine = new WpFileInvalidError('tasks/WP01.md', 'bad YAML', 3)
    expect([withLine.code, withLine.name, withLine.message]).toEqual([
      'WP_FILE_INVALID',
      'WpFileInvalidError',
      'Work package file tasks/WP01.md:3 is invalid: bad YAML',
    ])
    expect(withLine.data).toEqual({ path: 'tasks/WP01.md', line: 3, reason: 'bad YAML' })
    const without = new WpFileInvalidError('tasks/WP01.md', 'no frontmatter')
    expect(without.message).toBe('Work package file tasks/WP01.md is invalid: no frontmatter')
    expect(without.data).toEqual({ path: 'tasks/WP01.md', reason: 'no frontmatter' })
    expect('line' in without.data).toBe(false)
  })

  it('meta, event log and state conflict errors carry what the client needs', () => {
    const meta = new MetaInvalidError('m/meta.json', 'not JSON')
    expect([meta.code, meta.name, meta.message, meta.data]).toEqual([
      'MISSION_META_INVALID',
      'MetaInvalidError',
      'Mission metadata m/meta.json is invalid: not JSON',
      { path: 'm/meta.json', reason: 'not JSON' },
    ])
    const log = new EventLogInvalidError('m/status.events.jsonl', 7, 'not JSON')
    expect([log.code, log.name, log.data]).toEqual([
      'EVENT_LOG_INVALID',
      'EventLogInvalidError',
      { path: 'm/status.events.jsonl', line: 7, reason: 'not JSON' },
    ])
    expect(log.message).toBe(
      'Event log m/status.events.jsonl is invalid on line 7: not JSON. Fix or remove that line (git log -p -- m/status.events.jsonl shows who wrote it); nothing was changed.',
    )
    const conflict = new StateConflictError('refs/heads/main', 5)
    expect([conflict.code, conflict.name, conflict.data]).toEqual([
      'STATE_CONFLICT',
      'StateConflictError',
      { ref: 'refs/heads/main', attempts: 5 },
    ])
    expect(conflict.message).toBe(
      'The state branch refs/heads/main kept moving while this command ran; gave up after 5 attempt(s). Re-run the command.',
    )
  })

  it('only KittyErrors are kitty errors; the code list has no duplicates and none of the forbidden codes', () => {
    expect(isKittyError(new Error('x'))).toBe(false)
    expect(isKittyError({ code: 'USAGE_ERROR', message: 'x' })).toBe(false)
    expect(isKittyError(null)).toBe(false)
    expect(new Set(ERROR_CODES).size).toBe(ERROR_CODES.length)
    for (const code of FORBIDDEN_ERROR_CODES) expect(ERROR_CODES as readonly string[]).not.toContain(code)
    expect(FORBIDDEN_ERROR_CODES).toEqual(['FEATURE_NOT_FOUND', 'FEATURE_NOT_READY'])
    expect(ERROR_CODES).toContain('INTERNAL_ERROR')
  })
})

describe('toKittyError: any thrown value as one KittyError', () => {
  it('returns a KittyError unchanged, keeping its code, data and identity', () => {
    const err = new StateConflictError('refs/heads/kitty/state', 3)
    expect(toKittyError(err)).toBe(err)
  })

  it('turns a plain Error into INTERNAL_ERROR naming only the first line of its message', () => {
    const known = toKittyError(new Error('disk full\n    at secret/path.ts:12'))
    expect(known).toBeInstanceOf(KittyError)
    expect(known.code).toBe('INTERNAL_ERROR')
    expect(known.message).toBe('Internal error: disk full')
    expect(known.data).toEqual({})
  })

  it.each([
    ['a string', 'boom', 'Internal error: boom'],
    ['undefined', undefined, 'Internal error: undefined'],
    ['an object', { code: 'USAGE_ERROR' }, 'Internal error: [object Object]'],
  ])('turns %s into INTERNAL_ERROR, never trusting a look-alike code', (_, thrown, message) => {
    const known = toKittyError(thrown)
    expect(known.code).toBe('INTERNAL_ERROR')
    expect(known.message).toBe(message)
  })
})
