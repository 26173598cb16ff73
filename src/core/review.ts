import * as z from 'zod/mini'
import { UsageError } from './errors.ts'
import { describeJsonError } from './json-error.ts'

export const REVIEW_VERDICTS = ['approved', 'changes_requested'] as const
export type ReviewVerdict = (typeof REVIEW_VERDICTS)[number]

export interface ReviewResult {
  reviewer: string
  verdict: ReviewVerdict
  reference: string
  feedback_path?: string
}

const nonEmpty = z.string().check(z.refine((s) => s.trim().length > 0))

/** Evidence as upstream records it; extra members (repos, verification) pass through untouched. */
export const EvidenceSchema = z.looseObject({
  review: z.optional(
    z.looseObject({
      reviewer: z.optional(z.unknown()),
      verdict: z.optional(z.unknown()),
      reference: z.optional(z.unknown()),
    }),
  ),
})
export type Evidence = z.infer<typeof EvidenceSchema>

function parseJsonObject(raw: string, flag: string): Record<string, unknown> {
  let value: unknown
  try {
    value = JSON.parse(raw)
  } catch (err) {
    throw new UsageError(`Invalid JSON in ${flag}: ${describeJsonError(err)}`)
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new UsageError(`${flag} must decode to a JSON object`)
  }
  return value as Record<string, unknown>
}

/** `--evidence-json`: any JSON object (messages: docs/upstream-contract.md#usage-errors). */
export function parseEvidenceJson(raw: string): Evidence {
  return EvidenceSchema.parse(parseJsonObject(raw, '--evidence-json'))
}

/** `--review-result-json` with HEAD's exact messages (docs/upstream-contract.md#transition-order-of-checks, step 4). */
export function parseReviewResultJson(raw: string): ReviewResult {
  const obj = parseJsonObject(raw, '--review-result-json')
  const required = z.object({ reviewer: nonEmpty, verdict: nonEmpty, reference: nonEmpty })
  const parsed = required.safeParse(obj)
  if (!parsed.success) {
    throw new UsageError('--review-result-json requires non-empty reviewer, verdict, and reference strings')
  }
  const verdict = parsed.data.verdict
  if (!(REVIEW_VERDICTS as readonly string[]).includes(verdict)) {
    throw new UsageError("--review-result-json verdict must be 'approved' or 'changes_requested'")
  }
  const feedback = obj['feedback_path']
  if (feedback !== undefined && feedback !== null && typeof feedback !== 'string') {
    throw new UsageError('--review-result-json feedback_path must be a string')
  }
  return {
    reviewer: parsed.data.reviewer,
    verdict: verdict as ReviewVerdict,
    reference: parsed.data.reference,
    ...(typeof feedback === 'string' ? { feedback_path: feedback } : {}),
  }
}

function str(value: unknown): string {
  return typeof value === 'string' ? value.trim() : ''
}

/**
 * Evidence that names a reviewer, a verdict and a reference (checked for every target,
 * docs/upstream-contract.md#transition-order-of-checks step 7).
 */
export function evidenceIsComplete(evidence: Evidence): boolean {
  const review = evidence.review
  return !!review && str(review.reviewer) !== '' && str(review.verdict) !== '' && str(review.reference) !== ''
}

/** HEAD's "reviewer-approval evidence": reviewer, reference and verdict `approved`. */
export function evidenceApproves(evidence: Evidence | undefined): boolean {
  const review = evidence?.review
  return !!review && str(review.reviewer) !== '' && str(review.reference) !== '' && review.verdict === 'approved'
}

export function evidenceMatchesReview(evidence: Evidence, result: ReviewResult): boolean {
  const review = evidence.review
  return (
    !!review &&
    review.reviewer === result.reviewer &&
    review.verdict === result.verdict &&
    review.reference === result.reference
  )
}
