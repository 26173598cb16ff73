import { emptySummary } from '../../core/lanes.ts'
import type { CommandSpec } from '../framework/command-spec.ts'
import { commandMeta } from '../framework/command-meta.ts'
import { loadMission } from '../mission/load-mission.ts'
import { requiredString } from '../framework/request.ts'
import { readTip } from '../mission/state-branch.ts'
import { identityOf } from '../mission/workspace.ts'
import { driftNotes, eventLogWarnings, listedWorkPackages } from '../lanes/event-log.ts'
import { warn } from '../framework/warnings.ts'
import { pendingWriteWarnings } from '../mission/pending-upstream-writes.ts'

export const missionState: CommandSpec = {
  ...commandMeta('orchestrator-api', 'mission-state'),
  async run(ctx, req) {
    const mission = await loadMission(await readTip(ctx), requiredString(req, 'mission'))
    warn(ctx, await pendingWriteWarnings(ctx, mission))
    const summary = emptySummary()
    const work_packages = []
    const wps = await listedWorkPackages(mission)
    warn(ctx, await eventLogWarnings(mission, wps))
    for (const wp of wps) {
      summary[wp.lane]++
      work_packages.push({
        wp_id: wp.id,
        title: wp.title,
        lane: wp.lane,
        dependencies: wp.dependencies,
        assignee: wp.assignee,
        last_actor: wp.lastActor,
      })
    }
    const notes = driftNotes(mission, wps)
    return { ...identityOf(mission), summary, work_packages, ...(notes.length > 0 ? { notes } : {}) }
  },
}
