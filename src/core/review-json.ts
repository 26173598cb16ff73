import * as z from 'zod/mini'
import { UsageError } from './errors.ts'
import { describeJsonError } from './json-error.ts'
import type { Evidence, ReviewResult, ReviewVerdict } from './review.ts'
import { REVIEW_VERDICTS } from './review.ts'

/**
 * transition's `--evidence-json` and `--review-result-json`, read with zod: the one command that takes
 * them imports this module when one is given, so no other command evaluates zod for them.
 */

const nonEmpty = z.string().check(z.refine((s) => s.trim().length > 0))

/** Evidence as upstream records it; extra members (repos, verification) pass through untouched. */
const EvidenceSchema = z.looseObject({
  review: z.optional(
    z.looseObject({
      reviewer: z.optional(z.unknown()),
      verdict: z.optional(z.unknown()),
      reference: z.optional(z.unknown()),
    }),
  ),
})

// Evidence (review.ts) is written out by hand so that module needs no zod; it must stay what the schema reads.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never
export const EVIDENCE_TYPE_MATCHES_SCHEMA: Same<z.infer<typeof EvidenceSchema>, Evidence> = true

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
