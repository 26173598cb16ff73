import { cycleError, findCycle } from '../../core/dependency-graph.ts'
import { KittyError } from '../../core/errors.ts'
import { DEPENDENCY_SATISFIED_LANES } from '../../core/lanes.ts'
import type { CommandSpec } from '../framework/command-spec.ts'
import { MISSION_PARAM, REPO_PARAMS } from '../framework/command-spec.ts'
import { loadMission } from '../mission/load-mission.ts'
import { requiredString } from '../framework/request.ts'
import { readTip } from '../mission/state-branch.ts'
import { identityOf } from '../mission/workspace.ts'
import { eventLogWarnings, listedWorkPackages } from '../lanes/event-log.ts'
import { warn } from '../framework/warnings.ts'

export const listReady: CommandSpec = {
  name: 'list-ready',
  group: 'orchestrator-api',
  summary: 'Planned WPs whose dependencies are all approved or done.',
  access: 'read',
  needsRepository: true,
  params: [MISSION_PARAM, ...REPO_PARAMS],
  async run(ctx, req) {
    const mission = await loadMission(await readTip(ctx), requiredString(req, 'mission'))
    const wps = (await listedWorkPackages(mission)).map((wp) => ({ wp }))
    warn(
      ctx,
      await eventLogWarnings(
        mission,
        wps.map(({ wp }) => wp),
      ),
    )
    const lanes = new Map(wps.map(({ wp }) => [wp.id, wp.lane]))
    // A cycle would leave its WPs waiting forever; say so instead of answering "nothing ready".
    const cycle = findCycle(new Map(wps.map(({ wp }) => [wp.id, wp.dependencies])))
    if (cycle) {
      const err = cycleError(cycle)
      throw new KittyError(err.code, err.message, { ...identityOf(mission), ...err.data })
    }
    const ready = wps
      .filter(({ wp }) => wp.lane === 'planned')
      .filter(({ wp }) => wp.dependencies.every((dep) => DEPENDENCY_SATISFIED_LANES.has(lanes.get(dep) ?? 'planned')))
      .map(({ wp }) => ({ wp_id: wp.id, lane: wp.lane, dependencies: wp.dependencies, dependencies_satisfied: true }))
    return { ...identityOf(mission), ready_work_packages: ready }
  },
}
