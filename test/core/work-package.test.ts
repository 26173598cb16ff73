import { describe, expect, it } from 'vitest'
import { holderCompatible, interpretWorkPackage, wpIdFromFileName } from '../../src/core/work-package.ts'

const wp = (data: Record<string, unknown>, folderLane: 'doing' | null = null) => interpretWorkPackage('WP02', 'tasks/WP02.md', data, folderLane as never)
const refused = (data: Record<string, unknown>) => {
  try {
    wp(data)
  } catch (err) {
    return err as { code: string; message: string; data: { path: string } }
  }
  throw new Error('accepted')
}

describe('wpIdFromFileName', () => {
  it.each([
    ['WP07-adapter-implementations.md', 'WP07'],
    ['wp7.md', 'WP07'],
    ['WP12_x.md', 'WP12'],
    ['WP03.notes.md', 'WP03'],
    ['README.md', null],
    ['WP07.txt', null],
    ['WP07x.md', null],
    ['xWP07.md', null],
    ['WP.md', null],
  ])('%s → %s', (name, id) => expect(wpIdFromFileName(name)).toBe(id))
})

describe('interpretWorkPackage', () => {
  it('reads every field, trimming text and taking the last history actor', () => {
    expect(
      wp({
        title: '  A title ',
        lane: 'doing',
        dependencies: ['WP01'],
        subtasks: ['T001', 2, null, { x: 1 }],
        assignee: ' claude ',
        review_status: 'approved',
        branch: 'feature-x',
        history: [{ agent: 'first' }, { actor: 'second', agent: 'ignored' }, { agent: '  ' }, null],
      }),
    ).toEqual({
      id: 'WP02',
      path: 'tasks/WP02.md',
      title: 'A title',
      lane: 'in_progress',
      dependencies: ['WP01'],
      subtasks: ['T001', '2'],
      assignee: 'claude',
      lastActor: 'second',
      reviewStatus: 'approved',
      historyLength: 4,
      branch: 'feature-x',
      // No event log: the frontmatter's lane is the lane. No history entry has a time to date it.
      frontmatterLane: 'in_progress',
      laneSince: null,
    })
  })

  it('defaults: the folder lane, else planned; no history → assignee as last actor; numbers as text', () => {
    expect(wp({}, 'doing')).toMatchObject({ lane: 'doing', title: null, assignee: null, lastActor: null, historyLength: 0, subtasks: [], dependencies: [], branch: null, reviewStatus: null })
    expect(wp({ lane: '' }).lane).toBe('planned')
    expect(wp({ lane: null }).lane).toBe('planned')
    expect(wp({ lane: 'for_review' }, 'doing').lane).toBe('for_review')
    expect(wp({ assignee: 'codex', history: 'not a list' })).toMatchObject({ assignee: 'codex', lastActor: 'codex', historyLength: 0 })
    expect(wp({ title: 42, work_package_title: 'x' }).title).toBe('42')
    expect(wp({ title: ' ', work_package_title: 'legacy' }).title).toBe('legacy')
    expect(wp({ title: true }).title).toBeNull()
  })

  it('subtasks written as one string are split like a list', () => {
    expect(wp({ subtasks: '[T001, "T002", \'T003\']' }).subtasks).toEqual(['T001', 'T002', 'T003'])
    expect(wp({ subtasks: 'T001,,T002' }).subtasks).toEqual(['T001', 'T002'])
    expect(wp({ subtasks: '   ' }).subtasks).toEqual([])
    expect(wp({ subtasks: 7 }).subtasks).toEqual([])
  })

  it('refuses an unknown lane, bad dependencies and an unsafe branch with WP_FILE_INVALID naming the file', () => {
    for (const data of [{ lane: 'nowhere' }, { lane: 3 }, { dependencies: 'WP02' }, { branch: '../x' }, { branch: 'a..b' }]) {
      const err = refused(data)
      expect(err.code, JSON.stringify(data)).toBe('WP_FILE_INVALID')
      expect(err.data.path).toBe('tasks/WP02.md')
    }
    expect(refused({ lane: 'nowhere' }).message).toContain('unknown lane "nowhere"')
    expect(refused({ branch: '../x' }).message).toContain('its branch: key "../x"')
    expect(refused({ branch: '../x' }).message).toContain('<mission_slug>-WP02')
  })
})

describe('holderCompatible', () => {
  it('a free WP, the same actor, or a placeholder holder', () => {
    expect(holderCompatible(null, 'a')).toBe(true)
    expect(holderCompatible('a', 'a')).toBe(true)
    expect(holderCompatible('implement-command', 'a')).toBe(true)
    expect(holderCompatible('unknown', 'a')).toBe(true)
    expect(holderCompatible('b', 'a')).toBe(false)
  })
})
