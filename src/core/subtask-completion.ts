/**
 * Subtask completion where a mission keeps upstream's event log (issue 21, D1), as upstream HEAD
 * decides it (core/subtask_rows.py, status/emit.py `_infer_subtasks_complete`): the WP's roster is its
 * frontmatter `subtasks:` list, and a subtask is done only when the log's reduced `subtasks` slot
 * says `done` (written by `mark-status` as an annotation). tasks.md checkboxes do not count there: a
 * tool that ticks a box without the annotation would pass one gate and fail the other.
 */

/** The slot value upstream's mark-status records for each status. */
export const SLOT_STATUS = { done: 'done', pending: 'planned' } as const

/** Upstream's `normalize_authored_subtask_roster`: trimmed, de-duplicated, in authored order. */
export function normalizeRoster(raw: readonly string[]): string[] {
  return [...new Set(raw.map((id) => id.trim()).filter(Boolean))]
}

/** The roster ids the slot does not record as done (all of them when the slot is absent). */
export function openRosterSubtasks(roster: readonly string[], slot: unknown): string[] {
  const marks =
    slot !== null && typeof slot === 'object' && !Array.isArray(slot) ? (slot as Record<string, unknown>) : {}
  return normalizeRoster(roster).filter((id) => String(marks[id] ?? '') !== SLOT_STATUS.done)
}

const HEADING = /^#{2,4}[^#]/
const HEADING_WP = /\bWP\d{2,}\b/
const ROW = /^\s*[-*]\s*\[[ xX]\]\s*(?:\*\*)?(T\d+)\b/

/**
 * Which WP owns each subtask row of tasks.md, by upstream's section rules (core/subtask_rows.py): a
 * `##`–`####` heading belongs to the first WP id it names (`### WP03 (depends on WP01)` is WP03's), a
 * heading without one does not end the section, a WP's section once left is not reopened by a later
 * heading of the same WP, and rows in fenced code are examples, not subtasks.
 */
export function subtaskOwners(tasksMd: string | null): Map<string, string> {
  const owners = new Map<string, string>()
  if (tasksMd === null) return owners
  const left = new Set<string>()
  let wp: string | null = null
  let fenced = false
  for (const line of tasksMd.split(/\r?\n/)) {
    if (/^\s*(?:```|~~~)/.test(line)) {
      fenced = !fenced
      continue
    }
    if (fenced) continue
    const named = HEADING.test(line) ? (HEADING_WP.exec(line)?.[0] ?? null) : null
    if (named !== null && named !== wp) {
      if (wp !== null) left.add(wp)
      wp = left.has(named) ? null : named
    }
    const row = ROW.exec(line)
    if (row && wp !== null && !owners.has(row[1]!)) owners.set(row[1]!, wp)
  }
  return owners
}
