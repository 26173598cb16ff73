import { missionTrailers } from '../lanes/plan-lane-change.ts'
import { KittyError, UsageError } from '../../core/errors.ts'
import { markSubtask } from '../../core/tasks-md.ts'
import type { MissionView } from '../../store/state-files/read-mission.ts'
import type { CommandSpec } from '../framework/command-spec.ts'
import { MISSION_PARAM, REPO_PARAMS } from '../framework/command-spec.ts'
import { loadMission } from '../mission/load-mission.ts'
import { optionalString, requiredString } from '../framework/request.ts'
import { mutate } from '../mission/state-branch.ts'
import { identityOf } from '../mission/workspace.ts'

/**
 * `spec-kitty agent tasks mark-status T012 --status done --mission M`: the one agent helper the public
 * orchestrator tells its agents to run, so the subtasks guard can pass (docs/design.md#subtask-marks).
 */
export const markStatus: CommandSpec = {
  name: 'mark-status',
  group: 'agent tasks',
  summary: "Tick (or untick) a subtask's checkbox in tasks.md and commit it.",
  access: 'write',
  needsRepository: true,
  positionals: [{ name: 'task_id', description: 'Subtask id, e.g. T012 (several may be given).' }],
  params: [
    MISSION_PARAM,
    { name: 'status', type: 'string', required: true, description: 'done or pending.' },
    { name: 'actor', type: 'string', description: 'Who marks it (default: the commit identity).' },
    ...REPO_PARAMS,
  ],
  async run(ctx, req) {
    const ids = req.positionals
    if (ids.length === 0) throw new UsageError("Missing argument 'TASK_ID'.")
    const bad = ids.find((id) => !/^T\d+$/.test(id))
    if (bad !== undefined) throw new UsageError(`'${bad}' is not a subtask id like T012.`)
    const status = requiredString(req, 'status')
    if (status !== 'done' && status !== 'pending')
      throw new UsageError("Option '--status' must be 'done' or 'pending'.")
    const handle = requiredString(req, 'mission')
    const actor = optionalString(req, 'actor')?.trim() || ctx.author.name
    const { result } = await mutate<{ mission: MissionView; changed: string[] }>(ctx, async (snapshot) => {
      const mission = await loadMission(snapshot, handle)
      let text = await mission.tasksMd()
      if (text === null) throw new KittyError('SUBTASK_NOT_FOUND', `${mission.path} has no tasks.md`, { task_ids: ids })
      const changed: string[] = []
      for (const id of ids) {
        const marked = markSubtask(text, id, status === 'done')
        text = marked.text
        if (marked.changed) changed.push(id)
      }
      if (changed.length === 0) return { kind: 'noop', result: { mission, changed } }
      return {
        kind: 'commit',
        message: {
          subject: `kitty(${mission.identity.mission_slug}): mark ${changed.join(', ')} ${status}`,
          trailers: missionTrailers(ctx, mission, 'mark-status', actor),
        },
        changes: new Map([[mission.tasksMdPath(), new TextEncoder().encode(text)]]),
        result: { mission, changed },
      }
    })
    return {
      ...identityOf(result.mission),
      task_ids: ids,
      status,
      changed: result.changed,
      no_op: result.changed.length === 0,
    }
  },
}
