import { describe, expect, it } from 'vitest'
import {
  conflictSentence,
  isMergeStrategy,
  laneProblem,
  mergeCommitSubject,
  nextMissionNumber,
  noMergeBaseSentence,
  planMergeOrder,
} from '../../src/core/plan-merge.ts'

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
    for (const lane of [
      'planned',
      'claimed',
      'in_progress',
      'for_review',
      'in_review',
      'blocked',
      'canceled',
    ] as const) {
      expect(laneProblem('WP01', lane, 'main')).toMatch(new RegExp(`^WP01 is ${lane} on main; .+ before merging\\.$`))
    }
  })

  it('a conflict sentence names the WP, what it conflicts with, the paths and the fix', () => {
    expect(
      conflictSentence({
        wpId: 'WP02',
        branch: 'b2',
        target: 'main',
        mergedBefore: ['WP01'],
        paths: [
          { path: 'a.txt', kind: 'content' },
          { path: 'b', kind: 'modify/delete' },
        ],
      }),
    ).toBe(
      'WP02 (branch b2) conflicts with main (after merging WP01) in a.txt, b (modify/delete); merge main into b2, resolve the conflicts there and commit, then run merge-mission again.',
    )
  })
})

describe('laneProblem', () => {
  it.each([
    ['planned', 'WP01 is planned on main; implement it, get it reviewed and move it to approved before merging.'],
    ['claimed', 'WP01 is claimed on main; implement it, get it reviewed and move it to approved before merging.'],
    ['in_progress', 'WP01 is in_progress on main; finish it, get it reviewed and move it to approved before merging.'],
    ['for_review', 'WP01 is for_review on main; review it and move it to approved before merging.'],
    ['in_review', 'WP01 is in_review on main; finish the review and move it to approved before merging.'],
    ['blocked', 'WP01 is blocked on main; unblock and finish it, then move it to approved before merging.'],
    [
      'canceled',
      'WP01 is canceled on main; remove its task file from the mission, or move it to approved if it is to be merged after all, before merging.',
    ],
  ] as const)('%s: says how to get to approved', (lane, sentence) => {
    expect(laneProblem('WP01', lane, 'main')).toBe(sentence)
  })
})

describe('conflictSentence', () => {
  it('onto the target alone when nothing was merged before', () => {
    expect(
      conflictSentence({
        wpId: 'WP01',
        branch: 'b1',
        target: 'main',
        mergedBefore: [],
        paths: [{ path: 'a.txt', kind: 'content' }],
      }),
    ).toBe(
      'WP01 (branch b1) conflicts with main in a.txt; merge main into b1, resolve the conflicts there and commit, then run merge-mission again.',
    )
  })
  it('a rebase names the replayed commit by short oid and subject; earlier merges are listed', () => {
    const commit = { oid: '0123456789abcdef0123456789abcdef01234567', subject: 'Add the parser' }
    expect(
      conflictSentence({
        wpId: 'WP03',
        branch: 'b3',
        target: 'main',
        mergedBefore: ['WP01', 'WP02'],
        paths: [{ path: 'p.ts', kind: 'content' }],
        commit,
      }),
    ).toBe(
      'WP03\'s commit 0123456 "Add the parser" conflicts with main (after merging WP01, WP02) in p.ts; merge main into b3, resolve the conflicts there and commit, then run merge-mission again.',
    )
  })
})

describe('noMergeBaseSentence', () => {
  it('in a shallow clone: fetch the full history', () => {
    expect(noMergeBaseSentence('WP01', 'b1', 'main', true)).toBe(
      "WP01's branch b1 shares no history with main in this shallow clone; fetch the full history (git fetch --unshallow) and run merge-mission again.",
    )
  })
  it('in a full clone: recreate the branch', () => {
    expect(noMergeBaseSentence('WP01', 'b1', 'main', false)).toBe(
      "WP01's branch b1 shares no history with main; recreate the branch from main and re-apply its changes.",
    )
  })
})
