import type { Lane } from './lanes.ts'
import { LANES } from './lanes.ts'
import type { Evidence, ReviewResult } from './review.ts'
import { evidenceApproves, evidenceMatchesReview } from './review.ts'

/** Named guard conditions, so the `transitions` command can tell a caller what an edge needs. */
export type GuardId =
  | 'actor'
  | 'workspace_context'
  | 'subtasks_complete'
  | 'implementation_evidence'
  | 'approval_evidence'
  | 'reason'
  | 'review_result'
  | 'review_approval'
  | 'review_ref'

export const GUARD_DESCRIPTIONS: Readonly<Record<GuardId, string>> = {
  actor: 'a non-empty --actor',
  workspace_context: 'a workspace context (always supplied by this host)',
  subtasks_complete: "every subtask row of the WP's section in tasks.md checked",
  implementation_evidence: 'implementation evidence (an earlier transition, or --implementation-evidence-present)',
  approval_evidence: '--evidence-json with review.reviewer, review.reference and review.verdict "approved"',
  reason: 'a non-empty --note giving the reason',
  review_result: '--review-result-json with reviewer, verdict and reference',
  review_approval: 'an approving review (verdict "approved" in --review-result-json or approving evidence)',
  review_ref: 'a non-empty --review-ref pointing at the review feedback',
}

const REVIEW_EXIT: GuardId[] = ['review_result']
const REVIEW_APPROVE: GuardId[] = ['review_result', 'review_approval']

/**
 * HEAD's transition table (docs/upstream-contract.md#head-transition-table). A lane missing from a row is an illegal
 * edge.
 */
export const TRANSITIONS: Readonly<Record<Lane, Partial<Record<Lane, GuardId[]>>>> = {
  planned: { claimed: ['actor'], blocked: [], canceled: [] },
  claimed: { in_progress: ['workspace_context'], blocked: [], canceled: [] },
  in_progress: {
    for_review: ['subtasks_complete', 'implementation_evidence'],
    approved: ['approval_evidence'],
    planned: ['reason'],
    blocked: [],
    canceled: [],
  },
  for_review: { in_review: ['actor'], blocked: [], canceled: [] },
  in_review: {
    approved: REVIEW_APPROVE,
    done: REVIEW_APPROVE,
    in_progress: REVIEW_EXIT,
    planned: REVIEW_EXIT,
    blocked: REVIEW_EXIT,
    canceled: REVIEW_EXIT,
  },
  approved: {
    done: ['approval_evidence'],
    in_progress: ['review_ref'],
    planned: ['review_ref'],
    blocked: [],
    canceled: [],
  },
  blocked: { in_progress: [], canceled: [] },
  done: {},
  canceled: {},
}

export interface TransitionContext {
  actor: string
  reason?: string | undefined
  force: boolean
  workspaceContext?: string | undefined
  subtasksComplete: boolean
  /** What completes the subtasks, when it is not tasks.md (a mission with an event log). */
  subtasksHint?: string | undefined
  implementationEvidence: boolean
  reviewRef?: string | undefined
  reviewResult?: ReviewResult | undefined
  evidence?: Evidence | undefined
}

export type TransitionVerdict = { ok: true; forced: boolean } | { ok: false; message: string }

const filled = (s: string | undefined): boolean => !!s && s.trim() !== ''

/**
 * The flags that satisfy a guard, as a person types them. Guard messages keep upstream's words first
 * (clients match on them) and then name the flag, since the internal field names (review_result,
 * review_ref) are not what anyone passes.
 */
export const REVIEW_RESULT_FLAG = `--review-result-json '{"reviewer":"<who>","verdict":"approved|changes_requested","reference":"<review URL>"}'`
/** How a refused move is forced: the CLI's words (the GitHub surfaces say it as a comment command). */
export const FORCE_HINT = '(--force --note "<why>" overrides)'
const APPROVING_EVIDENCE_FLAG = `--evidence-json '{"review":{"reviewer":"<who>","verdict":"approved","reference":"<review URL>"}}'`

/** "Transition to approved/done …" is upstream's text; the lane the caller asked for is the one to name. */
function approvalEvidenceMissing(to: Lane, evidence: Evidence | undefined): string {
  const review = evidence?.review
  const lacking = !evidence
    ? 'pass'
    : `--evidence-json needs review.reviewer, review.reference and review.verdict "approved" (it has verdict ${JSON.stringify(review?.verdict ?? null)}); pass`
  return `Transition to ${to} requires evidence (reviewer identity and approval reference): ${lacking} ${APPROVING_EVIDENCE_FLAG}`
}

