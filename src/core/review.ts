export const REVIEW_VERDICTS = ['approved', 'changes_requested'] as const
export type ReviewVerdict = (typeof REVIEW_VERDICTS)[number]

export interface ReviewResult {
  reviewer: string
  verdict: ReviewVerdict
  reference: string
  feedback_path?: string
}

/**
 * Evidence as upstream records it; extra members (repos, verification) pass through untouched.
 * Written out, not inferred from review-json.ts's zod schema (which it must match), so the commands that
 * only read evidence need no zod.
 */
export interface Evidence {
  review?:
    | {
        reviewer?: unknown
        verdict?: unknown
        reference?: unknown
        [key: string]: unknown
      }
    | undefined
  [key: string]: unknown
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
