import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterAll, describe, expect, it } from 'vitest'
import { cleanupTempDirs, git, makeRepo, POLICY_JSON } from '../../helpers/git-repo.ts'
import { expectKept, frontmatterFor, missingInOrder, wpText } from '../../helpers/frontmatter-arb.ts'
import { cliInProcess, envelopeProblems } from '../../helpers/in-process.ts'

afterAll(cleanupTempDirs)

const M = '099-test-mission'
// Ten commands on a fresh repository per run (seconds each run); the fast, many-run property over the
// same inputs is test/store/state-files/lossless-frontmatter.test.ts.
const RUNS = Math.max(2, Math.ceil(Number(process.env['KITTY_FUZZ_RUNS'] ?? 100) / 20))

/**
 * Lossless writes (issue 15): every write path keeps the lines it does not mean to change byte for
 * byte — full-line comments, trailing comments, odd spacing, quoting, key order — over frontmatter
 * generated here, not only the corpus (which has no full-line frontmatter comments). A lane change
 * alone takes the one-line splice; these paths also append history, which re-renders the YAML.
 */

const TASKS_MD = [
  '# Tasks',
  '',
  '## WP01  first',
  '',
  '- [ ] T001   do one  ',
  '- [ ] T002 do two # not a comment',
  '',
  '## WP02',
  '',
  '- [ ] T003',
  '',
].join('\n')

const LANE_CHANGE = ['lane', 'history']

describe('property: every write path keeps untouched lines byte for byte', () => {
  it(`mark-status, start-implementation, append-history, transition, start-review, accept, merge (${RUNS} runs)`, async () => {
    let reachedMerge = 0
    await fc.assert(
      fc.asyncProperty(frontmatterFor('WP01'), frontmatterFor('WP02'), async (fm1, fm2) => {
        const repo = makeRepo([{ wps: [], tasksMd: TASKS_MD }])
        const tasks = join(repo, 'kitty-specs', M, 'tasks')
        writeFileSync(join(tasks, 'WP01.md'), wpText(fm1, 'WP01'))
        writeFileSync(join(tasks, 'WP02.md'), wpText(fm2, 'WP02'))
        const metaPath = join(repo, 'kitty-specs', M, 'meta.json')
        writeFileSync(
          metaPath,
          readFileSync(metaPath, 'utf8').replace(
            '"friendly_name": "Test mission"',
            '"friendly_name":   "Test   mission"',
          ),
        )
        git(repo, 'add', '-A')
        git(repo, 'commit', '-q', '-m', 'generated frontmatter')
        const show = (path: string) => git(repo, 'show', `main:kitty-specs/${M}/${path}`) + '\n'
        const step = async (argv: string[], changes: Record<string, readonly string[] | 'lines'>) => {
          const before = {
            'WP01.md': show('tasks/WP01.md'),
            'WP02.md': show('tasks/WP02.md'),
            'tasks.md': show('tasks.md'),
            'meta.json': show('meta.json'),
          }
          const out = await cliInProcess(repo, argv)
          expect(envelopeProblems(out.envelope, out.exitCode)).toEqual([])
          expect(out.envelope.success, `${argv.join(' ')}: ${out.line}`).toBe(true)
          for (const [name, text] of Object.entries(before)) {
            const path = name.startsWith('WP') ? `tasks/${name}` : name
            const after = show(path)
            const touched = changes[name]
            if (touched === undefined) expect(after, `${argv[1]} changed ${name}`).toBe(text)
            else if (touched === 'lines') {
              // tasks.md: all but the ticked rows; meta.json: all but its accept keys (a comma may follow a line that was last).
              const lines = (t: string) => t.split('\n').map((l) => l.replace(/,$/, ''))
              expect(
                missingInOrder(
                  lines(text).filter((l) => !/T00[12]|"accept/.test(l)),
                  lines(after),
                ),
                `${argv[1]}: ${name}`,
              ).toBeNull()
            } else expectKept(text, after, touched, `${argv[1]} ${name}`)
          }
        }
        const wp = (id: string) => ['--mission', M, '--wp', id, '--actor', 'fuzz', '--policy', POLICY_JSON]
        await step(['agent', 'tasks', 'mark-status', 'T001', 'T002', '--status', 'done', '--mission', M], {
          'tasks.md': 'lines',
        })
        await step(['orchestrator-api', 'start-implementation', ...wp('WP01')], {
          'WP01.md': [...LANE_CHANGE, 'assignee', 'agent'],
        })
        await step(
          [
            'orchestrator-api',
            'append-history',
            '--mission',
            M,
            '--wp',
            'WP01',
            '--actor',
            'fuzz',
            '--note',
            'a   note',
          ],
          { 'WP01.md': [] },
        )
        await step(['orchestrator-api', 'transition', ...wp('WP01'), '--to', 'for_review'], { 'WP01.md': LANE_CHANGE })
        await step(['orchestrator-api', 'start-review', ...wp('WP01'), '--review-ref', 'pr#1'], {
          'WP01.md': [...LANE_CHANGE, 'reviewer', 'review_ref'],
        })
        const review = JSON.stringify({ reviewer: 'r', verdict: 'approved', reference: 'pr#1' })
        await step(
          ['orchestrator-api', 'transition', ...wp('WP01'), '--to', 'approved', '--review-result-json', review],
          { 'WP01.md': LANE_CHANGE },
        )
        await step(['orchestrator-api', 'start-implementation', ...wp('WP02')], {
          'WP02.md': [...LANE_CHANGE, 'assignee', 'agent'],
        })
        await step(
          ['orchestrator-api', 'transition', ...wp('WP02'), '--to', 'approved', '--force', '--note', 'forced'],
          { 'WP02.md': LANE_CHANGE },
        )
        await step(['orchestrator-api', 'accept-mission', '--mission', M, '--actor', 'fuzz'], { 'meta.json': 'lines' })
        await step(['orchestrator-api', 'merge-mission', '--mission', M], {
          'WP01.md': LANE_CHANGE,
          'WP02.md': LANE_CHANGE,
          'meta.json': 'lines',
        })
        reachedMerge++
      }),
      // Each run is ten commands on a fresh repository: shrinking would take minutes, the seed replays.
      { numRuns: RUNS, endOnFailure: true },
    )
    expect(reachedMerge).toBe(RUNS)
  })
})
