// Cold CLI calls with --remote against a real smart-HTTP server on 127.0.0.1 (the test server:
// git http-backend), serving the corpus repository plus the 20-WP merge fixture; each row paired with
// the git CLI doing the same network work in the same run.
//   npm run bench:remote [-- --runs 10 --scenario corpus|small|large]
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { startGitHttpServer } from '../../test/helpers/git-http-server.ts'
import { prepareRepo, SCENARIOS } from './bench-repos.ts'
import type { ColdRun } from './cold-run.ts'
import { coldRun, failureOf } from './cold-run.ts'
import { git } from './git-exec.ts'
import { prepareMergeFixture } from './merge-fixture.ts'
import { formatTable } from './report.ts'
import type { Row } from './scenario-bench.ts'
import { median, percentile, ratio, round } from './stats.ts'
import { chooseTarget } from './target.ts'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const CLI = join(ROOT, 'dist', 'cli.js')
const CORPUS = resolve(ROOT, 'test/fixtures/corpus/spec-kitty-2026-03/kitty-specs')
const TOKEN = 'bench-token'
const { values } = parseArgs({
  options: { runs: { type: 'string', default: '10' }, scenario: { type: 'string', default: 'corpus' } },
})
const RUNS = Number(values.runs)
const found = SCENARIOS.find((s) => s.name === values.scenario)
if (!found) throw new Error(`unknown scenario ${values.scenario}; known: ${SCENARIOS.map((s) => s.name).join(', ')}`)
const SCENARIO = found

const log = (m: string) => process.stderr.write(`[bench:remote] ${m}\n`)

interface Sample {
  ours: ColdRun
  baselineMs: number
}

function row(command: string, samples: Sample[]): Row {
  const ms = samples.map((s) => s.ours.wallMs)
  const base = samples.map((s) => s.baselineMs)
  const errors = samples.map((s) => failureOf(s.ours)).filter((e): e is string => e !== null)
  const rss = samples.map((s) => s.ours.maxRssKb).filter((v): v is number => v !== null)
  return {
    scenario: `${SCENARIO.name} over HTTP`,
    command,
    runs: samples.length,
    medianMs: round(median(ms)),
    p95Ms: round(percentile(ms, 95)),
    peakRssMb: rss.length > 0 ? round(Math.max(...rss) / 1024) : null,
    baselineMedianMs: round(median(base)),
    baselineP95Ms: round(percentile(base, 95)),
    ratio: round(ratio(median(ms), median(base)), 2),
    errors,
    samplesMs: ms.map((v) => round(v)!),
    baselineSamplesMs: base.map((v) => round(v)!),
  }
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now()
  await work()
  return performance.now() - started
}

const server = await startGitHttpServer({ auth: { username: 'x-access-token', password: TOKEN } })
const temp = await mkdtemp(join(tmpdir(), 'kitty-bench-remote-'))
try {
  const repo = await prepareRepo(join(ROOT, 'bench', 'tmp'), SCENARIO, CORPUS)
  const target = await chooseTarget(CLI, repo)
  const fixture = await prepareMergeFixture(CLI, repo)
  // The merge fixture is the scenario's repository plus a 20-WP mission and its branches: serve all of it.
  const bare = server.createBareRepo('project', { from: fixture.path })
  const url = server.repoUrl('project')
  const authed = url.replace('http://', `http://x-access-token:${TOKEN}@`)
  const env = { KITTY_TOKEN: TOKEN, KITTY_CACHE_DIR: join(temp, 'cache') }
  const kitty = (args: string[]) => coldRun(CLI, temp, ['orchestrator-api', ...args, '--remote', url], env)

  // The baseline: a bare clone kept warm, as our cache is, 50 commits deep like our state fetch.
  const clone = join(temp, 'baseline.git')
  await git(temp, ['clone', '-q', '--bare', '--depth', '50', '--single-branch', '--branch', 'main', authed, clone])
  const fetchMain = () => git(clone, ['fetch', '-q', '--depth', '50', authed, '+refs/heads/main:refs/heads/main'])
  // fetch, write one commit, push it: the network work of any one-commit mutation.
  const fetchCommitPush = async () => {
    await fetchMain()
    const tip = await git(clone, ['rev-parse', 'main'])
    const commit = await git(clone, ['commit-tree', '-p', tip, '-m', 'baseline', `${tip}^{tree}`])
    await git(clone, ['push', '-q', authed, `${commit}:refs/heads/main`])
  }

  log(`serving ${fixture.path} (${target.mission} / ${target.wp}; merge fixture ${fixture.mission})`)
  const warm = await kitty(['mission-state', '--mission', target.mission])
  if (failureOf(warm)) throw new Error(`warm-up failed: ${warm.stdout}`)
  log(`first fetch into an empty cache (depth 50): ${round(warm.wallMs)} ms`)
  const rows: Row[] = []

  const reads: Sample[] = []
  for (let i = 0; i < RUNS; i++)
    reads.push({
      ours: await kitty(['mission-state', '--mission', target.mission]),
      baselineMs: await timed(fetchMain),
    })
  rows.push(row('mission-state --remote (warm cache)', reads))

  const writes: Sample[] = []
  for (let i = 0; i < RUNS; i++) {
    const ours = await kitty([
      'append-history',
      '--mission',
      target.mission,
      '--wp',
      target.wp,
      '--actor',
      'bench',
      '--note',
      `remote note ${i}`,
    ])
    writes.push({ ours, baselineMs: await timed(fetchCommitPush) })
  }
  rows.push(row('append-history --remote', writes))

  const merges: Sample[] = []
  for (let i = 0; i < RUNS; i++) {
    // Every run merges the same 20 branches onto the fixture's pre-merge main.
    await git(bare, ['update-ref', 'refs/heads/main', fixture.preMerge])
    const ours = await kitty(['merge-mission', '--mission', fixture.mission])
    await git(bare, ['update-ref', 'refs/heads/main', fixture.preMerge])
    // git's share of the same network work: fetch the target and the 20 branches, push one commit.
    const baselineMs = await timed(async () => {
      const refspecs = ['main', ...Object.keys(fixture.branches)].map((b) => `+refs/heads/${b}:refs/heads/${b}`)
      await git(clone, ['fetch', '-q', authed, ...refspecs])
      const commit = await git(clone, [
        'commit-tree',
        '-p',
        fixture.preMerge,
        '-m',
        'baseline',
        `${fixture.preMerge}^{tree}`,
      ])
      await git(clone, ['push', '-q', authed, `${commit}:refs/heads/main`])
    })
    merges.push({ ours, baselineMs })
  }
  rows.push(row(`merge-mission --remote (${Object.keys(fixture.branches).length} WPs)`, merges))

  for (const r of rows) if (r.errors.length > 0) log(`${r.command}: ${r.errors.length} failed run(s): ${r.errors[0]}`)
  console.log(formatTable(rows))
  console.log('')
  console.log(
    'baselines: git fetch --depth 50 into a warm bare clone; fetch + commit-tree + push; fetch of main and the WP branches + commit-tree + push',
  )
} finally {
  await server.close()
  await rm(temp, { recursive: true, force: true })
}
