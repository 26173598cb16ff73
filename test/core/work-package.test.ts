import { describe, expect, it } from 'vitest'
import { holderCompatible, interpretWorkPackage, wpIdFromFileName } from '../../src/core/work-package.ts'

const wp = (data: Record<string, unknown>, folderLane: 'doing' | null = null) =>
  interpretWorkPackage('WP02', 'tasks/WP02.md', data, folderLane as never)
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
    ['WP07.md.bak', null],
    ['WP07-notes.mdx', null],
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
    expect(wp({}, 'doing')).toMatchObject({
      lane: 'doing',
      title: null,
      assignee: null,
      lastActor: null,
      historyLength: 0,
      subtasks: [],
      dependencies: [],
      branch: null,
      reviewStatus: null,
    })
    expect(wp({ lane: '' }).lane).toBe('planned')
    expect(wp({ lane: null }).lane).toBe('planned')
    expect(wp({ lane: 'for_review' }, 'doing').lane).toBe('for_review')
    expect(wp({ assignee: 'codex', history: 'not a list' })).toMatchObject({
      assignee: 'codex',
      lastActor: 'codex',
      historyLength: 0,
    })
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
    for (const data of [
      { lane: 'nowhere' },
      { lane: 3 },
      { dependencies: 'WP02' },
      { branch: '../x' },
      { branch: 'a..b' },
    ]) {
      const err = refused(data)
      expect(err.code, JSON.stringify(data)).toBe('WP_FILE_INVALID')
      expect(err.data.path).toBe('tasks/WP02.md')
    }
    expect(refused({ lane: 'nowhere' }).message).toContain('unknown lane "nowhere"')
    expect(refused({ branch: '../x' }).message).toContain('its branch: key "../x"')
    expect(refused({ branch: '../x' }).message).toContain('<mission_slug>-WP02')
  })
})

describe('interpretWorkPackage: history', () => {
  it('the last actor is the newest entry naming one, by actor or else agent, down to the first entry', () => {
    expect(wp({ assignee: 'claude', history: [{ actor: 'only' }] }).lastActor).toBe('only')
    expect(wp({ assignee: 'claude', history: [{ agent: 'solo' }, 'not an entry', 7] }).lastActor).toBe('solo')
    expect(wp({ assignee: 'claude', history: [{ actor: ' ' }, {}] }).lastActor).toBe('claude')
  })

  it('laneSince: when the trailing run of entries in the current lane began', () => {
    const history = [
      { lane: 'planned', timestamp: '2026-01-01T00:00:00Z' },
      { lane: 'doing', timestamp: '2026-01-02T00:00:00Z' },
      { lane: 'in_progress', timestamp: '2026-01-03T00:00:00Z' },
    ]
    expect(wp({ lane: 'in_progress', history }).laneSince).toBe('2026-01-02T00:00:00Z')
    expect(wp({ lane: 'in_progress', history, title: 'x' }).historyLength).toBe(3)
  })

  it('laneSince: a one-entry history counts; an entry without a time keeps the later one', () => {
    expect(wp({ lane: 'planned', history: [{ lane: 'planned', timestamp: ' 2026-01-01T00:00:00Z ' }] }).laneSince).toBe(
      '2026-01-01T00:00:00Z',
    )
    const history = [
      { lane: 'claimed', timestamp: '2026-01-01T00:00:00Z' },
      { lane: 'claimed' },
      { lane: 'claimed', timestamp: '' },
    ]
    expect(wp({ lane: 'claimed', history }).laneSince).toBe('2026-01-01T00:00:00Z')
  })

  it('laneSince: the run stops at another lane, an entry without a lane or a non-entry', () => {
    const at = (timestamp: string) => ({ lane: 'for_review', timestamp })
    expect(
      wp({ lane: 'for_review', history: [at('t1'), { lane: 'in_progress', timestamp: 't2' }, at('t3')] }).laneSince,
    ).toBe('t3')
    expect(wp({ lane: 'for_review', history: [at('t1'), { timestamp: 't2' }, at('t3')] }).laneSince).toBe('t3')
    expect(wp({ lane: 'for_review', history: [at('t1'), { lane: 5, timestamp: 't2' }, at('t3')] }).laneSince).toBe('t3')
    expect(wp({ lane: 'for_review', history: [at('t1'), null, at('t3')] }).laneSince).toBe('t3')
    expect(
      wp({ lane: 'for_review', history: [at('t1'), { lane: 'in_progress', timestamp: 't2' }] }).laneSince,
    ).toBeNull()
    expect(wp({ lane: 'for_review', history: 'not a list' }).laneSince).toBeNull()
  })
})

describe('interpretWorkPackage: subtasks as one string', () => {
  it('brackets only around the whole list, quotes only around each item', () => {
    expect(wp({ subtasks: 'T1], T2' }).subtasks).toEqual(['T1]', 'T2'])
    expect(wp({ subtasks: 'T1, T[2' }).subtasks).toEqual(['T1', 'T[2'])
    expect(wp({ subtasks: "[T001, it's]" }).subtasks).toEqual(['T001', "it's"])
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
