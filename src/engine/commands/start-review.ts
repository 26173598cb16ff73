import { suggestTransitions } from '../lanes/suggest-transitions.ts'
import { TransitionRejectedError } from '../../core/errors.ts'
import type { Lane } from '../../core/lanes.ts'
import { checkTransition } from '../../core/transitions.ts'
import type { MissionView } from '../../store/state-files/read-mission.ts'
import type { CommandSpec } from '../framework/command-spec.ts'
import { commandMeta } from '../framework/command-meta.ts'
import { loadMission } from '../mission/load-mission.ts'
import { planLaneChange } from '../lanes/plan-lane-change.ts'
import { requirePolicy } from '../lanes/policy-input.ts'
import { optionalString, requiredActor, requiredString, requiredWpId } from '../framework/request.ts'
import { mutate } from '../mission/state-branch.ts'
import { identityOf, workspacePaths } from '../mission/workspace.ts'

export const startReview: CommandSpec = {
  ...commandMeta('orchestrator-api', 'start-review'),
  async run(ctx, req) {
    const policy = requirePolicy(req, 'start-review')
    const handle = requiredString(req, 'mission')
    const asked = requiredWpId(req)
    const actor = requiredActor(req)
    const reviewRef = optionalString(req, 'review-ref')?.trim() || undefined
    const { result } = await mutate<{ mission: MissionView; wpId: string; from: Lane; noOp: boolean; path: string }>(
      ctx,
      async (snapshot) => {
        const mission = await loadMission(snapshot, handle)
        const wpId = mission.resolveWpId(asked)
        const loaded = await mission.wp(wpId)
        const { wp } = loaded
        const result = { mission, wpId, from: wp.lane, noOp: false, path: wp.path }
        if (wp.lane === 'in_review') return { kind: 'noop', result: { ...result, noOp: true } }
        if (wp.lane !== 'for_review') {
          throw new TransitionRejectedError(
            `WP ${wpId} is in '${wp.lane}', cannot start review: a review starts from for_review. ${suggestTransitions(mission.dir, wpId)}`,
            {
              ...identityOf(mission),
              wp_id: wpId,
              lane: wp.lane,
            },
          )
        }
        const verdict = checkTransition('for_review', 'in_review', {
          actor,
          force: false,
          subtasksComplete: true,
          implementationEvidence: true,
        })
        if (!verdict.ok) throw new TransitionRejectedError(verdict.message, { ...identityOf(mission), wp_id: wpId })
        return planLaneChange(
          ctx,
          mission,
          loaded,
          {
            command: 'start-review',
            actor,
            from: 'for_review',
            to: 'in_review',
            // The reference goes on the event line and the trailer, never into the file (upstream rejects the key).
            set: { reviewer: actor },
            policy,
            reviewRef,
            note: 'Started review',
            event: { reason: 'Started review via action command', reviewRef: reviewRef ?? null },
          },
          result,
        )
      },
    )
    const { prompt_path } = workspacePaths(ctx, result.mission, result.wpId, result.path)
    return {
      ...identityOf(result.mission),
      wp_id: result.wpId,
      from_lane: result.from,
      to_lane: 'in_review',
      prompt_path,
      policy_metadata_recorded: true,
      no_op: result.noOp,
    }
  },
}
