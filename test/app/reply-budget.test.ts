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

  it('counts a delivery once, however many times it is retried', () => {
    let now = 0
    const budget = new ReplyBudget(2, 60_000, 100, () => now)
    // The first delivery's three attempts spend one answer: the second delivery still fits.
    expect([1, 2, 3].map(() => budget.take('a#7:visitor', 'delivery-1'))).toEqual([true, true, true])
    expect(budget.take('a#7:visitor', 'delivery-2')).toBe(true)
    expect(budget.take('a#7:visitor', 'delivery-3')).toBe(false)
    // A refused delivery was not counted: its retry is weighed again, and counted once when it fits.
    now = 60_000
    expect(budget.take('a#7:visitor', 'delivery-3')).toBe(true)
    expect(budget.take('a#7:visitor', 'delivery-3')).toBe(true)
    expect(budget.take('a#7:visitor', 'delivery-4')).toBe(true)
    expect(budget.take('a#7:visitor', 'delivery-5')).toBe(false)
    // The same delivery id under another key is another answer.
    expect(budget.take('a#8:visitor', 'delivery-1')).toBe(true)
  })

  it('remembers at most maxKeys deliveries', () => {
    const budget = new ReplyBudget(1_000, 60_000, 10, () => 0)
    for (let i = 0; i < 1_000; i++) budget.take('k', `d${i}`)
    expect((budget as unknown as { counted: Set<string> }).counted.size).toBeLessThanOrEqual(10)
  })
})
