import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { branchPatternProblem, compileBranchPattern, matchBranchPattern } from '../../src/core/branch-pattern.ts'

describe('branch patterns', () => {
  it('a placeholder given twice is a problem, not a crash (a duplicate named group does not compile)', () => {
    expect(branchPatternProblem('{wp_id}/{mission_slug}-{wp_id}')).toMatch(/\{wp_id\} 2 times/)
    expect(matchBranchPattern('WP01/m-WP01', '{wp_id}/{mission_slug}-{wp_id}')).toEqual({})
    expect(branchPatternProblem('{mission_slug}-{wp_id}')).toBeNull()
    expect(matchBranchPattern('099-m-WP03', '{mission_slug}-{wp_id}')).toEqual({ mission: '099-m', wp: 'WP03' })
  })

  it("literal text named like Object.prototype's members stays text (FC_SEED=891652297 found `{wp_id}valueOf`)", () => {
    for (const word of ['valueOf', 'constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      const pattern = `{wp_id}${word}`
      expect(branchPatternProblem(pattern)).toBeNull()
      expect(compileBranchPattern(pattern).test(`WP07${word}`), pattern).toBe(true)
      expect(matchBranchPattern(`WP07${word}`, pattern)).toEqual({ wp: 'WP07' })
    }
  })

  it('property: every pattern either has a problem or compiles and matches its own example', () => {
    const part = fc.oneof(fc.constantFrom('{wp_id}', '{mission_slug}', '{', '}', '(', '\\', '$', '-', '/'), fc.string())
    fc.assert(
      fc.property(fc.array(part, { maxLength: 6 }), (parts) => {
        const pattern = parts.join('')
        const problem = branchPatternProblem(pattern)
        if (problem !== null) return
        const example = pattern.replaceAll('{mission_slug}', '099-m').replaceAll('{wp_id}', 'WP07')
        expect(compileBranchPattern(pattern).test(example), pattern).toBe(true)
        // Adjacent placeholders are ambiguous (`{wp_id}{mission_slug}`), so only the WP's shape is certain.
        expect(matchBranchPattern(example, pattern).wp).toMatch(/^WP07\d{0,2}$/)
      }),
    )
  })
})
