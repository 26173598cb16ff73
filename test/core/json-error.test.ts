import { describe, expect, it } from 'vitest'
import { describeJsonError } from '../../src/core/json-error.ts'

const errorOf = (text: string) => {
  try {
    JSON.parse(text)
  } catch (err) {
    return err
  }
  throw new Error('parsed')
}

describe('describeJsonError keeps only where JSON.parse failed, never the input', () => {
  it('a position, with line and column when V8 gives them', () => {
    expect(
      describeJsonError(
        new SyntaxError('Unexpected token \'x\', "secret x" is not valid JSON at position 12 (line 3 column 4)'),
      ),
    ).toBe('unexpected input at position 12 (line 3 column 4)')
    expect(describeJsonError(new SyntaxError('Unexpected token } in JSON at position 105'))).toBe(
      'unexpected input at position 105',
    )
    const real = describeJsonError(errorOf('{"token": "zzsecret", x}'))
    expect(real).toMatch(/^unexpected input at position \d+/)
    expect(real).not.toContain('zzsecret')
    // Multi-digit line and column numbers are kept whole (V8's own message, eleven lines down).
    expect(describeJsonError(errorOf(`${'\n'.repeat(11)}           {"zzsecret" 1}`))).toBe(
      'unexpected input at position 34 (line 12 column 24)',
    )
  })
  it('the end of the input, or nothing usable', () => {
    expect(describeJsonError(errorOf('{"a": '))).toBe('unexpected end of input')
    expect(describeJsonError(new SyntaxError('Unexpected end of input'))).toBe('unexpected end of input')
    expect(describeJsonError('something else with a secret')).toBe('unparseable input')
    expect(describeJsonError(new Error('Bad control character "zzsecret"'))).toBe('unparseable input')
  })
})
