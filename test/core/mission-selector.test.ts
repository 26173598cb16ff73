import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { MissionIndexEntry } from '../../src/core/mission-selector.ts'
import { assertSafeHandle, missionNotFound, resolveMissionSelector } from '../../src/core/mission-selector.ts'

const RUNS = Number(process.env['KITTY_FUZZ_RUNS'] ?? 100)
const ID_A = '01KXWN13GH4QCRMS28N448V7CR'
const ID_B = '01KXWN13ZZZZZZZZZZZZZZZZZZ'
const ID_C = '01J0000000000000000000000A'
const index: MissionIndexEntry[] = [
  { dir: '041-enable-plan', hasMeta: true, missionId: null },
  { dir: '041-mission-glossary', hasMeta: true, missionId: null },
  { dir: '064-frontmatter', hasMeta: true, missionId: ID_C },
  { dir: 'auth-flow-01KXWN13', hasMeta: true, missionId: ID_A },
  { dir: 'billing-01KXWN13', hasMeta: true, missionId: ID_B },
  { dir: 'legacy-no-meta', hasMeta: false, missionId: null },
  { dir: 'solo-feature-01J00000', hasMeta: true, missionId: null },
]
const resolve = (h: string) => resolveMissionSelector(h, index)
const codeOf = (h: string) => {
  try {
    resolve(h)
  } catch (err) {
    return (err as { code: string }).code
  }
  return 'resolved'
}

describe("upstream's mission selector ladder", () => {
  it('a literal directory with meta.json wins', () => {
    expect(resolve('064-frontmatter')).toBe('064-frontmatter')
  })
  it('a full ULID matches exactly, with no fall-through', () => {
    expect(resolve(ID_A)).toBe('auth-flow-01KXWN13')
    expect(codeOf('01KXWN13GH4QCRMS28N448V7CX')).toBe('MISSION_NOT_FOUND')
  })
  it('a mid8 matching two missions is ambiguous, with candidates', () => {
    try {
      resolve('01KXWN13')
      throw new Error('resolved')
    } catch (err) {
      const e = err as { code: string; data: { candidates: { slug: string; mid8: string }[] }; message: string }
      expect(e.code).toBe('MISSION_AMBIGUOUS_SELECTOR')
      expect(e.data.candidates.map((c) => c.slug)).toEqual(['auth-flow-01KXWN13', 'billing-01KXWN13'])
      expect(e.data.candidates[0]!.mid8).toBe('01KXWN13')
      expect(e.message).toContain('matches multiple missions')
    }
  })
  it('a unique mid8 resolves', () => {
    expect(resolve('01J00000')).toBe('064-frontmatter')
  })
  it('the NNN- prefix may be left off; a number matches the three-digit prefix', () => {
    expect(resolve('frontmatter')).toBe('064-frontmatter')
    expect(resolve('064')).toBe('064-frontmatter')
    expect(codeOf('64')).toBe('MISSION_NOT_FOUND')
  })
  it('a shared number is ambiguous (the corpus has two 041 missions)', () => {
    expect(codeOf('041')).toBe('MISSION_AMBIGUOUS_SELECTOR')
  })
  it('a literal directory without meta.json is still found (legacy)', () => {
    expect(resolve('legacy-no-meta')).toBe('legacy-no-meta')
  })
  it('the bare-modern fold finds <handle>-<mid8>', () => {
    expect(resolve('solo-feature')).toBe('solo-feature-01J00000')
    expect(resolve('auth-flow')).toBe('auth-flow-01KXWN13')
  })
  it('an unknown handle is MISSION_NOT_FOUND', () => {
    expect(codeOf('999-does-not-exist')).toBe('MISSION_NOT_FOUND')
  })
  it.each(['', ' 064', '064 ', '..', '../etc', 'a/b', 'a\\b', '.hidden', 'миссия', 'a\tb', 'a\nb', 'x'.repeat(201)])(
    'refuses the unsafe handle %j with USAGE_ERROR',
    (h) => {
      expect(() => assertSafeHandle(h)).toThrow(expect.objectContaining({ code: 'USAGE_ERROR' }))
      expect(codeOf(h)).toBe('USAGE_ERROR')
    },
  )
})

