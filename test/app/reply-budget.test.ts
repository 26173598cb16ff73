import { describe, expect, it } from 'vitest'
import { ReplyBudget } from '../../src/app/reply-budget.ts'

describe('ReplyBudget', () => {
  it('allows `limit` answers per key per window, then none until the window slides', () => {
    let now = 0
    const budget = new ReplyBudget(3, 60_000, 100, () => now)
    expect([1, 2, 3, 4].map(() => budget.take('a#7:visitor'))).toEqual([true, true, true, false])
    expect(budget.take('a#7:other')).toBe(true)
    expect(budget.take('a#8:visitor')).toBe(true)
    now = 59_999
    expect(budget.take('a#7:visitor')).toBe(false)
    now = 60_000
    expect(budget.take('a#7:visitor')).toBe(true)
  })

  it('remembers at most maxKeys keys (a flood of new names cannot grow memory without bound)', () => {
    const budget = new ReplyBudget(1, 60_000, 10, () => 0)
    for (let i = 0; i < 1_000; i++) expect(budget.take(`k${i}`)).toBe(true)
    expect((budget as unknown as { spent: Map<string, number[]> }).spent.size).toBeLessThanOrEqual(10)
    // The oldest were forgotten, the newest are still counted.
    expect(budget.take('k0')).toBe(true)
    expect(budget.take('k999')).toBe(false)
  })
})
