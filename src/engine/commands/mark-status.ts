import { missionTrailers } from '../lanes/mission-trailers.ts'
import { isKittyError, KittyError, UsageError } from '../../core/errors.ts'
import { normalizeRoster, SLOT_STATUS, subtaskOwners } from '../../core/subtask-completion.ts'
import { markSubtask } from '../../core/tasks-md.ts'
import type { MissionView } from '../../store/state-files/read-mission.ts'
import type { CommandSpec } from '../framework/command-spec.ts'
import { commandMeta } from '../framework/command-meta.ts'
import { loadMission } from '../mission/load-mission.ts'
import { optionalString, requiredString } from '../framework/request.ts'
import { mutate } from '../mission/state-branch.ts'
import type { AnnotationDraft } from '../lanes/event-log.ts'
import { eventLogChanges } from '../lanes/event-log.ts'
import { identityOf } from '../mission/workspace.ts'

type Status = 'done' | 'pending'

const encoder = new TextEncoder()

interface Ticked {
  text: string | null
  changed: string[]
}

/** A frontmatter-only mission: tasks.md is the record, so every id needs its checkbox row. */
function tickBoxes(mission: MissionView, tasksMd: string | null, ids: string[], status: Status): Ticked {
  if (tasksMd === null) throw new KittyError('SUBTASK_NOT_FOUND', `${mission.path} has no tasks.md`, { task_ids: ids })
  return tick(tasksMd, ids, status)
}

/** With an event log, an id may live only in a WP's roster: tick the rows tasks.md has. */
function tickBoxesFound(tasksMd: string | null, ids: string[], status: Status): Ticked {
  if (tasksMd === null) return { text: null, changed: [] }
  return tick(
    tasksMd,
    ids.filter((id) => hasRow(tasksMd, id)),
    status,
  )
}

function tick(tasksMd: string, ids: string[], status: Status): Ticked {
  let text = tasksMd
  const changed: string[] = []
  for (const id of ids) {
    const marked = markSubtask(text, id, status === 'done')
    text = marked.text
    if (marked.changed) changed.push(id)
  }
  return { text, changed }
}

function hasRow(text: string, id: string): boolean {
  try {
    markSubtask(text, id, true)
    return true
  } catch {
    return false
  }
}

/**
 * With an event log, the mark is upstream's annotation (`{"subtasks": {"T001": "done"}}`), one per
 * owning WP: the owner from tasks.md's sections, else from the WP rosters (frontmatter `subtasks:`).
 */
async function logMarks(
  mission: MissionView,
  tasksMd: string | null,
  ids: string[],
  status: Status,
  actor: string,
): Promise<{ drafts: AnnotationDraft[]; changed: string[] }> {
  const owners = subtaskOwners(tasksMd)
  const missing = ids.filter((id) => !owners.has(id))
  if (missing.length > 0) for (const [id, wp] of await rosterOwners(mission)) if (!owners.has(id)) owners.set(id, wp)
  const unowned = ids.filter((id) => !owners.has(id))
  if (unowned.length > 0) {
    throw new KittyError(
      'SUBTASK_NOT_FOUND',
      `Subtask ${unowned.join(', ')} belongs to no WP of ${mission.dir}: no tasks.md row under a WP heading and no WP's subtasks: list names it`,
      { task_ids: unowned },
    )
  }
  const target = SLOT_STATUS[status]
  const byWp = new Map<string, Record<string, string>>()
  for (const id of ids) {
    const wp = owners.get(id)!
    const slot = mission.events?.reduced.work_packages[wp]?.['subtasks'] as Record<string, unknown> | undefined
    if (slot?.[id] === target) continue
    byWp.set(wp, { ...(byWp.get(wp) ?? {}), [id]: target })
  }
  const drafts: AnnotationDraft[] = [...byWp].map(([wpId, subtasks]) => ({
    kind: 'annotation',
    wpId,
    actor,
    delta: { subtasks },
  }))
  return { drafts, changed: [...byWp.values()].flatMap((d) => Object.keys(d)) }
}

async function rosterOwners(mission: MissionView): Promise<Map<string, string>> {
  const owners = new Map<string, string>()
  for (const id of mission.wpIds()) {
    try {
      for (const task of normalizeRoster((await mission.wp(id)).wp.subtasks))
        if (!owners.has(task)) owners.set(task, id)
    } catch (err) {
      if (!isKittyError(err)) throw err
    }
  }
  return owners
}

/**
 * `spec-kitty agent tasks mark-status T012 --status done --mission M`: the one agent helper the public
 * orchestrator tells its agents to run, so the subtasks guard can pass (docs/design.md#subtask-marks).
 */
export const markStatus: CommandSpec = {
  ...commandMeta('agent tasks', 'mark-status'),
  async run(ctx, req) {
    const ids = req.positionals
    if (ids.length === 0) throw new UsageError("Missing argument 'TASK_ID'.")
    const bad = ids.find((id) => !/^T\d+$/.test(id))
    if (bad !== undefined) throw new UsageError(`'${bad}' is not a subtask id like T012.`)
    const status = requiredString(req, 'status')
    if (status !== 'done' && status !== 'pending')
      throw new UsageError("Option '--status' must be 'done' or 'pending'.")
    // Narrowed for the helpers below.
    const mark: Status = status
    const handle = requiredString(req, 'mission')
    const actor = optionalString(req, 'actor')?.trim() || ctx.author.name
    const { result } = await mutate<{ mission: MissionView; changed: string[] }>(ctx, async (snapshot) => {
      const mission = await loadMission(snapshot, handle)
      const tasksMd = await mission.tasksMd()
      const boxes = mission.events ? tickBoxesFound(tasksMd, ids, mark) : tickBoxes(mission, tasksMd, ids, mark)
      const marks = mission.events ? await logMarks(mission, tasksMd, ids, mark, actor) : { drafts: [], changed: [] }
      const changed = ids.filter((id) => boxes.changed.includes(id) || marks.changed.includes(id))
      if (changed.length === 0) return { kind: 'noop', result: { mission, changed } }
      const changes = new Map(eventLogChanges(ctx, mission, marks.drafts))
      if (boxes.text !== tasksMd && boxes.text !== null) changes.set(mission.tasksMdPath(), encoder.encode(boxes.text))
      return {
        kind: 'commit',
        message: {
          subject: `kitty(${mission.identity.mission_slug}): mark ${changed.join(', ')} ${status}`,
          trailers: missionTrailers(ctx, mission, 'mark-status', actor),
        },
        changes,
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
