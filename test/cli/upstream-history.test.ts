import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { pythonJsonLine } from '../../src/core/python-json.ts'
import { materializeStatusJson, reduceStatusEvents } from '../../src/core/reduce-status-events.ts'
import { parseEventLog } from '../../src/core/status-events.ts'
import { api, cleanupTempDirs, git, kitty, makeRepo, POLICY_JSON } from '../helpers/git-repo.ts'

/**
 * Issue 21, D4: `history` of a mission with upstream's event log shows kitty's commits and the log
 * lines no kitty commit wrote, newest first, each saying where it comes from; a kitty step that is
 * both a commit and its own line is shown once, as the commit naming its event ids.
 */

afterAll(cleanupTempDirs)

const M = '099-test-mission'
const logFile = (repo: string) => join(repo, 'kitty-specs', M, 'status.events.jsonl')
const nowAt = () => new Date().toISOString().replace('Z', '000+00:00')
let seq = 0
const nextId = () => `01M95D0000000000000000${String(++seq).padStart(4, '0')}`

function upTransition(wp: string, from: string, to: string, actor: string, at: string): string {
  return pythonJsonLine({
    actor,
    at,
    event_id: nextId(),
    evidence: null,
    execution_mode: 'worktree',
    force: from === 'in_progress',
    from_lane: from,
    mission_slug: M,
    policy_metadata: null,
    reason: from === 'genesis' ? 'canonical bootstrap' : from === 'in_progress' ? 'upstream gate skipped' : null,
    review_ref: null,
    to_lane: to,
    wp_id: wp,
  })
}

function upNote(wp: string, actor: string, note: string): string {
  return pythonJsonLine({ actor, at: nowAt(), delta: { note }, event_id: nextId(), kind: 'annotation', wp_id: wp })
}

/** Upstream's write: lines appended, status.json re-materialised, nothing committed. */
function upstreamWrites(repo: string, lines: string[]): void {
  const text = `${readFileSync(logFile(repo), 'utf8')}${lines.join('\n')}\n`
  writeFileSync(logFile(repo), text)
  const reduced = reduceStatusEvents(parseEventLog(text, 'log'))
  writeFileSync(
    join(repo, 'kitty-specs', M, 'status.json'),
    materializeStatusJson(reduced, { missionNumber: '099', missionType: 'software-dev' }),
  )
}

const commitAll = (repo: string, message: string) => {
  git(repo, 'add', '-A')
  git(repo, 'commit', '-qm', message)
}

function loggedMission(): string {
  const repo = makeRepo([
    {
      wps: [
        { id: 'WP01', lane: 'planned' },
        { id: 'WP02', lane: 'planned' },
      ],
    },
  ])
  writeFileSync(
    logFile(repo),
    `${[
      upTransition('WP01', 'genesis', 'planned', 'finalize-tasks', '2026-01-01T10:00:01.000000+00:00'),
      upTransition('WP02', 'genesis', 'planned', 'finalize-tasks', '2026-01-01T10:00:02.000000+00:00'),
    ].join('\n')}\n`,
  )
  commitAll(repo, 'upstream wrote its log')
  return repo
}

async function history(repo: string, flags: Record<string, string> = {}) {
  const r = await api(repo, 'history', { mission: M, ...flags })
  expect(r.code, JSON.stringify(r.envelope)).toBe(0)
  return r.envelope.data as { has_more: boolean; entries: Array<Record<string, any>> }
}

const logIds = (repo: string) =>
  readFileSync(logFile(repo), 'utf8')
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l).event_id as string)

const step = async (repo: string, command: string, flags: Record<string, string>) => {
  const r = await api(repo, command, { mission: M, wp: 'WP01', policy: POLICY_JSON, ...flags })
  expect(r.code, JSON.stringify(r.envelope)).toBe(0)
}

