import { KittyError } from './errors.ts'

const SECTION_END = /^#{1,2}\s/
const UNCHECKED = /^\s*[-*]\s\[ \]/

/**
 * The `subtasks complete` guard (docs/upstream-contract.md#the-v1-subtasks-rule): inside the first `##` heading that
 * names the WP as a word, any unchecked `- [ ]` row before the next `##` means incomplete. No tasks.md, or no such
 * section, counts as complete.
 */
export function subtasksComplete(tasksMd: string | null, wpId: string): boolean {
  return uncheckedSubtasks(tasksMd, wpId).length === 0
}

/** The unchecked rows of the WP's section, for a message that tells the user what is left. */
export function uncheckedSubtasks(tasksMd: string | null, wpId: string): string[] {
  if (tasksMd === null) return []
  const lines = tasksMd.split(/\r?\n/)
  const mention = new RegExp(`\\b${wpId}\\b`)
  const start = lines.findIndex((l) => /^##/.test(l) && mention.test(l))
  if (start === -1) return []
  const open: string[] = []
  for (const line of lines.slice(start + 1)) {
    if (SECTION_END.test(line)) break
    if (UNCHECKED.test(line)) open.push(/\bT\d+\b/.exec(line)?.[0] ?? line.trim())
  }
  return open
}

/**
 * Tick (or untick) one subtask row `- [ ] T012 …` in tasks.md, changing only that checkbox character.
 */
export function markSubtask(tasksMd: string, taskId: string, done: boolean): { text: string; changed: boolean } {
  const row = new RegExp(`^(\\s*[-*]\\s\\[)([ xX])(\\]\\s+(?:\\*\\*)?${taskId}\\b)`, 'm')
  const m = row.exec(tasksMd)
  if (!m) {
    throw new KittyError('SUBTASK_NOT_FOUND', `Subtask ${taskId} has no checkbox row in tasks.md`, { task_id: taskId })
  }
  const mark = done ? 'x' : ' '
  const current = m[2] === ' ' ? ' ' : 'x'
  if (current === mark) return { text: tasksMd, changed: false }
  const at = m.index + m[1]!.length
  return { text: tasksMd.slice(0, at) + mark + tasksMd.slice(at + 1), changed: true }
}
