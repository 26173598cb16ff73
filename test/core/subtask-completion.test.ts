import { describe, expect, it } from 'vitest'
import { normalizeRoster, openRosterSubtasks, subtaskOwners } from '../../src/core/subtask-completion.ts'

/**
 * Golden cases from upstream spec-kitty e6e3b73: tests/specify_cli/core/test_subtask_rows.py (section
 * rules) and test_subtask_rows_snapshot.py (roster + snapshot completion), restated as what kitty
 * computes.
 */

const owned = (tasksMd: string, wp: string) => [...subtaskOwners(tasksMd)].filter(([, w]) => w === wp).map(([t]) => t)

describe('subtaskOwners: upstream section rules', () => {
  it('counts only that WP’s rows (test_wp_section_counts_only_that_wps_rows)', () => {
    const md =
      '# Tasks\n## WP01 — Acquisition (depends: none)\n- [x] T001 fetch (WP01)\n- [ ] T002 Windowing (WP01)\n' +
      '## WP02 — Rendering (depends: WP01)\n- [ ] T006 fields (WP02)\n- [x] T007 rendering (WP02)\n'
    expect(owned(md, 'WP01')).toEqual(['T001', 'T002'])
    expect(owned(md, 'WP02')).toEqual(['T006', 'T007'])
    expect(owned(md, 'WP03')).toEqual([])
  })

  it('a depends heading belongs to its first WP id (test_wp_section_depends_heading_does_not_reenter)', () => {
    const md = '## WP01 — First\n- [ ] T001 real\n## WP03 — Third (depends: WP01, WP02)\n- [ ] T009 WP03 work\n'
    expect(owned(md, 'WP01')).toEqual(['T001'])
    expect(owned(md, 'WP03')).toEqual(['T009'])
  })

  it('a re-appearing heading does not reopen the section (NFR-005 regression guard)', () => {
    const md =
      '## WP01 — First block\n- [x] T001 a\n- [ ] T002 b\n## WP02 — Middle\n- [x] T010 c\n' +
      '## WP01 — Second block (stray duplicate)\n- [x] T020 d\n'
    expect(owned(md, 'WP01')).toEqual(['T001', 'T002'])
    expect(subtaskOwners(md).has('T020')).toBe(false)
  })

  it('nested sub-headings without a WP id keep the section; fenced rows are not subtasks; T1000 counts', () => {
    expect(owned('## WP01 — Work\n### Details\n- [x] T001 nested\n', 'WP01')).toEqual(['T001'])
    const fenced = '## WP01 — Work\n- [x] T001 real\n```\n- [ ] T002 example\n```\n- [ ] T003 real\n'
    expect(owned(fenced, 'WP01')).toEqual(['T001', 'T003'])
    expect(owned('## WP01\n- [x] T1000 big\n- [ ] T1234 another\n', 'WP01')).toEqual(['T1000', 'T1234'])
    expect(subtaskOwners(null).size).toBe(0)
  })
})

describe('openRosterSubtasks: the frontmatter roster, done per the log slot', () => {
  it('fails closed on a silent slot, opens when all are done (test_unchecked_from_snapshot_fail_closed_and_done_detection)', () => {
    expect(openRosterSubtasks(['T001', 'T002'], undefined)).toEqual(['T001', 'T002'])
    expect(openRosterSubtasks(['T001', 'T002'], { T001: 'done', T002: 'done' })).toEqual([])
    expect(openRosterSubtasks([], undefined)).toEqual([])
  })

  it('only "done" completes: planned (a pending mark) and anything else stay open', () => {
    expect(openRosterSubtasks(['T001', 'T002', 'T003'], { T001: 'planned', T002: 'done', T003: true })).toEqual([
      'T001',
      'T003',
    ])
    expect(openRosterSubtasks(['T001'], ['T001'])).toEqual(['T001'])
  })

  it('the roster is trimmed and de-duplicated in authored order (normalize_authored_subtask_roster)', () => {
    expect(normalizeRoster([' T002', 'T001', 'T002', ''])).toEqual(['T002', 'T001'])
  })
})
