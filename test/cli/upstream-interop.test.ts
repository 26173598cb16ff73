import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { WRITTEN_WP_KEYS } from '../../src/core/wp-frontmatter-keys.ts'
import { parseFrontmatter } from '../../src/store/state-files/frontmatter.ts'
import { api, cleanupTempDirs, git, kitty, makeRepo, POLICY_JSON, readWp } from '../helpers/git-repo.ts'

/**
 * Issue 21: one repository, two tools. Every file here is written the way kitty or upstream
 * spec-kitty (3.2.6rc3, HEAD e6e3b73) writes it, and each test holds kitty to what upstream reads.
 */

afterAll(cleanupTempDirs)

const M = '099-test-mission'
const UPSTREAM_FIELDS = JSON.parse(
  readFileSync(new URL('../fixtures/upstream/wp-metadata-fields.json', import.meta.url), 'utf8'),
) as { source: { commit: string; path: string }; fields: string[] }
const REVIEW = { reviewer: 'rev', verdict: 'approved', reference: 'review-1' }
const CHANGES = { reviewer: 'rev', verdict: 'changes_requested', reference: 'review-0' }

const missionDir = (repo: string) => join(repo, 'kitty-specs', M)

/** Every top-level frontmatter key of every WP file of the mission. */
function frontmatterKeys(repo: string): Set<string> {
  const keys = new Set<string>()
  const tasks = join(missionDir(repo), 'tasks')
  for (const name of readdirSync(tasks)) {
    const data = parseFrontmatter(readFileSync(join(tasks, name), 'utf8'), name).data
    for (const k of Object.keys(data)) keys.add(k)
  }
  return keys
}

function unknownToUpstream(keys: Iterable<string>): string[] {
  return [...keys].filter((k) => !UPSTREAM_FIELDS.fields.includes(k))
}

async function ok(run: Promise<{ code: number; envelope: Record<string, any>; stderr: string }>) {
  const r = await run
  expect(r.code, `${JSON.stringify(r.envelope)} ${r.stderr}`).toBe(0)
  return r.envelope
}

const step = (repo: string, command: string, flags: Record<string, string | boolean>) =>
  ok(api(repo, command, { mission: M, wp: 'WP01', policy: POLICY_JSON, ...flags }))

describe('D10: the frontmatter keys kitty writes are fields of upstream WPMetadata', () => {
  it('the fixture names its source, and every key kitty may write is one of its fields', () => {
    expect(UPSTREAM_FIELDS.source).toMatchObject({
      commit: 'e6e3b7357813f16d77b643cfae9b096f20308a2e',
      path: 'src/specify_cli/status/wp_metadata.py',
    })
    expect(UPSTREAM_FIELDS.fields).toContain('review_status')
    expect(UPSTREAM_FIELDS.fields).not.toContain('review_ref')
    expect(unknownToUpstream(WRITTEN_WP_KEYS)).toEqual([])
  })

  it('a whole lifecycle with review references (start-review, changes requested, approve, done) writes no other key', async () => {
    const repo = makeRepo([{ wps: [{ id: 'WP01', lane: 'planned', subtasks: ['T001'] }] }])
    const seen = new Set<string>()
    const check = () => {
      for (const k of frontmatterKeys(repo)) seen.add(k)
      expect(unknownToUpstream(frontmatterKeys(repo))).toEqual([])
    }
    await step(repo, 'start-implementation', { actor: 'impl', policy: POLICY_JSON })
    check()
    await step(repo, 'transition', { to: 'for_review', actor: 'impl', 'review-ref': 'PR-7' })
    check()
    await step(repo, 'start-review', { actor: 'rev', policy: POLICY_JSON, 'review-ref': 'PR-7' })
    check()
    await step(repo, 'transition', {
      to: 'in_progress',
      actor: 'rev',
      policy: POLICY_JSON,
      'review-ref': 'review-0',
      'review-result-json': JSON.stringify(CHANGES),
    })
    check()
    await step(repo, 'transition', { to: 'for_review', actor: 'impl' })
    await step(repo, 'start-review', { actor: 'rev', policy: POLICY_JSON, 'review-ref': 'PR-8' })
    await step(repo, 'transition', {
      to: 'approved',
      actor: 'rev',
      policy: POLICY_JSON,
      'review-ref': 'review-1',
      'review-result-json': JSON.stringify(REVIEW),
      'evidence-json': JSON.stringify({ review: REVIEW }),
    })
    check()
    await step(repo, 'transition', {
      to: 'done',
      actor: 'rev',
      policy: POLICY_JSON,
      'evidence-json': JSON.stringify({ review: REVIEW }),
    })
    check()
    // The reference is still recorded: in the commit trailers, for kitty's history.
    const refs = git(repo, 'log', '--format=%(trailers:key=Kitty-Review-Ref,valueonly)').split('\n').filter(Boolean)
    expect(refs).toEqual(expect.arrayContaining(['PR-7', 'review-0', 'PR-8', 'review-1']))
    expect([...seen].sort()).toEqual(expect.arrayContaining(['reviewer', 'review_status', 'reviewed_by', 'lane']))
    expect(git(repo, 'fsck', '--no-progress')).toBe('')
  })
})

