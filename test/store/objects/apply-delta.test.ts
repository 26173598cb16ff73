import { describe, expect, it } from 'vitest'
import { applyDelta, deltaSizes } from '../../../src/store/objects/apply-delta.ts'

const base = Buffer.from('hello, delta world')

/** base size 18, result size 12: copy 5 bytes at 0 ("hello"), insert "!!", copy 5 bytes at 13 ("world"). */
const delta = Buffer.from([18, 12, 0x90, 5, 2, 0x21, 0x21, 0x91, 13, 5])

describe('apply delta', () => {
  it('reads the two header sizes and applies copy and insert instructions', () => {
    expect(deltaSizes(delta)).toEqual({ baseSize: 18, resultSize: 12 })
    expect(applyDelta(base, delta).toString()).toBe('hello!!world')
  })

  it('reads multi-byte size varints', () => {
    const big = Buffer.alloc(300, 0x61)
    // 300 = 0b10_0101100: low seven bits 0x2c with the continuation bit, then 2. Copy all 300 bytes.
    const whole = Buffer.from([0xac, 0x02, 0xac, 0x02, 0xb0, 0x2c, 0x01])
    expect(deltaSizes(whole)).toEqual({ baseSize: 300, resultSize: 300 })
    expect(applyDelta(big, whole).equals(big)).toBe(true)
  })

  it('reads a copy with no size bytes as 64 KiB, as git does', () => {
    const big = Buffer.from(Array.from({ length: 0x10000 }, (_, i) => i % 251))
    // 65536 as a varint is 0x80 0x80 0x04; opcode 0x80 alone: offset 0, size 0 → 0x10000.
    const whole = Buffer.from([0x80, 0x80, 0x04, 0x80, 0x80, 0x04, 0x80])
    expect(applyDelta(big, whole).equals(big)).toBe(true)
  })

  it.each([
    ['a base of another size', Buffer.from('short'), delta, /base size mismatch/],
    ['opcode 0', base, Buffer.from([18, 1, 0x00]), /opcode 0/],
    ['a header cut short', base, Buffer.from([0x80]), /truncated delta header/],
    ['instructions that produce fewer bytes than declared', base, Buffer.from([18, 6, 0x90, 5]), /result size/],
  ])('refuses %s', (_name, from, instructions, message) => {
    expect(() => applyDelta(from, instructions)).toThrow(message)
  })
})