const entry = (dir: string, missionId: string | null = null, hasMeta = true): MissionIndexEntry => ({
  dir,
  hasMeta,
  missionId,
})
const refusal = (handle: string, idx: MissionIndexEntry[]) => {
  try {
    return { resolved: resolveMissionSelector(handle, idx) }
  } catch (err) {
    const e = err as { code: string; message: string; data: unknown }
    return { code: e.code, message: e.message, data: e.data }
  }
}

describe('assertSafeHandle', () => {
  it.each([
    ['', 'it is empty'],
    ['x'.repeat(201), 'it is longer than 200 characters'],
    ['a b', 'it contains whitespace'],
    ['.hidden', "it starts with '.'"],
    ['a..b', "it contains '..'"],
    ['a/b', 'it contains a path separator'],
    ['a\\b', 'it contains a path separator'],
    ['caf\u00e9', 'it contains non-ASCII or control characters'],
    ['a\u0007b', 'it contains non-ASCII or control characters'],
  ])('%j: USAGE_ERROR saying %s and what to pass instead', (handle, reason) => {
    expect(() => assertSafeHandle(handle)).toThrow(
      expect.objectContaining({
        code: 'USAGE_ERROR',
        message: `Unsafe mission selector: ${reason}. Pass a mission slug, number, mid8 or mission_id.`,
        data: { reason },
      }),
    )
  })
  it('200 characters is still a handle', () => {
    expect(() => assertSafeHandle('x'.repeat(200))).not.toThrow()
    expect(refusal('x'.repeat(200), index).code).toBe('MISSION_NOT_FOUND')
  })
})

describe('resolveMissionSelector: refusals', () => {
  it('not found names the handle and where it looked', () => {
    expect(refusal('nothing-here', index)).toEqual({
      code: 'MISSION_NOT_FOUND',
      message: "Mission 'nothing-here' not found in kitty-specs/",
      data: { handle: 'nothing-here' },
    })
    expect(missionNotFound('x').message).toBe("Mission 'x' not found in kitty-specs/")
  })
  it('ambiguous names every match in directory order, with the candidates to choose from, whatever the index order', () => {
    const reversed = [...index].reverse()
    expect(refusal('01KXWN13', reversed)).toEqual({
      code: 'MISSION_AMBIGUOUS_SELECTOR',
      message:
        "Mission handle '01KXWN13' matches multiple missions: auth-flow-01KXWN13, billing-01KXWN13. Re-run with a more specific handle (full slug or full mission_id).",
      data: {
        handle: '01KXWN13',
        candidates: [
          {
            mission_id: ID_A,
            mid8: '01KXWN13',
            slug: 'auth-flow-01KXWN13',
            feature_dir: 'kitty-specs/auth-flow-01KXWN13',
          },
          { mission_id: ID_B, mid8: '01KXWN13', slug: 'billing-01KXWN13', feature_dir: 'kitty-specs/billing-01KXWN13' },
        ],
      },
    })
    expect(refusal('041', reversed)).toMatchObject({
      message:
        "Mission handle '041' matches multiple missions: 041-enable-plan, 041-mission-glossary. Re-run with a more specific handle (full slug or full mission_id).",
      data: {
        candidates: [{ mission_id: null, mid8: null, slug: '041-enable-plan' }, { slug: '041-mission-glossary' }],
      },
    })
  })
})

