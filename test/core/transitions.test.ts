import { describe, expect, it } from 'vitest'
import { LANES, normalizeLane } from '../../src/core/lanes.ts'
import type { TransitionContext } from '../../src/core/transitions.ts'
import { allowedTransitions, checkTransition, TRANSITIONS } from '../../src/core/transitions.ts'

const base: TransitionContext = {
  actor: 'claude',
  force: false,
  subtasksComplete: true,
  implementationEvidence: true,
  workspaceContext: 'w',
}
const review = { reviewer: 'rev', verdict: 'approved' as const, reference: 'pr#1' }
const message = (v: ReturnType<typeof checkTransition>) => (v.ok ? 'ok' : v.message)

describe('lanes', () => {
  it('normalises case, whitespace and the doing alias; refuses anything else', () => {
    expect(normalizeLane('  Doing ')).toBe('in_progress')
    expect(normalizeLane('IN_REVIEW')).toBe('in_review')
    expect(normalizeLane('genesis')).toBeNull()
    expect(normalizeLane('review')).toBeNull()
    expect(LANES).toHaveLength(9)
  })
})

describe("upstream HEAD's transition table", () => {
  it('has the HEAD edges and no others', () => {
    const edges = Object.entries(TRANSITIONS).flatMap(([from, row]) => Object.keys(row).map((to) => `${from}>${to}`))
    expect(edges.sort()).toEqual(
      [
        'planned>claimed',
        'planned>blocked',
        'planned>canceled',
        'claimed>in_progress',
        'claimed>blocked',
        'claimed>canceled',
        'in_progress>for_review',
        'in_progress>approved',
        'in_progress>planned',
        'in_progress>blocked',
        'in_progress>canceled',
        'for_review>in_review',
        'for_review>blocked',
        'for_review>canceled',
        'in_review>approved',
        'in_review>done',
        'in_review>in_progress',
        'in_review>planned',
        'in_review>blocked',
        'in_review>canceled',
        'approved>done',
        'approved>in_progress',
        'approved>planned',
        'approved>blocked',
        'approved>canceled',
        'blocked>in_progress',
        'blocked>canceled',
      ].sort(),
    )
  })
  it('refuses edges HEAD removed', () => {
    expect(message(checkTransition('for_review', 'done', base))).toBe(
      'Illegal transition: for_review -> done; from for_review a WP may move to in_review, blocked, canceled (--force --note "<why>" overrides)',
    )
    expect(message(checkTransition('for_review', 'in_progress', base))).toMatch(
      /^Illegal transition: for_review -> in_progress; /,
    )
    expect(message(checkTransition('done', 'planned', base))).toBe(
      'Illegal transition: done -> planned; done is final: no move leaves it (--force --note "<why>" overrides)',
    )
  })
  it('guards: actor, subtasks, evidence, reason', () => {
    expect(message(checkTransition('planned', 'claimed', { ...base, actor: ' ' }))).toBe(
      'Transition requires actor identity: pass --actor <who>',
    )
    expect(message(checkTransition('in_progress', 'for_review', { ...base, subtasksComplete: false }))).toContain(
      'requires completed subtasks',
    )
    expect(message(checkTransition('in_progress', 'for_review', { ...base, implementationEvidence: false }))).toContain(
      'requires implementation evidence',
    )
    expect(message(checkTransition('in_progress', 'planned', base))).toBe(
      'Transition in_progress -> planned requires reason: pass --note "<why>"',
    )
    expect(message(checkTransition('in_progress', 'planned', { ...base, reason: 'rethink' }))).toBe('ok')
  })
  it('every exit from in_review needs a complete review_result', () => {
    expect(message(checkTransition('in_review', 'canceled', base))).toContain('requires review_result')
    expect(
      message(checkTransition('in_review', 'done', { ...base, reviewResult: { ...review, reference: '' } })),
    ).toContain('with reference')
    expect(
      message(
        checkTransition('in_review', 'in_progress', {
          ...base,
          reviewResult: { ...review, verdict: 'changes_requested' },
        }),
      ),
    ).toBe('ok')
  })
  it('approved/done from in_review need an approving verdict or approving evidence', () => {
    expect(message(checkTransition('in_review', 'done', { ...base, reviewResult: review }))).toBe('ok')
    expect(
      message(
        checkTransition('in_review', 'approved', {
          ...base,
          reviewResult: { ...review, verdict: 'changes_requested' },
        }),
      ),
    ).toContain('requires evidence')
    const evidence = { review: { ...review } }
    expect(message(checkTransition('in_review', 'done', { ...base, reviewResult: review, evidence }))).toBe('ok')
    expect(
      message(
        checkTransition('in_review', 'done', {
          ...base,
          reviewResult: review,
          evidence: { review: { ...review, reviewer: 'other' } },
        }),
      ),
    ).toBe(
      "Review evidence must match review_result: --evidence-json's review differs in review.reviewer; give review.reviewer, review.verdict and review.reference the values of --review-result-json",
    )
    expect(
      message(checkTransition('in_review', 'done', { ...base, reviewResult: review, reviewRef: 'elsewhere' })),
    ).toMatch(
      /^review_ref must match review_result\.reference: --review-ref is 'elsewhere' but the review's reference is '/,
    )
  })
  it('approved → done needs approving evidence; approved → in_progress needs a review_ref', () => {
    expect(message(checkTransition('approved', 'done', base))).toContain('requires evidence')
    expect(message(checkTransition('approved', 'done', { ...base, evidence: { review } }))).toBe('ok')
    expect(message(checkTransition('approved', 'in_progress', base))).toBe(
      'Transition requires review_ref (review feedback reference): pass --review-ref <reference of the review feedback>',
    )
  })
  it('force overrides edges and guards, even out of a terminal lane, but needs actor and reason', () => {
    expect(message(checkTransition('done', 'planned', { ...base, force: true }))).toBe(
      'Force transitions require actor and reason: pass --note "<why>" with --force',
    )
    expect(checkTransition('done', 'planned', { ...base, force: true, reason: 'reopen' })).toEqual({
      ok: true,
      forced: true,
    })
  })
  it('lists allowed edges with their guards', () => {
    const edges = allowedTransitions('in_progress')
    expect(edges.map((e) => e.to)).toEqual(['planned', 'for_review', 'approved', 'blocked', 'canceled'])
    expect(edges.find((e) => e.to === 'for_review')!.guards.map((g) => g.id)).toEqual([
      'subtasks_complete',
      'implementation_evidence',
    ])
    expect(allowedTransitions('done')).toEqual([])
  })
})

