import { describe, expect, it } from 'vitest'
import { evidenceApproves, evidenceIsComplete, evidenceMatchesReview } from '../../src/core/review.ts'
import { parseEvidenceJson, parseReviewResultJson } from '../../src/core/review-json.ts'

const usage = (fn: () => unknown) => {
  try {
    fn()
  } catch (err) {
    return err as { code: string; message: string }
  }
  throw new Error('accepted')
}

describe('parseReviewResultJson', () => {
  it('reads the three fields and an optional feedback path', () => {
    expect(parseReviewResultJson('{"reviewer":"r","verdict":"approved","reference":"pr#1","x":1}')).toEqual({
      reviewer: 'r',
      verdict: 'approved',
      reference: 'pr#1',
    })
    expect(
      parseReviewResultJson('{"reviewer":"r","verdict":"changes_requested","reference":"pr#1","feedback_path":"f.md"}'),
    ).toEqual({
      reviewer: 'r',
      verdict: 'changes_requested',
      reference: 'pr#1',
      feedback_path: 'f.md',
    })
    expect(
      parseReviewResultJson('{"reviewer":"r","verdict":"approved","reference":"pr#1","feedback_path":null}'),
    ).not.toHaveProperty('feedback_path')
  })
  it.each([
    ['{"a": ', 'Invalid JSON in --review-result-json: unexpected end of input'],
    ['[]', '--review-result-json must decode to a JSON object'],
    ['null', '--review-result-json must decode to a JSON object'],
    ['"x"', '--review-result-json must decode to a JSON object'],
    [
      '{"reviewer":" ","verdict":"approved","reference":"p"}',
      '--review-result-json requires non-empty reviewer, verdict, and reference strings',
    ],
    [
      '{"reviewer":"r","verdict":"approved"}',
      '--review-result-json requires non-empty reviewer, verdict, and reference strings',
    ],
    [
      '{"reviewer":"r","verdict":"maybe","reference":"p"}',
      "--review-result-json verdict must be 'approved' or 'changes_requested'",
    ],
    [
      '{"reviewer":"r","verdict":"approved","reference":"p","feedback_path":3}',
      '--review-result-json feedback_path must be a string',
    ],
  ])('refuses %s with USAGE_ERROR', (raw, message) => {
    const err = usage(() => parseReviewResultJson(raw))
    expect(err.code).toBe('USAGE_ERROR')
    expect(err.message).toBe(message)
  })
})

describe('evidence', () => {
  it('parses a loose object with an optional review', () => {
    expect(
      parseEvidenceJson('{"review":{"reviewer":"r","verdict":"approved","reference":"p","x":1},"other":2}'),
    ).toEqual({
      review: { reviewer: 'r', verdict: 'approved', reference: 'p', x: 1 },
      other: 2,
    })
    expect(parseEvidenceJson('{}')).toEqual({})
    expect(usage(() => parseEvidenceJson('[1]')).message).toBe('--evidence-json must decode to a JSON object')
    expect(usage(() => parseEvidenceJson('{x')).message).toMatch(
      /^Invalid JSON in --evidence-json: unexpected input at position \d+/,
    )
  })
  it('is complete with a non-blank reviewer, verdict and reference; approves only with verdict "approved"', () => {
    const review = { reviewer: ' r ', verdict: 'changes_requested', reference: 'p' }
    expect(evidenceIsComplete({ review })).toBe(true)
    expect(evidenceApproves({ review })).toBe(false)
    expect(evidenceApproves({ review: { ...review, verdict: 'approved' } })).toBe(true)
    for (const broken of [
      { reviewer: '' },
      { reviewer: 3 },
      { verdict: ' ' },
      { reference: '' },
      { reference: null },
    ]) {
      expect(evidenceIsComplete({ review: { ...review, ...broken } }), JSON.stringify(broken)).toBe(false)
      if (!('verdict' in broken))
        expect(
          evidenceApproves({ review: { ...review, verdict: 'approved', ...broken } }),
          JSON.stringify(broken),
        ).toBe(false)
    }
    expect(evidenceIsComplete({})).toBe(false)
    expect(evidenceApproves({})).toBe(false)
    expect(evidenceApproves(undefined)).toBe(false)
  })
})

describe('evidenceMatchesReview', () => {
  const result = { reviewer: 'r', verdict: 'approved', reference: 'pr#1' } as const
  it('matches only when reviewer, verdict and reference are all the same', () => {
    expect(evidenceMatchesReview({ review: { ...result, extra: 1 } }, result)).toBe(true)
    expect(evidenceMatchesReview({ review: { ...result, reviewer: 'someone else' } }, result)).toBe(false)
    expect(evidenceMatchesReview({ review: { ...result, verdict: 'changes_requested' } }, result)).toBe(false)
    expect(evidenceMatchesReview({ review: { ...result, reference: 'pr#2' } }, result)).toBe(false)
  })
  it('evidence without a review matches nothing', () => {
    expect(evidenceMatchesReview({}, result)).toBe(false)
  })
})
