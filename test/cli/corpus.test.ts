import { existsSync, globSync, readdirSync, readFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, cleanupTempDirs, copyCorpus, CORPUS, git, kitty } from '../helpers/git-repo.ts'

afterAll(cleanupTempDirs)

const missions = readdirSync(CORPUS, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort()

describe('the real kitty-specs corpus (43 mission folders, 224 WP files)', () => {
  let repo: string
  beforeAll(() => {
    repo = copyCorpus()
  })

  it('mission-state answers success for every mission, with every WP file and every WP only its event log knows', async () => {
    expect(missions.length).toBe(43)
    let total = 0
    // 035, 036 and 037 keep their WPs only in status.events.jsonl (upstream lists 6, 8 and 9 there).
    const logOnly: Record<string, number> = {
      '035-frontmatter-history-to-canonical-jsonl': 6,
      '036-kittify-runtime-centralization': 8,
      '037-mission-dsl-foundation': 9,
    }
    for (const mission of missions) {
      const { code, envelope } = await api(repo, 'mission-state', { mission })
      expect(code, `${mission}: ${JSON.stringify(envelope.data)}`).toBe(0)
      const files = globSync(join(CORPUS, mission, 'tasks', 'WP*.md'))
      expect(envelope.data.work_packages.length, mission).toBe(files.length + (logOnly[mission] ?? 0))
      for (const wp of envelope.data.work_packages) {
        expect(typeof wp.lane).toBe('string')
        expect(Array.isArray(wp.dependencies)).toBe(true)
      }
      total += envelope.data.work_packages.length
    }
    expect(total).toBe(224 + 6 + 8 + 9)
  })

  it('one transition per mission changes only the lane line and appends one history entry', async () => {
    let checked = 0
    for (const mission of missions) {
      const state = (await api(repo, 'mission-state', { mission })).envelope.data
      const withFile = new Set(
        globSync(join(CORPUS, mission, 'tasks', '**', 'WP*.md')).map((f) => /^(WP\d+)/.exec(basename(f))![1]),
      )
      const wp = state.work_packages.find((w: { wp_id: string }) => withFile.has(w.wp_id))
      if (!wp) continue
      const head = git(repo, 'rev-parse', 'HEAD')
      const run = await api(repo, 'transition', {
        mission,
        wp: wp.wp_id,
        to: 'blocked',
        actor: 'corpus-check',
        force: true,
        note: 'corpus check',
      })
      expect(run.code, `${mission}: ${JSON.stringify(run.envelope.data)}`).toBe(0)
      const files = git(repo, 'diff', '--name-only', head, 'HEAD').split('\n')
      // Beside upstream's event log the same commit appends the event and rewrites status.json.
      const logged = existsSync(join(CORPUS, mission, 'status.events.jsonl'))
      const wpFile = files.find((f) => f.includes('/tasks/'))!
      expect(files.sort(), mission).toEqual(
        logged
          ? [`kitty-specs/${mission}/status.events.jsonl`, `kitty-specs/${mission}/status.json`, wpFile].sort()
          : [wpFile],
      )
      const diff = git(repo, 'diff', '-U0', head, 'HEAD', '--', wpFile)
        .split('\n')
        .filter((l) => /^[-+](?![-+]{2} )/.test(l))
      const removed = diff.filter((l) => l.startsWith('-'))
      const added = diff.filter((l) => l.startsWith('+'))
      expect(removed, mission).toHaveLength(1)
      expect(removed[0], mission).toMatch(/^-lane:/)
      expect(added[0], mission).toMatch(/^\+lane: "?blocked"?/)
      expect(added.slice(1).join('\n'), mission).toContain('corpus-check')
      // One history entry: a flow map (1 line) or a block map (5 lines), plus `history:` when the key is new.
      expect([2, 6, 7], `${mission}: ${added.join('\n')}`).toContain(added.length)
      expect(git(repo, 'status', '--porcelain')).toBe('')
      checked++
    }
    expect(checked).toBe(29)
    git(repo, 'fsck', '--strict')
  })
})

describe('the corpus beside upstream’s event logs (32 missions keep status.events.jsonl)', () => {
  let repo: string
  beforeAll(() => {
    repo = copyCorpus()
  })
  const logged = missions.filter((m) => existsSync(join(CORPUS, m, 'status.events.jsonl')))

  it('every logged mission reads the lanes upstream materialised in its status.json, with no drift to report', async () => {
    expect(logged).toHaveLength(32)
    for (const mission of logged) {
      const upstream = JSON.parse(readFileSync(join(CORPUS, mission, 'status.json'), 'utf8')).work_packages as Record<
        string,
        { lane: string }
      >
      const { envelope } = await api(repo, 'mission-state', { mission })
      const ours = Object.fromEntries(
        envelope.data.work_packages.map((w: { wp_id: string; lane: string }) => [w.wp_id, w.lane]),
      )
      for (const [id, { lane }] of Object.entries(upstream)) expect(ours[id], `${mission} ${id}`).toBe(lane)
      // WPs the log never seeded (005 WP01, 023 WP02) read as planned, as upstream reads them.
      for (const id of Object.keys(ours).filter((id) => !(id in upstream)))
        expect(ours[id], `${mission} ${id}`).toBe('planned')
      expect(envelope.data.warnings, mission).toBeUndefined()
      const dry = await kitty(repo, ['reconcile', '--mission', mission, '--dry-run'])
      // Those two are "not finalized" for upstream: reconcile would seed them as finalize-tasks does.
      const unseeded = Object.keys(ours).filter((id) => !(id in upstream))
      const logFiles = [`kitty-specs/${mission}/status.events.jsonl`, `kitty-specs/${mission}/status.json`]
      expect(dry.envelope.data, mission).toMatchObject({
        reconciled: [],
        finalized_wps: unseeded,
        status_json_rewritten: unseeded.length > 0,
        files: unseeded.length > 0 ? logFiles : [],
      })
    }
  })

  it('035/036/037 materialise their 6/8/9 log-only WPs in one commit each; lanes and actors unchanged', async () => {
    for (const [mission, count] of [
      ['035-frontmatter-history-to-canonical-jsonl', 6],
      ['036-kittify-runtime-centralization', 8],
      ['037-mission-dsl-foundation', 9],
    ] as const) {
      const before = (await api(repo, 'mission-state', { mission })).envelope.data.work_packages
      const head = git(repo, 'rev-parse', 'HEAD')
      const run = await kitty(repo, ['migrate', '--mission', mission, '--to', 'frontmatter'])
      expect(run.code, JSON.stringify(run.envelope)).toBe(0)
      expect(
        git(repo, 'diff', '--name-only', head, 'HEAD')
          .split('\n')
          .filter((f) => f.includes('/tasks/WP')),
      ).toHaveLength(count)
      const after = await api(repo, 'mission-state', { mission })
      expect(after.envelope.data.warnings).toBeUndefined()
      const pick = (wps: Array<Record<string, unknown>>) => wps.map((w) => [w['wp_id'], w['lane'], w['last_actor']])
      expect(pick(after.envelope.data.work_packages)).toEqual(pick(before))
      // A file-less WP has no dependencies, as upstream reads it; the files migrate writes carry tasks.md's
      // (the study saw upstream's own answer change the same way after this migrate, S4).
      const deps = (wps: Array<Record<string, unknown>>) => wps.flatMap((w) => w['dependencies'] as string[])
      expect(deps(before)).toEqual([])
      expect(deps(after.envelope.data.work_packages).length).toBeGreaterThan(0)
    }
    git(repo, 'fsck', '--strict')
  })
})