const EVIDENCE_FLAG = `--evidence-json '{"review":{"reviewer":"<who>","verdict":"approved","reference":"<review URL>"}}'`
const RESULT_FLAG = `--review-result-json '{"reviewer":"<who>","verdict":"approved|changes_requested","reference":"<review URL>"}'`
const NEEDS_RESULT = 'Transition from in_review requires review_result (structured review outcome)'

describe('checkTransition: guard messages name the flag to pass', () => {
  it('a guarded edge that passes is not forced', () => {
    expect(checkTransition('planned', 'claimed', base)).toEqual({ ok: true, forced: false })
  })
  it('workspace context', () => {
    expect(message(checkTransition('claimed', 'in_progress', { ...base, workspaceContext: undefined }))).toBe(
      'Transition claimed -> in_progress requires workspace context',
    )
    expect(message(checkTransition('claimed', 'in_progress', { ...base, workspaceContext: ' ' }))).toBe(
      'Transition claimed -> in_progress requires workspace context',
    )
  })
  it('approval evidence: none, or evidence that does not approve', () => {
    expect(message(checkTransition('approved', 'done', base))).toBe(
      `Transition to done requires evidence (reviewer identity and approval reference): pass ${EVIDENCE_FLAG}`,
    )
    expect(
      message(
        checkTransition('in_progress', 'approved', {
          ...base,
          evidence: { review: { ...review, verdict: 'changes_requested' } },
        }),
      ),
    ).toBe(
      `Transition to approved requires evidence (reviewer identity and approval reference): --evidence-json needs review.reviewer, review.reference and review.verdict "approved" (it has verdict "changes_requested"); pass ${EVIDENCE_FLAG}`,
    )
    expect(message(checkTransition('approved', 'done', { ...base, evidence: {} }))).toBe(
      `Transition to done requires evidence (reviewer identity and approval reference): --evidence-json needs review.reviewer, review.reference and review.verdict "approved" (it has verdict null); pass ${EVIDENCE_FLAG}`,
    )
  })
  it('review result: missing, or evidence given instead of it', () => {
    expect(message(checkTransition('in_review', 'planned', base))).toBe(`${NEEDS_RESULT}: pass ${RESULT_FLAG}`)
    expect(message(checkTransition('in_review', 'approved', { ...base, evidence: { review } }))).toBe(
      `${NEEDS_RESULT}: --evidence-json alone is not the review outcome; also pass ${RESULT_FLAG}`,
    )
  })
  it('review result: each blank field is named', () => {
    expect(
      message(checkTransition('in_review', 'planned', { ...base, reviewResult: { ...review, reviewer: ' ' } })),
    ).toBe(`${NEEDS_RESULT} with reviewer: set "reviewer" in --review-result-json`)
    expect(
      message(checkTransition('in_review', 'planned', { ...base, reviewResult: { ...review, verdict: '' as never } })),
    ).toBe(`${NEEDS_RESULT} with verdict: set "verdict" in --review-result-json`)
    expect(
      message(checkTransition('in_review', 'planned', { ...base, reviewResult: { ...review, reference: ' ' } })),
    ).toBe(`${NEEDS_RESULT} with reference: set "reference" in --review-result-json`)
  })
  it('review_ref is checked against the review only when given', () => {
    expect(message(checkTransition('in_review', 'done', { ...base, reviewResult: review, reviewRef: 'pr#1' }))).toBe(
      'ok',
    )
    expect(message(checkTransition('in_review', 'done', { ...base, reviewResult: review, reviewRef: 'pr#2' }))).toBe(
      "review_ref must match review_result.reference: --review-ref is 'pr#2' but the review's reference is 'pr#1'; pass the same value, or leave --review-ref out",
    )
  })
  it('evidence that differs from the review names every differing field', () => {
    const evidence = { review: { reviewer: 'other', verdict: 'approved' as const, reference: 'pr#9' } }
    expect(message(checkTransition('in_review', 'done', { ...base, reviewResult: review, evidence }))).toBe(
      "Review evidence must match review_result: --evidence-json's review differs in review.reviewer, review.reference; give review.reviewer, review.verdict and review.reference the values of --review-result-json",
    )
  })
  it('an approving exit with a review asking for changes: the evidence, when given, is what is reported', () => {
    const changes = { ...review, verdict: 'changes_requested' as const }
    expect(message(checkTransition('in_review', 'approved', { ...base, reviewResult: changes }))).toBe(
      'Transition to approved requires evidence (reviewer identity and approval reference): the review\'s verdict is \'changes_requested\', and only an approving review ("verdict":"approved" in --review-result-json) moves a WP to approved; a review that asks for changes goes to in_progress',
    )
    expect(
      message(checkTransition('in_review', 'done', { ...base, reviewResult: changes, evidence: { review: changes } })),
    ).toBe(
      `Transition to done requires evidence (reviewer identity and approval reference): --evidence-json needs review.reviewer, review.reference and review.verdict "approved" (it has verdict "changes_requested"); pass ${EVIDENCE_FLAG}`,
    )
  })
  it('force names whichever of actor and reason is missing', () => {
    expect(message(checkTransition('done', 'planned', { ...base, force: true, actor: ' ', reason: 'reopen' }))).toBe(
      'Force transitions require actor and reason: pass --actor <who> with --force',
    )
    expect(message(checkTransition('done', 'planned', { ...base, force: true, actor: '' }))).toBe(
      'Force transitions require actor and reason: pass --actor <who> and --note "<why>" with --force',
    )
  })
})
