import { diffArrays } from 'diff'

/**
 * Three-way line merge (diff3), the content half of merge-mission's tree merge. Pure, so it can be
 * checked against `git merge-file`; isomorphic-git's own merge is not used because it decodes every
 * blob as UTF-8 (corrupting binaries), walks whole trees, and throws on add/add without paths.
 */

export type TextMerge = { clean: true; text: string } | { clean: false; conflicts: number }

/** A change one side made: base lines [baseStart, baseEnd) became side lines [sideStart, sideEnd). */
interface Hunk {
  side: 0 | 1
  baseStart: number
  baseEnd: number
  sideStart: number
  sideEnd: number
}

/** Lines with their terminators, so CRLF and a missing final newline survive the merge exactly. */
export function splitLines(text: string): string[] {
  // A run without a newline can only be the last line, so no `$` is needed after it.
  return text.match(/[^\n]*\n|[^\n]+/g) ?? []
}

/** A diff that would take longer than this is given up, and the file reported as a conflict. */
const DIFF_TIMEOUT_MS = 5_000

function hunksOf(base: string[], side: string[], which: 0 | 1): Hunk[] | null {
  const parts = diffArrays(base, side, { timeout: DIFF_TIMEOUT_MS })
  if (!parts) return null
  const hunks: Hunk[] = []
  let b = 0
  let s = 0
  let open: Hunk | null = null
  for (const part of parts) {
    if (!part.added && !part.removed) {
      if (open) hunks.push(open)
      open = null
      b += part.count
      s += part.count
      continue
    }
    open ??= { side: which, baseStart: b, baseEnd: b, sideStart: s, sideEnd: s }
    if (part.removed) b += part.count
    else s += part.count
    open.baseEnd = b
    open.sideEnd = s
  }
  if (open) hunks.push(open)
  return hunks
}

/** What one side holds over the base region [start, end), given its hunks inside that region. */
function sideSlice(side: string[], base: string[], hunks: Hunk[], start: number, end: number): string[] {
  if (hunks.length === 0) return base.slice(start, end)
  const first = hunks[0]!
  const last = hunks.at(-1)!
  // Outside its hunks a side matches the base line for line, so the region's edges map across.
  return side.slice(first.sideStart - (first.baseStart - start), last.sideEnd + (end - last.baseEnd))
}

const sameLines = (a: string[], b: string[]): boolean => a.length === b.length && a.every((line, i) => line === b[i])

/**
 * Merge `ours` and `theirs`, both derived from `base`. Changes that overlap or touch (no unchanged
 * line between them) conflict unless both sides made the same change, as in git.
 */
export function mergeText(base: string, ours: string, theirs: string): TextMerge {
  if (ours === theirs || theirs === base) return { clean: true, text: ours }
  if (ours === base) return { clean: true, text: theirs }
  const lines = [splitLines(base), splitLines(ours), splitLines(theirs)] as const
  const [b, o, t] = lines
  const mine = hunksOf(b, o, 0)
  const yours = hunksOf(b, t, 1)
  if (!mine || !yours) return { clean: false, conflicts: 1 }
  const hunks = [...mine, ...yours].sort((x, y) => x.baseStart - y.baseStart || x.side - y.side)
  const out: string[] = []
  let conflicts = 0
  let pos = 0
  for (let i = 0; i < hunks.length; ) {
    const start = hunks[i]!.baseStart
    let end = hunks[i]!.baseEnd
    const group: Hunk[] = [hunks[i++]!]
    while (i < hunks.length && hunks[i]!.baseStart <= end) {
      end = Math.max(end, hunks[i]!.baseEnd)
      group.push(hunks[i++]!)
    }
    out.push(...b.slice(pos, start))
    const ourLines = sideSlice(
      o,
      b,
      group.filter((h) => h.side === 0),
      start,
      end,
    )
    const theirLines = sideSlice(
      t,
      b,
      group.filter((h) => h.side === 1),
      start,
      end,
    )
    const oursChanged = group.some((h) => h.side === 0)
    const theirsChanged = group.some((h) => h.side === 1)
    if (!theirsChanged || sameLines(ourLines, theirLines)) out.push(...ourLines)
    else if (!oursChanged) out.push(...theirLines)
    else conflicts++
    pos = end
  }
  if (conflicts > 0) return { clean: false, conflicts }
  out.push(...b.slice(pos))
  return { clean: true, text: out.join('') }
}