describe('D4: history merges the event log with kitty’s commits', () => {
  it('upstream and kitty alternating: every step once, newest first, each with its source and event ids', async () => {
    const repo = loggedMission()
    await step(repo, 'start-implementation', { actor: 'k-impl' })
    upstreamWrites(repo, [
      upNote('WP01', 'up-impl', 'halfway'),
      upTransition('WP01', 'in_progress', 'for_review', 'up-impl', nowAt()),
    ])
    commitAll(repo, 'upstream: for_review (committed by hand)')
    await step(repo, 'start-review', { actor: 'k-rev' })

    const { entries, has_more } = await history(repo, { wp: 'WP01' })
    expect(has_more).toBe(false)
    expect(entries.map((e) => [e.source, e.event_kind ?? e.command, e.from_lane, e.to_lane, e.actor])).toEqual([
      ['kitty-commit', 'start-review', 'for_review', 'in_review', 'k-rev'],
      ['event-log', 'transition', 'in_progress', 'for_review', 'up-impl'],
      ['event-log', 'annotation', null, null, 'up-impl'],
      ['kitty-commit', 'start-implementation', 'planned', 'in_progress', 'k-impl'],
      ['event-log', 'transition', 'genesis', 'planned', 'finalize-tasks'],
    ])
    expect(entries[2]!.delta).toEqual({ note: 'halfway' })
    expect(entries[1]!.commit).toBeNull()
    expect(entries[0]!.commit).toMatch(/^[0-9a-f]{40}$/)

    // No line twice, none lost: kitty's commits name exactly the lines they wrote, the rest are entries.
    const wp01Lines = readFileSync(logFile(repo), 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l))
      .filter((l) => l.wp_id === 'WP01')
      .map((l) => l.event_id as string)
    const shown = entries.flatMap((e) => (e.source === 'kitty-commit' ? e.event_ids : [e.event_id]))
    expect([...shown].sort()).toEqual([...wp01Lines].sort())
    expect(entries[3]!.event_ids).toHaveLength(2) // planned → claimed → in_progress, as upstream writes it
    expect(git(repo, 'fsck', '--no-progress')).toBe('')
  })

  it('whole-mission history, filters and paging count both sources', async () => {
    const repo = loggedMission()
    await step(repo, 'start-implementation', { actor: 'k-impl' })
    upstreamWrites(repo, [upNote('WP01', 'up-impl', 'note')])
    commitAll(repo, 'upstream note')

    const all = await history(repo)
    expect(all.entries.map((e) => e.source)).toEqual(['event-log', 'kitty-commit', 'event-log', 'event-log'])
    expect(all.entries.map((e) => e.wp_id)).toEqual(['WP01', 'WP01', 'WP02', 'WP01'])
    expect((await history(repo, { actor: 'up-impl' })).entries.map((e) => e.event_id)).toEqual([logIds(repo).at(-1)])
    const page = await history(repo, { limit: '2', offset: '1' })
    expect(page.has_more).toBe(true)
    expect(page.entries).toEqual(all.entries.slice(1, 3))
  })

  it('lines kitty reconcile --adopt committed for upstream stay upstream’s entries', async () => {
    const repo = loggedMission()
    await step(repo, 'start-implementation', { actor: 'k-impl' })
    upstreamWrites(repo, [upTransition('WP01', 'in_progress', 'for_review', 'up-impl', nowAt())])
    const adopt = await kitty(repo, ['reconcile', '--mission', M, '--adopt'])
    expect(adopt.code, JSON.stringify(adopt.envelope)).toBe(0)
    const { entries } = await history(repo, { wp: 'WP01' })
    const upstream = entries.filter((e) => e.source === 'event-log' && e.to_lane === 'for_review')
    expect(upstream).toHaveLength(1)
    expect(upstream[0]!.event_id).toBe(logIds(repo).at(-1))
    // The adopting commit names no WP, so it is in the mission's history, writing no line of its own.
    const adoptCommit = (await history(repo)).entries.find((e) => e.command === 'reconcile')
    expect(adoptCommit).toMatchObject({ source: 'kitty-commit', event_ids: [] })
  })

  it('a mission without a log: kitty commits only, shaped as before (no source field)', async () => {
    const repo = makeRepo([{ wps: [{ id: 'WP01', lane: 'planned' }] }])
    await step(repo, 'start-implementation', { actor: 'k-impl' })
    const { entries } = await history(repo)
    expect(entries).toHaveLength(1)
    expect(Object.keys(entries[0]!)).not.toContain('source')
    expect(entries[0]!.command).toBe('start-implementation')
  })
})
