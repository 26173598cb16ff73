import { existsSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { cpus, loadavg } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import type { BenchRepo, Scenario } from './bench-repos.ts'
import { prepareRepo, SCENARIOS } from './bench-repos.ts'
import { nodeStartupMs, RSS_METHOD } from './cold-run.ts'
import type { MergeFixture } from './merge-fixture.ts'
import { prepareMergeFixture } from './merge-fixture.ts'
import { formatChecks, formatScale, formatTable, machine, scaleRatios, specChecks } from './report.ts'
import type { BenchOptions, Row, Target } from './scenario-bench.ts'
import { benchScenario } from './scenario-bench.ts'
import { median, round } from './stats.ts'
import { chooseTarget } from './target.ts'

/**
 * `npm run bench`: cold CLI calls against the corpus and two synthetic repositories, each with a git
 * plumbing baseline, as one table on stdout and bench/results.json. Progress goes to stderr.
 */

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const CLI = join(ROOT, 'dist', 'cli.js')
const CORPUS = resolve(ROOT, 'test/fixtures/corpus/spec-kitty-2026-03/kitty-specs')
const TMP = join(ROOT, 'bench', 'tmp')
const RESULTS = join(ROOT, 'bench', 'results.json')

interface Cli {
  scenarios: Scenario[]
  runs: number
  warmup: number
  corpus: string
}

function parseCli(argv: string[]): Cli {
  const { values } = parseArgs({
    args: argv,
    options: {
      scenario: { type: 'string', multiple: true },
      runs: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '1' },
      corpus: { type: 'string', default: CORPUS },
    },
  })
  const names = (values.scenario ?? []).flatMap((s) => s.split(','))
  const unknown = names.filter((n) => !SCENARIOS.some((s) => s.name === n))
  if (unknown.length > 0)
    throw new Error(`unknown scenario ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.name).join(', ')}`)
  const runs = Number(values.runs)
  const warmup = Number(values.warmup)
  if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs must be a positive integer')
  if (!Number.isInteger(warmup) || warmup < 0) throw new Error('--warmup must be a non-negative integer')
  const scenarios = names.length > 0 ? SCENARIOS.filter((s) => names.includes(s.name)) : SCENARIOS
  return { scenarios, runs, warmup, corpus: resolve(values.corpus) }
}

function preflight(cli: Cli): void {
  const major = Number(process.versions.node.split('.')[0])
  if (major < 24) throw new Error(`run through npm so node_modules/.bin's Node 24 is used (this is ${process.version})`)
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`)
  if (cli.scenarios.some((s) => !s.generator) && !existsSync(cli.corpus))
    throw new Error(`corpus not found at ${cli.corpus}`)
}

function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`)
}

interface ScenarioResult {
  repo: BenchRepo
  target: Target
  merge: MergeFixture
  rows: Row[]
}

async function runScenario(cli: Cli, scenario: Scenario): Promise<ScenarioResult> {
  log(`${scenario.name}: preparing repository (${scenario.describe})`)
  const repo = await prepareRepo(TMP, scenario, cli.corpus)
  log(
    repo.generatedMs === null
      ? `${scenario.name}: reused ${repo.path}`
      : `${scenario.name}: generated in ${(repo.generatedMs / 1000).toFixed(1)} s`,
  )
  const target = await chooseTarget(CLI, repo)
  log(
    `${scenario.name}: measuring ${target.mission} / ${target.wp} (${target.files.length} files read by the baseline)`,
  )
  const merge = await prepareMergeFixture(CLI, repo)
  log(
    merge.buildMs === null
      ? `${scenario.name}: reused merge fixture ${merge.path}`
      : `${scenario.name}: merge fixture ${merge.mission} built in ${(merge.buildMs / 1000).toFixed(1)} s (${merge.path})`,
  )
  const opts: BenchOptions = { cli: CLI, runs: cli.runs, warmup: cli.warmup }
  const rows = await benchScenario(opts, repo, target, merge)
  for (const row of rows)
    if (row.errors.length > 0)
      log(`${scenario.name} ${row.command}: ${row.errors.length} failed run(s): ${row.errors[0]}`)
  return { repo, target, merge, rows }
}

async function main(): Promise<void> {
  const cli = parseCli(process.argv.slice(2))
  preflight(cli)
  const loadAtStart = round(loadavg()[0]!, 2)
  if (loadAtStart! > cpus().length / 2)
    log(`warning: 1-minute load average is ${loadAtStart} on ${cpus().length} cores; timings will be noisy`)
  const startup = median(await nodeStartupMs(Math.max(cli.runs, 10)))
  const results: ScenarioResult[] = []
  for (const scenario of cli.scenarios) results.push(await runScenario(cli, scenario))
  const rows = results.flatMap((r) => r.rows)
  const scale = scaleRatios(rows, [
    'mission-state',
    'start-implementation',
    'start-implementation (worktrees: false)',
    'merge-mission (20 WPs)',
  ])
  const checks = specChecks(rows)
  console.log(formatTable(rows))
  console.log('')
  console.log(formatScale(scale))
  console.log(formatChecks(checks))
  console.log(`node startup floor (node -e 0, cold): ${round(startup)} ms median`)
  const report = {
    machine: { ...(await machine(RSS_METHOD)), loadavg_1m_at_start: loadAtStart, node_startup_ms: round(startup) },
    options: { runs: cli.runs, warmup: cli.warmup, percentile: 'nearest-rank' },
    scenarios: results.map((r) => ({
      name: r.repo.scenario.name,
      describe: r.repo.scenario.describe,
      generator: r.repo.scenario.generator,
      path: r.repo.path,
      generated_ms: r.repo.generatedMs === null ? null : round(r.repo.generatedMs, 0),
      cache_reused: r.repo.generatedMs === null,
      mission: r.target.mission,
      wp: r.target.wp,
      merge_fixture: {
        path: r.merge.path,
        mission: r.merge.mission,
        pre_merge: r.merge.preMerge,
        merge_order: r.merge.order,
        built_ms: r.merge.buildMs === null ? null : round(r.merge.buildMs, 0),
        cache_reused: r.merge.buildMs === null,
        main_commits: r.merge.stats.mainCommits,
        branch_commits: r.merge.stats.branchCommits,
        noise_commits: r.merge.stats.noiseCommits,
        shared_file_editors: r.merge.stats.sharedEditors,
      },
    })),
    rows,
    scale_ratios: scale,
    spec_checks: checks,
  }
  await mkdir(dirname(RESULTS), { recursive: true })
  await writeFile(RESULTS, `${JSON.stringify(report, null, 2)}\n`)
  log(`wrote ${RESULTS}`)
}

main().catch((err: Error) => {
  console.error(`[bench] ${err.stack ?? err.message}`)
  process.exitCode = 1
})