function guardFailure(from: Lane, to: Lane, guard: GuardId, ctx: TransitionContext): string | null {
  switch (guard) {
    case 'actor':
      return filled(ctx.actor) ? null : 'Transition requires actor identity: pass --actor <who>'
    case 'workspace_context':
      return filled(ctx.workspaceContext) ? null : `Transition ${from} -> ${to} requires workspace context`
    case 'subtasks_complete':
      return ctx.subtasksComplete
        ? null
        : `Transition ${from} -> ${to} requires completed subtasks or force with reason: ${ctx.subtasksHint ?? 'check every subtask row of the WP in tasks.md (kitty agent tasks mark-status <T…> --status done --mission <mission>)'}, or pass --force --note "<why>"`
    case 'implementation_evidence':
      return ctx.implementationEvidence
        ? null
        : `Transition ${from} -> ${to} requires implementation evidence or force with reason: pass --implementation-evidence-present, or --force --note "<why>"`
    case 'approval_evidence':
      return evidenceApproves(ctx.evidence) ? null : approvalEvidenceMissing(to, ctx.evidence)
    case 'reason':
      return filled(ctx.reason) ? null : `Transition ${from} -> ${to} requires reason: pass --note "<why>"`
    case 'review_result':
      return reviewResultFailure(ctx)
    case 'review_approval': {
      if (ctx.evidence) return evidenceApproves(ctx.evidence) ? null : approvalEvidenceMissing(to, ctx.evidence)
      return ctx.reviewResult?.verdict === 'approved'
        ? null
        : `Transition to ${to} requires evidence (reviewer identity and approval reference): the review's verdict is '${ctx.reviewResult?.verdict}', and only an approving review ("verdict":"approved" in --review-result-json) moves a WP to ${to}; a review that asks for changes goes to in_progress`
    }
    case 'review_ref':
      return filled(ctx.reviewRef)
        ? null
        : 'Transition requires review_ref (review feedback reference): pass --review-ref <reference of the review feedback>'
  }
}

function reviewResultFailure(ctx: TransitionContext): string | null {
  const result = ctx.reviewResult
  const base = 'Transition from in_review requires review_result (structured review outcome)'
  if (!result) {
    // --evidence-json alone is the usual near miss: upstream requires the review outcome for every
    // exit from in_review, and the evidence only backs it up.
    const also = ctx.evidence ? '--evidence-json alone is not the review outcome; also pass' : 'pass'
    return `${base}: ${also} ${REVIEW_RESULT_FLAG}`
  }
  if (!filled(result.reviewer)) return `${base} with reviewer: set "reviewer" in --review-result-json`
  if (!filled(result.verdict)) return `${base} with verdict: set "verdict" in --review-result-json`
  if (!filled(result.reference)) return `${base} with reference: set "reference" in --review-result-json`
  if (ctx.reviewRef !== undefined && ctx.reviewRef !== result.reference) {
    return `review_ref must match review_result.reference: --review-ref is '${ctx.reviewRef}' but the review's reference is '${result.reference}'; pass the same value, or leave --review-ref out`
  }
  if (ctx.evidence && !evidenceMatchesReview(ctx.evidence, result)) {
    return `Review evidence must match review_result: --evidence-json's review differs in ${reviewDifferences(ctx.evidence, result).join(', ')}; give review.reviewer, review.verdict and review.reference the values of --review-result-json`
  }
  return null
}

function reviewDifferences(evidence: Evidence, result: ReviewResult): string[] {
  const review = evidence.review ?? {}
  return (['reviewer', 'verdict', 'reference'] as const)
    .filter((k) => review[k] !== result[k])
    .map((k) => `review.${k}`)
}

/** Decide one edge. `--force` overrides the table and the guards but needs an actor and a reason. */
export function checkTransition(from: Lane, to: Lane, ctx: TransitionContext): TransitionVerdict {
  if (ctx.force) {
    if (!filled(ctx.actor) || !filled(ctx.reason)) {
      const missing = [filled(ctx.actor) ? null : '--actor <who>', filled(ctx.reason) ? null : '--note "<why>"'].filter(
        (f) => f !== null,
      )
      return {
        ok: false,
        message: `Force transitions require actor and reason: pass ${missing.join(' and ')} with --force`,
      }
    }
    return { ok: true, forced: true }
  }
  const guards = TRANSITIONS[from][to]
  if (!guards) return { ok: false, message: illegalMove(from, to) }
  for (const guard of guards) {
    const failure = guardFailure(from, to, guard, ctx)
    if (failure) return { ok: false, message: failure }
  }
  return { ok: true, forced: false }
}

export interface AllowedEdge {
  to: Lane
  guards: { id: GuardId; description: string }[]
}

/** Every legal next lane from `from`, with what each edge needs; in lane display order. */
export function allowedTransitions(from: Lane): AllowedEdge[] {
  const row = TRANSITIONS[from]
  return LANES.filter((lane) => row[lane] !== undefined).map((to) => ({
    to,
    guards: (row[to] ?? []).map((id) => ({ id, description: GUARD_DESCRIPTIONS[id] })),
  }))
}

/** Upstream's "Illegal transition: a -> b", then where the WP may go instead. */
export function illegalMove(from: Lane, to: Lane): string {
  const next = allowedTransitions(from).map((e) => e.to)
  const where =
    next.length > 0 ? `from ${from} a WP may move to ${next.join(', ')}` : `${from} is final: no move leaves it`
  return `Illegal transition: ${from} -> ${to}; ${where} ${FORCE_HINT}`
}
