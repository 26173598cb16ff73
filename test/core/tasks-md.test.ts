import { describe, expect, it } from 'vitest'
import { markSubtask, subtasksComplete, uncheckedSubtasks } from '../../src/core/tasks-md.ts'

const TASKS = `# Work Packages

## Work Package WP01: Models (Priority: P0)

### Included Subtasks
- [x] T001 Create models
- [ ] T002 Unit tests

## Work Package WP02: Store

- [x] T003 Store
- [X] **T004** Tests
`

describe('tasks.md', () => {
  it('finds unchecked rows in the WP section only, across ### sub-headings', () => {
    expect(uncheckedSubtasks(TASKS, 'WP01')).toEqual(['T002'])
    expect(subtasksComplete(TASKS, 'WP01')).toBe(false)
    expect(subtasksComplete(TASKS, 'WP02')).toBe(true)
  })
  it('no tasks.md or no section counts as complete', () => {
    expect(subtasksComplete(null, 'WP01')).toBe(true)
    expect(subtasksComplete(TASKS, 'WP09')).toBe(true)
  })
  it('marks one checkbox, changing exactly one character', () => {
    const { text, changed } = markSubtask(TASKS, 'T002', true)
    expect(changed).toBe(true)
    expect(text.length).toBe(TASKS.length)
    expect([...text].filter((c, i) => c !== TASKS[i])).toEqual(['x'])
    expect(subtasksComplete(text, 'WP01')).toBe(true)
    expect(markSubtask(text, 'T002', true).changed).toBe(false)
    expect(markSubtask(TASKS, 'T004', false).text).toContain('- [ ] **T004** Tests')
  })
  it('an unknown subtask is SUBTASK_NOT_FOUND', () => {
    expect(() => markSubtask(TASKS, 'T099', true)).toThrow(expect.objectContaining({ code: 'SUBTASK_NOT_FOUND' }))
    expect(() => markSubtask(TASKS, 'T00', true)).toThrow(expect.objectContaining({ code: 'SUBTASK_NOT_FOUND' }))
  })
})
