// The mission board: (1) render time of the board of the largest corpus mission (and the 40-WP
// mission): read the state + build the view model, then each renderer; and `kitty board --out` as a
// cold process; (2) the live board's update latency: a transition committed → its SSE event received
// by a client of `kitty board --serve` (its own process), median and p95.
//   npm run bench:board [-- --runs 30 --moves 30]
import { execFileSync } from 'node:child_process'
import { statSync } from 'node:fs'
import { performance } from 'node:perf_hooks'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { renderBoardPage } from '../../src/board/render-board-html.ts'
import { readBoard } from '../../src/engine/mission/read-board.ts'
import { renderBoardMarkdown } from '../../src/github/render-board-markdown.ts'
import { openContext } from '../../src/surface/open-context.ts'
import { FORTY, makeFortyRepo } from '../../test/helpers/board-fixtures.ts'
import { sse, startBoard } from '../../test/helpers/board-server.ts'
import {
  api,
  cleanupTempDirs,
  copyCorpus,
  git,
  makeRepo,
  POLICY_JSON,
  PROJECT_ROOT,
  tempDir,
} from '../../test/helpers/git-repo.ts'
import { machine } from './report.ts'
import { median, percentile, round } from './stats.ts'

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '30' }, moves: { type: 'string', default: '30' } },
})
const RUNS = Number(values.runs)
const MOVES = Number(values.moves)
const log = (m: string) => process.stderr.write(`[bench:board] ${m}\n`)
const LARGEST = '034-feature-status-state-model-remediation'

function stats(samples: number[]) {
  return {
    median_ms: round(median(samples)),
    p95_ms: round(percentile(samples, 95)),
    max_ms: round(Math.max(...samples)),
    runs: samples.length,
  }
}

async function renderTimes(repo: string, mission: string) {
  const env = { GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@e', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@e' }
  const opened = await openContext({ repo }, { env, cwd: repo }, 'corr-bench')
  const read: number[] = []
  const html: number[] = []
  const md: number[] = []
  let wps = 0
  for (let i = 0; i < RUNS + 3; i++) {
    // A fresh object cache each run: every WP file and tree is read from git again.
    const ctx = { ...opened.ctx, repo: { ...opened.ctx.repo, cache: {} } }
    const t0 = performance.now()
    const board = await readBoard(ctx, mission)
    const t1 = performance.now()
    renderBoardPage(board)
    const t2 = performance.now()
    renderBoardMarkdown(board, { maxChars: 40_000 })
    const t3 = performance.now()
    wps = board.total
    if (i < 3) continue
    read.push(t1 - t0)
    html.push(t2 - t1)
    md.push(t3 - t2)
  }
  await opened.release()
  // Cold processes as a user starts them (bin/kitty.js, with its compile cache), beside mission-state
  // of the same mission in the same loop: the board's own cost is the difference.
  const cold: number[] = []
  const state: number[] = []
  const out = join(tempDir(), 'board.html')
  const bin = join(PROJECT_ROOT, 'bin', 'kitty.js')
  const time = (args: string[]) => {
    const t0 = performance.now()
    execFileSync(process.execPath, [bin, ...args], { cwd: repo, stdio: 'ignore' })
    return performance.now() - t0
  }
  for (let i = 0; i < Math.min(RUNS, 15) + 1; i++) {
    const b = time(['board', '--mission', mission, '--out', out])
    const m = time(['orchestrator-api', 'mission-state', '--mission', mission])
    if (i === 0) continue
    cold.push(b)
    state.push(m)
  }
  return {
    mission,
    wps,
    read_and_build: stats(read),
    render_html: stats(html),
    render_markdown: stats(md),
    cli_board_out_cold: stats(cold),
    cli_mission_state_cold: stats(state),
  }
}

async function liveLatency() {
  const M = '099-test-mission'
  const repo = makeRepo([
    {
      wps: [
        { id: 'WP01', lane: 'planned' },
        { id: 'WP02', lane: 'planned', dependencies: ['WP01'] },
        { id: 'WP03', lane: 'done' },
      ],
    },
  ])
  const server = await startBoard(repo, ['--serve', '--port', '0', '--mission', M])
  if (!server.envelope['success']) throw new Error(JSON.stringify(server.envelope))
  const client = await sse(`${server.url}events?mission=${M}`)
  await client.waitFor((e) => e.event === 'board')
  const changeLatency: number[] = []
  const boardLatency: number[] = []
  try {
    for (let i = 0; i < MOVES + 2; i++) {
      const to = i % 2 === 0 ? 'blocked' : 'planned'
      const r = await api(repo, 'transition', {
        mission: M,
        wp: 'WP01',
        to,
        actor: 'bench',
        force: true,
        note: 'bench',
        policy: POLICY_JSON,
      })
      if (r.code !== 0) throw new Error(r.stdout)
      // The moment the state branch moved: the ref file's modification time (the compare-and-swap's rename).
      const committed = statSync(join(repo, '.git', 'refs', 'heads', 'main')).mtimeMs
      const commit = git(repo, 'rev-parse', 'HEAD')
      const change = await client.waitFor((e) => e.event === 'change' && e.id === commit, 30_000)
      const board = await client.waitFor((e) => e.event === 'board' && e.id === commit, 30_000)
      if (i < 2) continue
      changeLatency.push(change.at - committed)
      boardLatency.push(board.at - committed)
      await new Promise((res) => setTimeout(res, 100))
    }
  } finally {
    client.close()
    await server.stop()
  }
  return { moves: MOVES, commit_to_change_event: stats(changeLatency), commit_to_board_event: stats(boardLatency) }
}

log('render: largest corpus mission')
const corpus = copyCorpus()
const largest = await renderTimes(corpus, LARGEST)
log('render: 40-WP mission')
const forty = await renderTimes(makeFortyRepo(), FORTY)
log('live latency')
const live = await liveLatency()
const result = { machine: await machine('n/a'), render: [largest, forty], live }
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`)
cleanupTempDirs()
