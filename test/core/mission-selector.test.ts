import { describe, expect, it } from 'vitest'
import type { MissionIndexEntry } from '../../src/core/mission-selector.ts'
import { assertSafeHandle, resolveMissionSelector } from '../../src/core/mission-selector.ts'

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

describe('mission selector ladder (reference §5.2)', () => {
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
