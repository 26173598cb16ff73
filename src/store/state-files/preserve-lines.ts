import { diffArrays } from 'diff'

/**
 * Carry an edit made on a normalised rendering back onto the original text, line by line.
 *
 * `base` is the serializer's rendering of the untouched original and `edited` its rendering after our
 * edit. The serializer may normalise lines we never meant to touch (spacing, quoting); diffing
 * original↔base tells us which original lines it would have rewritten, diffing base↔edited tells us
 * which lines our edit changed. Original lines survive byte for byte unless the edit itself lands in
 * them, so a lane change stays a one-line diff whatever the file looked like.
 */
export function preserveUntouchedLines(original: string[], base: string[], edited: string[]): string[] {
  const kept = new Array<boolean>(base.length).fill(true)
  const inserts: string[][] = Array.from({ length: base.length + 1 }, () => [])
  let b = 0
  for (const part of diffArrays(base, edited)) {
    if (part.added) inserts[b]!.push(...part.value)
    else if (part.removed) {
      for (let i = 0; i < part.count; i++) kept[b + i] = false
      b += part.count
    } else b += part.count
  }

  const out: string[] = [...inserts[0]!]
  let o = 0
  b = 0
  // Group original-only and base-only runs into blocks the serializer rewrote as a unit.
  let blockOriginal: string[] = []
  let blockBase: number[] = []
  const flushBlock = (): void => {
    // Equal-sized blocks are usually lines the serializer normalised one by one: pair them up.
    if (blockOriginal.length === blockBase.length && blockBase.length > 1) {
      const pairs = blockBase.map((i, k) => [blockOriginal[k]!, i] as const)
      blockOriginal = []
      blockBase = []
      for (const [line, i] of pairs) {
        blockOriginal = [line]
        blockBase = [i]
        flushBlock()
      }
      return
    }
    const touched = blockBase.some((i) => !kept[i]) || blockBase.slice(0, -1).some((i) => inserts[i + 1]!.length > 0)
    if (touched) {
      for (const i of blockBase) {
        if (kept[i]) out.push(base[i]!)
        out.push(...inserts[i + 1]!)
      }
    } else {
      out.push(...blockOriginal)
      const last = blockBase.at(-1)
      if (last !== undefined) out.push(...inserts[last + 1]!)
    }
    blockOriginal = []
    blockBase = []
  }
  for (const part of diffArrays(original, base)) {
    if (part.removed) {
      blockOriginal.push(...part.value)
      o += part.count
    } else if (part.added) {
      for (let i = 0; i < part.count; i++) blockBase.push(b + i)
      b += part.count
    } else {
      flushBlock()
      for (let i = 0; i < part.count; i++) {
        if (kept[b]) out.push(original[o]!)
        out.push(...inserts[b + 1]!)
        o++
        b++
      }
    }
  }
  flushBlock()
  return out
}
