import { cycleError, findCycle } from '../../core/dependency-graph.ts'
import { KittyError } from '../../core/errors.ts'
import { DEPENDENCY_SATISFIED_LANES } from '../../core/lanes.ts'
import type { CommandSpec } from '../framework/command-spec.ts'
import { commandMeta } from '../framework/command-meta.ts'
import { loadMission } from '../mission/load-mission.ts'
import { requiredString } from '../framework/request.ts'
import { readTip } from '../mission/state-branch.ts'
import { identityOf } from '../mission/workspace.ts'
import { driftNotes, eventLogWarnings, listedWorkPackages, unfinalizedIds } from '../lanes/event-log.ts'
import type { MissionView } from '../../store/state-files/read-mission.ts'
import { warn } from '../framework/warnings.ts'
import { pendingWriteWarnings } from '../mission/pending-upstream-writes.ts'

type Held = 'no_task_file' | 'not_finalized'

/**
 * Planned WPs start-implementation would refuse (issue 21, D6/D7/D9), so a list of ready work never
 * promises what cannot start: a WP only the event log knows has no file to record the claim in, and
 * one the log has never seen is "not finalized" for upstream.
 */
function cannotStart(mission: MissionView): Map<string, Held> {
  const held = new Map<string, Held>()
  for (const id of mission.eventOnlyIds()) held.set(id, 'no_task_file')
  for (const id of unfinalizedIds(mission)) held.set(id, 'not_finalized')
  return held
}

function heldWarnings(mission: MissionView, ids: string[], held: Map<string, Held>): string[] {
  const of = (why: Held) => ids.filter((id) => held.get(id) === why)
  const out: string[] = []
  const fileless = of('no_task_file')
  if (fileless.length > 0)
    out.push(
      `${fileless.join(', ')} ${fileless.length === 1 ? 'is' : 'are'} planned with dependencies satisfied but not listed as ready: only the event log knows ${fileless.length === 1 ? 'it' : 'them'}, with no task file for start-implementation to record the claim in. Give ${fileless.length === 1 ? 'it' : 'them'} files with kitty migrate --mission ${mission.dir} --to frontmatter.`,
    )
  const unseeded = of('not_finalized')
  if (unseeded.length > 0)
    out.push(
      `${unseeded.join(', ')} ${unseeded.length === 1 ? 'is' : 'are'} planned with dependencies satisfied but not listed as ready: the event log has no event for ${unseeded.length === 1 ? 'it' : 'them'} (not finalized), so start-implementation refuses, as upstream does. Seed ${unseeded.length === 1 ? 'it' : 'them'} with kitty reconcile --mission ${mission.dir} (or spec-kitty agent mission finalize-tasks).`,
    )
  return out
}

export const listReady: CommandSpec = {
  ...commandMeta('orchestrator-api', 'list-ready'),
  async run(ctx, req) {
    const mission = await loadMission(await readTip(ctx), requiredString(req, 'mission'))
    warn(ctx, await pendingWriteWarnings(ctx, mission))
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
    const candidates = wps
      .filter(({ wp }) => wp.lane === 'planned')
      .filter(({ wp }) => wp.dependencies.every((dep) => DEPENDENCY_SATISFIED_LANES.has(lanes.get(dep) ?? 'planned')))
    const held = cannotStart(mission)
    warn(
      ctx,
      heldWarnings(
        mission,
        candidates.map(({ wp }) => wp.id).filter((id) => held.has(id)),
        held,
      ),
    )
    const ready = candidates
      .filter(({ wp }) => !held.has(wp.id))
      .map(({ wp }) => ({ wp_id: wp.id, lane: wp.lane, dependencies: wp.dependencies, dependencies_satisfied: true }))
    const notes = driftNotes(
      mission,
      wps.map(({ wp }) => wp),
    )
    return { ...identityOf(mission), ready_work_packages: ready, ...(notes.length > 0 ? { notes } : {}) }
  },
}
