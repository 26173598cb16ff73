import { suggestTransitions } from '../lanes/suggest-transitions.ts'
import { TransitionRejectedError } from '../../core/errors.ts'
import type { Lane } from '../../core/lanes.ts'
import { LANE_ALIASES, LANES, normalizeLane, POLICY_REQUIRED_LANES } from '../../core/lanes.ts'
import type { Policy } from '../../core/policy.ts'
import type { Evidence, ReviewResult } from '../../core/review.ts'
import { evidenceIsComplete } from '../../core/review.ts'
import { openRosterSubtasks } from '../../core/subtask-completion.ts'
import { subtasksComplete } from '../../core/tasks-md.ts'
import { checkTransition, illegalMove } from '../../core/transitions.ts'
import { didYouMean } from '../../core/closest-names.ts'
import type { WorkPackage } from '../../core/work-package.ts'
import type { WrittenWpKey } from '../../core/wp-frontmatter-keys.ts'
import type { MissionView } from '../../store/state-files/read-mission.ts'
import type { CommandSpec } from '../framework/command-spec.ts'
import { commandMeta } from '../framework/command-meta.ts'
import { loadMission } from '../mission/load-mission.ts'
import { planLaneChange } from '../lanes/plan-lane-change.ts'
import { optionalPolicy, requirePolicy } from '../lanes/policy-input.ts'
import type { Request } from '../framework/request.ts'
import {
  optionalBoolean,
  optionalNote,
  optionalString,
  requiredActor,
  requiredString,
  requiredWpId,
} from '../framework/request.ts'
import { mutate } from '../mission/state-branch.ts'
import { identityOf } from '../mission/workspace.ts'

interface TransitionRequest {
  handle: string
  wpId: string
  to: Lane
  actor: string
  note: string | undefined
  policy: Policy | null
  force: boolean
  reviewRef: string | undefined
  reviewResult: ReviewResult | undefined
  evidence: Evidence | undefined
  subtasksFlag: boolean | undefined
  evidenceFlag: boolean | undefined
}

/** Upstream's "Unknown lane: x", then the lanes there are. */
function unknownLane(raw: string): TransitionRejectedError {
  const typed = raw.trim()
  const hint = didYouMean(typed, [...LANES, ...Object.keys(LANE_ALIASES)])
  return new TransitionRejectedError(
    `Unknown lane: ${typed}.${hint} Lanes: ${LANES.join(', ')} (doing = in_progress).`,
    { to: raw, lanes: [...LANES] },
  )
}

/** What --evidence-json lacks, named as the caller wrote it. */
function evidenceGaps(evidence: Evidence): string[] {
  const review = evidence.review
  const blank = (v: unknown) => typeof v !== 'string' || v.trim() === ''
  return (['reviewer', 'verdict', 'reference'] as const)
    .filter((k) => !review || blank(review[k]))
    .map((k) => `review.${k}`)
}

/**
 * Parse and check the request in upstream's order (docs/upstream-contract.md#transition-order-of-checks, steps 1–4).
 */
async function readRequest(req: Request): Promise<TransitionRequest> {
  const rawTo = requiredString(req, 'to')
  const to = normalizeLane(rawTo)
  if (!to) throw unknownLane(rawTo)
  const policy = POLICY_REQUIRED_LANES.has(to) ? requirePolicy(req, `transitioning to '${to}'`) : optionalPolicy(req)
  const evidenceJson = optionalString(req, 'evidence-json')
  const reviewJson = optionalString(req, 'review-result-json')
  // Read with zod, imported only when one is given: no other command (nor a plain transition) evaluates it.
  const json = evidenceJson !== undefined || reviewJson !== undefined ? await import('../../core/review-json.ts') : null
  return {
    handle: requiredString(req, 'mission'),
    wpId: requiredWpId(req),
    to,
    actor: requiredActor(req),
    note: optionalNote(req)?.trim() || undefined,
    policy,
    force: optionalBoolean(req, 'force') ?? false,
    reviewRef: optionalString(req, 'review-ref'),
    evidence: evidenceJson === undefined ? undefined : json!.parseEvidenceJson(evidenceJson),
    reviewResult: reviewJson === undefined ? undefined : json!.parseReviewResultJson(reviewJson),
    subtasksFlag: optionalBoolean(req, 'subtasks-complete'),
    evidenceFlag: optionalBoolean(req, 'implementation-evidence-present'),
  }
}

/**
 * Frontmatter keys a transition updates besides the lane, so the file reads true afterwards. The review
 * reference is not one of them: it goes on the event line and in the commit's trailer (issue 21, D10).
 */