const LEGACY_WP = { id: 'WP01', lane: 'in_review', assignee: 'impl', extra: 'reviewer: rev\nreview_ref: PR-1' }

describe('D10: review_ref: keys an older kitty wrote are read, reported, and moved by kitty reconcile', () => {
  it('a frontmatter-only mission: the read warns; reconcile removes the key in one commit naming the reference', async () => {
    const repo = makeRepo([{ wps: [LEGACY_WP, { id: 'WP02', lane: 'planned' }] }])
    const state = await ok(api(repo, 'mission-state', { mission: M }))
    expect(state.data.work_packages[0]).toMatchObject({ wp_id: 'WP01', lane: 'in_review' })
    expect(state.data.warnings.join('\n')).toMatch(/WP01\.md has a review_ref: frontmatter key .*kitty reconcile/)
    const before = readWp(repo, 'WP01')
    const dry = await ok(kitty(repo, ['reconcile', '--mission', M, '--dry-run']))
    expect(dry.data.review_refs_moved).toEqual([{ wp_id: 'WP01', review_ref: 'PR-1', now_in: 'commit_message' }])
    expect(readWp(repo, 'WP01')).toBe(before)
    const run = await ok(kitty(repo, ['reconcile', '--mission', M]))
    expect(run.data.files).toEqual([`kitty-specs/${M}/tasks/WP01.md`])
    expect(readWp(repo, 'WP01')).toBe(before.replace('review_ref: PR-1\n', ''))
    expect(git(repo, 'log', '-1', '--format=%B')).toContain('review_ref PR-1')
    expect(git(repo, 'status', '--porcelain')).toBe('')
    const after = await ok(api(repo, 'mission-state', { mission: M }))
    expect(after.data.warnings).toBeUndefined()
    const head = git(repo, 'rev-parse', 'HEAD')
    await ok(kitty(repo, ['reconcile', '--mission', M]))
    expect(git(repo, 'rev-parse', 'HEAD')).toBe(head)
  })

  it('a log mission: a reference already on an event line stays there; one that is not becomes a note', async () => {
    const repo = makeRepo([{ wps: [LEGACY_WP, { ...LEGACY_WP, id: 'WP02', extra: 'review_ref: PR-2' }] }])
    // Seed the log as upstream's finalize-tasks would, then let kitty record WP01's review with its reference.
    await ok(kitty(repo, ['migrate', '--mission', M, '--to', 'events']))
    const log = join(missionDir(repo), 'status.events.jsonl')
    const lines = readFileSync(log, 'utf8').trimEnd().split('\n')
    const withRef = lines.map((l) => {
      const e = JSON.parse(l)
      return e.wp_id === 'WP01' && e.to_lane === 'in_review' ? JSON.stringify({ ...e, review_ref: 'PR-1' }) : l
    })
    writeFileSync(log, `${withRef.join('\n')}\n`)
    git(repo, 'commit', '-qam', 'the review reference on the line')
    const run = await ok(kitty(repo, ['reconcile', '--mission', M]))
    expect(run.data.review_refs_moved).toEqual([
      { wp_id: 'WP01', review_ref: 'PR-1', now_in: 'event_line' },
      { wp_id: 'WP02', review_ref: 'PR-2', now_in: 'annotation' },
    ])
    const added = readFileSync(log, 'utf8')
      .trimEnd()
      .split('\n')
      .slice(lines.length)
      .map((l) => JSON.parse(l))
    expect(added).toEqual([
      expect.objectContaining({
        kind: 'annotation',
        wp_id: 'WP02',
        delta: { note: 'review_ref PR-2 (moved from the WP frontmatter by kitty reconcile)' },
      }),
    ])
    expect(unknownToUpstream(frontmatterKeys(repo))).toEqual([])
    const status = JSON.parse(readFileSync(join(missionDir(repo), 'status.json'), 'utf8'))
    expect(status.work_packages.WP02.notes).toEqual([
      'review_ref PR-2 (moved from the WP frontmatter by kitty reconcile)',
    ])
  })
})
