import { describe, expect, it } from 'vitest'
import { closestNames, didYouMean, nearestNames } from '../../src/core/closest-names.ts'

const COMMANDS = ['mission-state', 'list-ready', 'transition', 'transitions', 'history', 'start-review']

describe('closest names', () => {
  it('suggests likely typos, closest first, case-insensitively', () => {
    expect(closestNames('mision-state', COMMANDS)).toEqual(['mission-state'])
    expect(closestNames('TRANSITONS', COMMANDS)).toEqual(['transitions', 'transition'])
    expect(closestNames('WP02x', ['WP01', 'WP02', 'WP10'])).toEqual(['WP02', 'WP01'])
  })
  it('suggests nothing for an unrelated word, and nothing for an empty one', () => {
    expect(closestNames('deploy', COMMANDS)).toEqual([])
    expect(closestNames('  ', COMMANDS)).toEqual([])
    expect(didYouMean('deploy', COMMANDS)).toBe('')
  })
  it('a name that contains what was typed counts too', () => {
    expect(closestNames('review', COMMANDS)).toEqual(['start-review'])
  })
  it('phrases one or several', () => {
    expect(didYouMean('histroy', COMMANDS)).toBe(" Did you mean 'history'?")
    expect(didYouMean('transitio', COMMANDS)).toBe(" Did you mean one of 'transition', 'transitions'?")
  })
  it('nearestNames lists what exists however far, closest first', () => {
    expect(nearestNames('034-feature-status', ['001-demo-checkout', '033-feature-state', '120-billing'], 2)).toEqual([
      '033-feature-state',
      '001-demo-checkout',
    ])
  })
  it('a very long input stays cheap (no quadratic blow-up against short names)', () => {
    const started = Date.now()
    expect(closestNames(`--${'x'.repeat(200_000)}`, COMMANDS)).toEqual([])
    expect(Date.now() - started).toBeLessThan(2_000)
  })
})

describe('closestNames', () => {
  it('spaces around what was typed do not count', () => {
    expect(closestNames('   x   ', ['x', 'yyyyyy'])).toEqual(['x'])
    expect(closestNames(' Histroy ', COMMANDS)).toEqual(['history'])
  })
  it('at most `limit` suggestions, ties in name order', () => {
    expect(closestNames('a', ['ad', 'ac', 'ab', 'aa'])).toEqual(['aa', 'ab', 'ac'])
    expect(closestNames('a', ['ad', 'ac', 'ab', 'aa'], 2)).toEqual(['aa', 'ab'])
  })
})

describe('nearestNames', () => {
  it('compares case-insensitively and without surrounding spaces', () => {
    expect(nearestNames('CLAIM', ['abc', 'claim'])).toEqual(['claim', 'abc'])
    expect(nearestNames(' ab ', ['aaby', 'ab'])).toEqual(['ab', 'aaby'])
  })
  it('names at the same distance come in name order, whatever the input order', () => {
    expect(nearestNames('x', ['c', 'b', 'a', 'd'])).toEqual(['a', 'b', 'c', 'd'])
    expect(nearestNames('x', ['a', 'b', 'c', 'd'])).toEqual(['a', 'b', 'c', 'd'])
    expect(nearestNames('x', ['b', 'd', 'a', 'c'])).toEqual(['a', 'b', 'c', 'd'])
    expect(nearestNames('x', ['b', 'b', 'a'])).toEqual(['a', 'b'])
  })
})