function frontmatterEffects(wp: WorkPackage, r: TransitionRequest): Partial<Record<WrittenWpKey, string | null>> {
  const set: Partial<Record<WrittenWpKey, string | null>> = {}
  if (r.to === 'claimed' || (r.to === 'in_progress' && wp.assignee === null)) set['assignee'] = r.actor
  if (r.to === 'planned') set['assignee'] = null
  if (r.policy && (r.to === 'claimed' || r.to === 'in_progress')) set['agent'] = r.policy.agent_family
  if (wp.lane === 'in_review' && r.reviewResult) {
    set['review_status'] = r.reviewResult.verdict === 'approved' ? 'approved' : 'has_feedback'
    set['reviewed_by'] = r.reviewResult.reviewer
  }
  return set
}

async function guardInputs(mission: MissionView, wp: WorkPackage, r: TransitionRequest) {
  // The caller may only make these stricter: HEAD recomputes subtasks and ignores a claimed `true`.
  const needsSubtasks = wp.lane === 'in_progress' && r.to === 'for_review' && !r.force
  const gate = needsSubtasks ? await subtasksGate(mission, wp) : { complete: true }
  return {
    subtasksComplete: gate.complete && r.subtasksFlag !== false,
    subtasksHint: gate.hint,
    implementationEvidence: r.evidenceFlag ?? (wp.historyLength > 0 || wp.lane !== 'planned'),
  }
}

/**
 * With an event log, upstream's rule (the frontmatter roster, done per the log's subtasks slot);
 * without one, today's tasks.md checkboxes.
 */
async function subtasksGate(mission: MissionView, wp: WorkPackage): Promise<{ complete: boolean; hint?: string }> {
  if (!mission.events) return { complete: subtasksComplete(await mission.tasksMd(), wp.id) }
  if (wp.rosterMissing)
    return {
      complete: false,
      hint:
        `Cannot resolve subtask roster for ${wp.id}: subtasks key is missing (upstream's words; it refuses too). ` +
        `Add a subtasks: list to ${wp.path} (subtasks: [] when ${wp.id} has none)`,
    }
  const open = openRosterSubtasks(wp.subtasks, mission.events.reduced.work_packages[wp.id]?.['subtasks'])
  if (open.length === 0) return { complete: true }
  return {
    complete: false,
    hint:
      `${open.join(', ')} of ${wp.id} ${open.length === 1 ? 'is' : 'are'} not done in the event log, which decides for this mission as upstream reads it (tasks.md checkboxes do not count): ` +
      `kitty agent tasks mark-status ${open.join(' ')} --status done --mission ${mission.dir} (it records the mark in the log and ticks tasks.md)`,
  }
}

export const transition: CommandSpec = {
  ...commandMeta('orchestrator-api', 'transition'),
  async run(ctx, req) {
    const r = await readRequest(req)
    const { result } = await mutate<{ mission: MissionView; wpId: string; from: Lane }>(ctx, async (snapshot) => {
      const mission = await loadMission(snapshot, r.handle)
      const loaded = await mission.wp(r.wpId)
      const { wp } = loaded
      const fail = (message: string) => new TransitionRejectedError(message, { ...identityOf(mission), wp_id: wp.id })
      // Upstream says "Moving to done" whatever the target; the caller asked for r.to.
      if (r.evidence && !evidenceIsComplete(r.evidence)) {
        throw fail(
          `Moving to ${r.to} requires evidence with review.reviewer, review.verdict and review.reference: --evidence-json lacks ${evidenceGaps(r.evidence).join(', ')}`,
        )
      }
      const seeTransitions = ` ${suggestTransitions(mission.dir, wp.id)}`
      if (wp.lane === r.to && !r.force) throw fail(`${illegalMove(wp.lane, r.to)}.${seeTransitions}`)
      const verdict = checkTransition(wp.lane, r.to, {
        actor: r.actor,
        reason: r.note,
        force: r.force,
        workspaceContext: 'worktree',
        reviewRef: r.reviewRef,
        reviewResult: r.reviewResult,
        evidence: r.evidence,
        ...(await guardInputs(mission, wp, r)),
      })
      if (!verdict.ok)
        throw fail(
          verdict.message.startsWith('Illegal transition:') ? `${verdict.message}.${seeTransitions}` : verdict.message,
        )
      return planLaneChange(
        ctx,
        mission,
        loaded,
        {
          command: 'transition',
          actor: r.actor,
          from: wp.lane,
          to: r.to,
          set: frontmatterEffects(wp, r),
          note: r.note,
          policy: r.policy,
          force: r.force,
          reviewRef: r.reviewRef ?? r.reviewResult?.reference,
          event: {
            reason: r.note ?? null,
            reviewRef: r.reviewRef ?? null,
            reviewResult: r.reviewResult,
            evidence: r.evidence,
          },
        },
        { mission, wpId: wp.id, from: wp.lane },
      )
    })
    return {
      ...identityOf(result.mission),
      wp_id: result.wpId,
      from_lane: result.from,
      to_lane: r.to,
      policy_metadata_recorded: r.policy !== null,
    }
  },
}
