import { describe, expect, it } from 'vitest'
import { emptySummary, LANES } from '../../src/core/lanes.ts'

describe('emptySummary', () => {
  it('has every lane, in display order, at zero', () => {
    expect(emptySummary()).toEqual({
      planned: 0,
      claimed: 0,
      in_progress: 0,
      for_review: 0,
      in_review: 0,
      approved: 0,
      done: 0,
      blocked: 0,
      canceled: 0,
    })
    expect(Object.keys(emptySummary())).toEqual([...LANES])
  })
  it('is a fresh object each time', () => {
    const first = emptySummary()
    first.done = 3
    expect(emptySummary().done).toBe(0)
  })
})