describe('resolveMissionSelector: index order', () => {
  it('a large kitty-specs/ listed in any order gives the candidates in directory order', () => {
    // 100 missions whose mission_ids share their first eight characters: the mid8 matches them all.
    const missions = Array.from({ length: 100 }, (_, i) =>
      entry(`m-${String(i).padStart(3, '0')}`, `01KXWN13${String(i).padStart(18, '0')}`),
    )
    const sorted = missions.map((m) => m.dir)
    fc.assert(
      fc.property(fc.shuffledSubarray(missions, { minLength: missions.length }), (shuffled) => {
        const found = refusal('01KXWN13', shuffled) as { code: string; data: { candidates: Array<{ slug: string }> } }
        expect(found.code).toBe('MISSION_AMBIGUOUS_SELECTOR')
        expect(found.data.candidates.map((c) => c.slug)).toEqual(sorted)
      }),
      { numRuns: RUNS },
    )
  })
})

describe('resolveMissionSelector: id-shaped handles', () => {
  it('a directory with meta.json named like a mid8 is taken literally, before any mission_id prefix', () => {
    expect(resolveMissionSelector('01KXWN13', [entry('01KXWN13'), entry('auth-flow-01KXWN13', ID_A)])).toBe('01KXWN13')
  })
  it('a ULID- or mid8-shaped handle that is no mission_id falls back to a directory of that name without meta.json', () => {
    expect(resolveMissionSelector(ID_A, [entry(ID_A, null, false), entry('billing-01KXWN13', ID_B)])).toBe(ID_A)
    expect(resolveMissionSelector('ABCDEFGH', [entry('ABCDEFGH', null, false), entry('billing-01KXWN13', ID_B)])).toBe(
      'ABCDEFGH',
    )
  })
  it('a mission_id match wins over a directory of that name without meta.json', () => {
    expect(
      resolveMissionSelector('01KXWN13', [entry('01KXWN13', null, false), entry('auth-flow-01KXWN13', ID_A)]),
    ).toBe('auth-flow-01KXWN13')
  })
  it('a mid8 that prefixes no mission_id is not found', () => {
    expect(refusal('ZZZZZZZZ', index)).toMatchObject({ code: 'MISSION_NOT_FOUND', data: { handle: 'ZZZZZZZZ' } })
  })
})

describe('resolveMissionSelector: numbers and prefixes', () => {
  const numbered = [entry('007-v2'), entry('010-2fa'), entry('012-12')]
  it('only an all-digit handle is a mission number; others match the name after NNN-', () => {
    expect(resolveMissionSelector('v2', numbered)).toBe('007-v2')
    expect(resolveMissionSelector('2fa', numbered)).toBe('010-2fa')
    expect(resolveMissionSelector('012', numbered)).toBe('012-12')
    expect(refusal('12', numbered).code).toBe('MISSION_NOT_FOUND')
  })
})

describe('resolveMissionSelector: the bare-modern fold', () => {
  it('folds <handle> onto the one <handle>-<mid8> directory with meta.json', () => {
    expect(resolveMissionSelector('abcd', [entry('abcd-01J00000'), entry('abcde-01J00000')])).toBe('abcd-01J00000')
  })
  it.each([
    ['no meta.json', entry('wxyz-01J00000', null, false)],
    ['another name of the same length', entry('zzzz-01J00000')],
    ['a tail that is not a Crockford mid8', entry('wxyz-abcdefgh')],
    ['a longer name', entry('wxyz-01J00000-01J00000')],
  ])('does not fold onto a directory with %s', (_why, e) => {
    expect(refusal('wxyz', [e]).code).toBe('MISSION_NOT_FOUND')
  })
  it('two folds are no fold', () => {
    expect(refusal('wxyz', [entry('wxyz-01J00000'), entry('wxyz-01J00001')]).code).toBe('MISSION_NOT_FOUND')
  })
  it('a handle that already ends in a mid8 is not folded further', () => {
    expect(refusal('x-01KXWN13', [entry('x-01KXWN13-01J00000')]).code).toBe('MISSION_NOT_FOUND')
  })
})
