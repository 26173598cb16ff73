import { describe, expect, it } from 'vitest'
import { conflictSentence, isMergeStrategy, laneProblem, mergeCommitSubject, nextMissionNumber, planMergeOrder } from '../../src/core/plan-merge.ts'

const graph = (entries: Record<string, string[]>) => new Map(Object.entries(entries))

describe('planMergeOrder', () => {
  it('diamond: dependencies first, ties by WP id', () => {
    expect(planMergeOrder(graph({ WP04: ['WP02', 'WP03'], WP03: ['WP01'], WP02: ['WP01'], WP01: [] }))).toEqual({
      order: ['WP01', 'WP02', 'WP03', 'WP04'],
      errors: [],
    })
  })

  it('independent WPs in numeric id order', () => {
    expect(planMergeOrder(graph({ WP10: [], WP2: [], WP01: [] })).order).toEqual(['WP01', 'WP2', 'WP10'])
  })

  it('a chain is merged from its root', () => {
    expect(planMergeOrder(graph({ WP03: ['WP02'], WP02: ['WP01'], WP01: [] })).order).toEqual(['WP01', 'WP02', 'WP03'])
  })

  it('reports an unknown dependency and a cycle together, with no order', () => {
    const { order, errors } = planMergeOrder(graph({ WP01: ['WP02'], WP02: ['WP01'], WP03: ['WP07'] }))
    expect(order).toBeNull()
    expect(errors).toEqual([
      "WP03 depends on WP07, which is not a work package of this mission; remove it from WP03's dependencies or add WP07.",
      'Circular dependency: WP01 → WP02 → WP01; remove one of these dependencies from the WP frontmatter.',
    ])
  })
})

describe('merge-mission decisions', () => {
  it('strategies and commit subjects', () => {
    expect(['merge', 'squash', 'rebase', 'octopus'].map(isMergeStrategy)).toEqual([true, true, true, false])
    expect(mergeCommitSubject('merge', '034-x', 'WP01', 'main')).toBe('merge: 034-x/WP01 into main')
    expect(mergeCommitSubject('squash', '034-x', 'WP01', 'main')).toBe('squash merge: 034-x/WP01 into main')
  })

  it('the next mission number is one more than the highest, ignoring unset ones', () => {
    expect(nextMissionNumber([3, null, 41, 7])).toBe(42)
    expect(nextMissionNumber([null])).toBe(1)
    expect(nextMissionNumber([])).toBe(1)
  })

  it('only approved and done WPs may be merged; every other lane says how to get there', () => {
    expect(laneProblem('WP01', 'approved', 'main')).toBeNull()
    expect(laneProblem('WP01', 'done', 'main')).toBeNull()
    for (const lane of ['planned', 'claimed', 'in_progress', 'for_review', 'in_review', 'blocked', 'canceled'] as const) {
      expect(laneProblem('WP01', lane, 'main')).toMatch(new RegExp(`^WP01 is ${lane} on main; .+ before merging\\.$`))
    }
  })

  it('a conflict sentence names the WP, what it conflicts with, the paths and the fix', () => {
    expect(
      conflictSentence({ wpId: 'WP02', branch: 'b2', target: 'main', mergedBefore: ['WP01'], paths: [{ path: 'a.txt', kind: 'content' }, { path: 'b', kind: 'modify/delete' }] }),
    ).toBe('WP02 (branch b2) conflicts with main (after merging WP01) in a.txt, b (modify/delete); merge main into b2, resolve the conflicts there and commit, then run merge-mission again.')
  })
})
