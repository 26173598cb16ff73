import { spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest'
import { mergeText, splitLines } from '../../src/core/merge-text.ts'
import { cleanupTempDirs, tempDir } from '../helpers/git-repo.ts'

afterAll(cleanupTempDirs)

/** `git merge-file -p`: the reference answer (exit status = number of conflicts). */
function gitMergeFile(base: string, ours: string, theirs: string): { clean: boolean; text: string } {
  const dir = tempDir('kitty-merge-file-')
  const [o, b, t] = ['ours', 'base', 'theirs'].map((n) => join(dir, n)) as [string, string, string]
  writeFileSync(o, ours)
  writeFileSync(b, base)
  writeFileSync(t, theirs)
  const run = spawnSync('git', ['merge-file', '-p', o, b, t], { encoding: 'utf8' })
  return { clean: run.status === 0, text: run.stdout }
}

const lines = (...xs: string[]) => xs.map((x) => `${x}\n`).join('')
const BASE = lines('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j')

const CASES: Array<[string, string, string, string]> = [
  ['changes far apart', BASE, BASE.replace('b\n', 'B\n'), BASE.replace('i\n', 'I\n')],
  ['insertions in different places', BASE, BASE.replace('c\n', 'c\nc2\n'), BASE.replace('h\n', 'h\nh2\n')],
  ['the same change on both sides', BASE, BASE.replace('e\n', 'E\n'), BASE.replace('e\n', 'E\n')],
  [
    'the same change on both sides, and one side also changes elsewhere',
    BASE,
    BASE.replace('b\n', 'B\n').replace('i\n', 'I\n'),
    BASE.replace('b\n', 'B\n'),
  ],
  ['the same line changed differently', BASE, BASE.replace('e\n', 'E1\n'), BASE.replace('e\n', 'E2\n')],
  ['adjacent lines changed', BASE, BASE.replace('d\n', 'D\n'), BASE.replace('e\n', 'E\n')],
  ['a deletion and a far edit', BASE, BASE.replace('b\nc\n', ''), BASE.replace('j\n', 'J\n')],
  ['an append on one side', BASE, `${BASE}k\n`, BASE.replace('a\n', 'A\n')],
  ['both append differently', BASE, `${BASE}k\n`, `${BASE}l\n`],
  ['only one side changed', BASE, BASE, BASE.replace('f\n', 'F\n')],
  [
    'CRLF lines',
    BASE.replaceAll('\n', '\r\n'),
    BASE.replaceAll('\n', '\r\n').replace('b\r\n', 'B\r\n'),
    BASE.replaceAll('\n', '\r\n').replace('i\r\n', 'I\r\n'),
  ],
  ['no final newline, edited far away', 'x\ny\nz', 'X\ny\nz', 'x\ny\nz!'],
  ['empty base, both add', '', 'one\n', 'two\n'],
]

describe('mergeText (diff3) agrees with git merge-file', () => {
  it.each(CASES)('%s', (_name, base, ours, theirs) => {
    const expected = gitMergeFile(base, ours, theirs)
    const actual = mergeText(base, ours, theirs)
    expect(actual.clean).toBe(expected.clean)
    if (actual.clean) expect(actual.text).toBe(expected.text)
  })

  it('keeps line terminators exactly', () => {
    expect(splitLines('a\r\nb\nc')).toEqual(['a\r\n', 'b\n', 'c'])
    expect(splitLines('')).toEqual([])
    expect(splitLines('first\nno final newline')).toEqual(['first\n', 'no final newline'])
  })

  it('agrees on 150 seeded random edit pairs (clean or not, and the merged text)', () => {
    let seed = 7
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648
      return seed % n
    }
    const mutate = (from: string[]): string[] => {
      const out = [...from]
      for (let k = 1 + rnd(3); k > 0; k--) {
        const at = Math.min(rnd(out.length + 1), out.length - 1)
        const op = rnd(3)
        if (op === 0) out.splice(at + 1, 0, `ins${rnd(100)}`)
        else if (op === 1) out.splice(at, 1)
        else out[at] = `chg${rnd(100)}`
      }
      return out
    }
    const text = (xs: string[]) => xs.map((x) => `${x}\n`).join('')
    for (let n = 0; n < 150; n++) {
      const base = Array.from({ length: 12 }, (_, i) => `line${i}`)
      const [b, o, t] = [text(base), text(mutate(base)), text(mutate(base))]
      const expected = gitMergeFile(b, o, t)
      const actual = mergeText(b, o, t)
      expect({ n, clean: actual.clean }).toEqual({ n, clean: expected.clean })
      if (actual.clean) expect(actual.text).toBe(expected.text)
    }
  })

  it('counts each conflicting region', () => {
    const r = mergeText(
      BASE,
      BASE.replace('b\n', 'B1\n').replace('i\n', 'I1\n'),
      BASE.replace('b\n', 'B2\n').replace('i\n', 'I2\n'),
    )
    expect(r).toEqual({ clean: false, conflicts: 2 })
  })
})

describe('mergeText: the same change made on both sides', () => {
  it('is taken once, next to a change only one side made', () => {
    expect(mergeText(BASE, BASE.replace('b\n', 'B\n').replace('i\n', 'I\n'), BASE.replace('b\n', 'B\n'))).toEqual({
      clean: true,
      text: BASE.replace('b\n', 'B\n').replace('i\n', 'I\n'),
    })
  })
  it('the same deletion on both sides is clean too', () => {
    expect(mergeText(BASE, BASE.replace('c\n', '').replace('h\n', 'H\n'), BASE.replace('c\n', ''))).toEqual({
      clean: true,
      text: BASE.replace('c\n', '').replace('h\n', 'H\n'),
    })
  })
})

describe('mergeText: a diff that runs past its time limit (5 s)', () => {
  // A slow machine, simulated: every look at the clock finds another 3 s gone. The diff reads the clock
  // once to set its deadline and once before each edit length it tries, so a pure insertion (edit
  // length 1) still finishes and a one-line replacement (edit length 2) is given up.
  const slowClock = () => {
    let now = 0
    vi.spyOn(Date, 'now').mockImplementation(() => (now += 3_000))
  }
  afterEach(() => {
    vi.restoreAllMocks()
  })
  const replaced = BASE.replace('e\n', 'E\n')
  const inserted = BASE.replace('h\n', 'h\nh2\n')

  it('is reported as one conflict, whichever side it was', () => {
    slowClock()
    expect(mergeText(BASE, replaced, BASE.replace('b\n', 'B\n'))).toEqual({ clean: false, conflicts: 1 })
    expect(mergeText(BASE, inserted, replaced)).toEqual({ clean: false, conflicts: 1 })
    expect(mergeText(BASE, replaced, inserted)).toEqual({ clean: false, conflicts: 1 })
  })
  it('a pure insertion on both sides still merges', () => {
    slowClock()
    expect(mergeText(BASE, inserted, BASE.replace('b\n', 'b\nb2\n'))).toEqual({
      clean: true,
      text: BASE.replace('b\n', 'b\nb2\n').replace('h\n', 'h\nh2\n'),
    })
  })
  it('is never reached when one side is unchanged or both sides agree: no diff is needed', () => {
    slowClock()
    expect(mergeText(BASE, replaced, replaced)).toEqual({ clean: true, text: replaced })
    expect(mergeText(BASE, replaced, BASE)).toEqual({ clean: true, text: replaced })
    expect(mergeText(BASE, BASE, replaced)).toEqual({ clean: true, text: replaced })
  })
})
