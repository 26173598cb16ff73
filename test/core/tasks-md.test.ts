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

describe('uncheckedSubtasks: where the section starts and ends', () => {
  it('the section heading may be the second line', () => {
    expect(uncheckedSubtasks('# Tasks\n## WP01\n- [ ] T001 a\n', 'WP01')).toEqual(['T001'])
  })
  it('only a line that starts with ## opens a section; a mention elsewhere does not', () => {
    const md = 'Intro: see WP01 ## later\n- [ ] T001 stray\n## WP02\n- [ ] T002 b\n'
    expect(uncheckedSubtasks(md, 'WP01')).toEqual([])
    expect(uncheckedSubtasks(md, 'WP02')).toEqual(['T002'])
  })
  it('without a section for the WP, rows elsewhere do not count', () => {
    expect(uncheckedSubtasks('- [ ] T001 before any heading\n## WP02\n', 'WP01')).toEqual([])
  })
  it('the next # or ## heading ends the section', () => {
    expect(uncheckedSubtasks('## WP01\n- [ ] T001 a\n## WP02\n- [ ] T002 b\n', 'WP01')).toEqual(['T001'])
    expect(uncheckedSubtasks('## WP01\n- [x] T001 a\n# Appendix\n- [ ] T009 c\n', 'WP01')).toEqual([])
  })
  it('a row without a T-number is reported as its trimmed text', () => {
    expect(uncheckedSubtasks('## WP01\n  - [ ] write the docs  \n* [ ] T003 x\n', 'WP01')).toEqual([
      '- [ ] write the docs',
      'T003',
    ])
  })
})

describe('markSubtask: edges', () => {
  it('unticking a row that is already unticked changes nothing', () => {
    expect(markSubtask(TASKS, 'T002', false)).toEqual({ text: TASKS, changed: false })
  })
  it('an unknown subtask names itself in the message and data', () => {
    let caught: unknown
    try {
      markSubtask(TASKS, 'T099', true)
    } catch (err) {
      caught = err
    }
    expect(caught).toMatchObject({
      code: 'SUBTASK_NOT_FOUND',
      message: 'Subtask T099 has no checkbox row in tasks.md',
      data: { task_id: 'T099' },
    })
  })
})
