/**
 * Git's delta format (pack entries of type OFS_DELTA and REF_DELTA): two size varints, then copy
 * instructions (from the base) and insert instructions (literal bytes).
 */

/** A git delta's two header varints (base size, result size) and where its instructions start. */
function deltaHeader(delta: Buffer): { baseSize: number; resultSize: number; start: number } {
  let i = 0
  const varint = (): number => {
    let value = 0
    let shift = 0
    let byte: number
    do {
      if (i >= delta.length) throw new Error('truncated delta header')
      byte = delta[i++]!
      value += (byte & 0x7f) * 2 ** shift
      shift += 7
    } while (byte & 0x80)
    return value
  }
  const baseSize = varint()
  const resultSize = varint()
  return { baseSize, resultSize, start: i }
}

/** A git delta's two header varints: the base size it expects and the size of what it produces. */
export function deltaSizes(delta: Buffer): { baseSize: number; resultSize: number } {
  const { baseSize, resultSize } = deltaHeader(delta)
  return { baseSize, resultSize }
}

/** Apply a git delta (copy/insert instructions) to its base. */
export function applyDelta(base: Buffer, delta: Buffer): Buffer {
  const header = deltaHeader(delta)
  if (header.baseSize !== base.length) throw new Error('delta base size mismatch')
  const out = Buffer.allocUnsafe(header.resultSize)
  let i = header.start
  let o = 0
  while (i < delta.length) {
    const op = delta[i++]!
    if (op & 0x80) {
      let offset = 0
      let size = 0
      for (let b = 0; b < 4; b++) if (op & (1 << b)) offset += delta[i++]! * 2 ** (8 * b)
      for (let b = 0; b < 3; b++) if (op & (0x10 << b)) size += delta[i++]! * 2 ** (8 * b)
      if (size === 0) size = 0x10000
      base.copy(out, o, offset, offset + size)
      o += size
    } else if (op > 0) {
      delta.copy(out, o, i, i + op)
      i += op
      o += op
    } else throw new Error('invalid delta opcode 0')
  }
  if (o !== out.length) throw new Error('delta result size mismatch')
  return out
}
