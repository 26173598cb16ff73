import { deflateSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import pako from '../../../src/store/objects/pako-native.ts'

/** The streaming inflate isomorphic-git's pack indexing drives: it must say where each object's stream ends. */
describe('native streaming inflate (pako shape)', () => {
  const first = Buffer.from('first object '.repeat(40))
  const second = Buffer.from('second')
  const pack = Buffer.concat([deflateSync(first), deflateSync(second)])
  const firstLength = deflateSync(first).length

  it('one chunk holding this object and the next: the result, and how much input is left over', () => {
    const inflator = new pako.Inflate()
    inflator.push(pack, false)
    expect(Buffer.from(inflator.result!)).toEqual(first)
    expect(inflator.strm.avail_in).toBe(pack.length - firstLength)
    expect(inflator.err).toBe(0)
  })

  it('a stream split over chunks: no result until it ends, then what is left of the last chunk', () => {
    const inflator = new pako.Inflate()
    inflator.push(pack.subarray(0, 10), false)
    expect(inflator.result).toBeUndefined()
    inflator.push(pack.subarray(10, firstLength + 3), false)
    expect(Buffer.from(inflator.result!)).toEqual(first)
    expect(inflator.strm.avail_in).toBe(3)
  })

  it('corrupt input sets err and msg, as pako does', () => {
    const inflator = new pako.Inflate()
    inflator.push(Buffer.from('not zlib at all'), false)
    expect(inflator.err).not.toBe(0)
    expect(inflator.msg).toMatch(/header/)
    expect(inflator.result).toBeUndefined()
  })
})
