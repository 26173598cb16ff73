import { missionTrailers } from '../lanes/mission-trailers.ts'
import { isoTimestamp } from '../../core/envelope.ts'
import { KittyError } from '../../core/errors.ts'
import { DEPENDENCY_SATISFIED_LANES } from '../../core/lanes.ts'
import { editMetaJson } from '../../store/state-files/meta-json.ts'
import type { MissionView } from '../../store/state-files/read-mission.ts'
import type { CommandSpec } from '../framework/command-spec.ts'
import { commandMeta } from '../framework/command-meta.ts'
import type { EngineContext } from '../framework/context.ts'
import { loadMission } from '../mission/load-mission.ts'
import { requiredActor, requiredString } from '../framework/request.ts'
import { mutate, readTip } from '../mission/state-branch.ts'
import { identityOf, wpBranchNames } from '../mission/workspace.ts'
import { workflowEvidenceProblem } from '../mission/check-workflow-evidence.ts'
import { mirrorMergeHistory } from '../../store/remote/mirror-branches.ts'

const HISTORY_CAP = 20

/** With --remote, the WP branches the workflow-evidence gate looks at must be in the cache. */
async function mirrorWpBranches(ctx: EngineContext, handle: string): Promise<void> {
  const mission = await loadMission(await readTip(ctx), handle)
  const branches = wpBranchNames(
    ctx,
    mission,
    (await mission.all()).map(({ wp }) => wp),
  )
  await mirrorMergeHistory(ctx.repo, ctx.remote!.options, ctx.branch.branch, branches)
}

interface Accepted {
  mission: MissionView
  acceptedAt: string
  approved: string[]
  done: string[]
}

export const acceptMission: CommandSpec = {
  ...commandMeta('orchestrator-api', 'accept-mission'),
  async run(ctx, req) {
    const handle = requiredString(req, 'mission')
    const actor = requiredActor(req)
    if (ctx.remote) await mirrorWpBranches(ctx, handle)
    const { result } = await mutate<Accepted>(ctx, async (snapshot) => {
      const mission = await loadMission(snapshot, handle)
      const wps = (await mission.all()).map((l) => l.wp)
      const incomplete = wps.filter((wp) => !DEPENDENCY_SATISFIED_LANES.has(wp.lane)).map((wp) => wp.id)
      if (incomplete.length > 0) {
        throw new KittyError('MISSION_NOT_READY', `Mission has ${incomplete.length} incomplete WP(s)`, {
          ...identityOf(mission),
          incomplete_wps: incomplete,
        })
      }
      const evidence = await workflowEvidenceProblem(ctx, snapshot, mission)
      if (evidence) throw evidence
      const acceptedAt = isoTimestamp(ctx.now())
      const record = { accepted_at: acceptedAt, accepted_by: actor, acceptance_mode: 'orchestrator' }
      const previous = mission.meta.raw?.['acceptance_history']
      const history = [...(Array.isArray(previous) ? previous : []), record].slice(-HISTORY_CAP)
      const base = mission.metaText === null ? { mission_slug: mission.identity.mission_slug, slug: mission.dir } : {}
      const text = editMetaJson(mission.metaText, { ...base, ...record, acceptance_history: history })
      const result: Accepted = {
        mission,
        acceptedAt,
        approved: wps.filter((wp) => wp.lane === 'approved').map((wp) => wp.id),
        done: wps.filter((wp) => wp.lane === 'done').map((wp) => wp.id),
      }
      return {
        kind: 'commit',
        message: {
          subject: `kitty(${mission.identity.mission_slug}): accept-mission`,
          trailers: missionTrailers(ctx, mission, 'accept-mission', actor),
        },
        changes: new Map([[`${mission.path}/meta.json`, new TextEncoder().encode(text)]]),
        result,
      }
    })
    const { mission, approved, done } = result
    return {
      ...identityOf(mission),
      accepted: true,
      mode: 'auto',
      accepted_at: result.acceptedAt,
      accepted_wps: [...approved, ...done],
      approved_wps: approved,
      done_wps: done,
      merge_pending_wps: approved,
    }
  },
}
