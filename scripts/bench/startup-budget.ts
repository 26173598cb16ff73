// The start-up budget: cold calls as an orchestrator or a runner makes them, each paired with a bare
// `node -e 0` run right before or after it (the order alternates), so a loaded machine slows both
// sides of a pair alike. The ratio of a row is the median of its pairs' ratios. Exits 1 when a row
// is over its goal; the App's cold start and the share of each phase are reported, not budgeted.
//   npm run bench:startup [-- --runs 21]   (also the last step of npm run bench)
import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { cpus, loadavg, tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { PRIVATE_KEY, WEBHOOK_SECRET } from '../../test/helpers/app-process.ts'
import { prepareRepo, restoreState, SCENARIOS } from './bench-repos.ts'
import type { ColdRun } from './cold-run.ts'
import { coldRun, failureOf, RSS_METHOD } from './cold-run.ts'
import { machine } from './report.ts'
import { median, round } from './stats.ts'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const BIN = join(ROOT, 'bin', 'kitty.js')
const ACTION = join(ROOT, 'dist', 'index.js')
const APP = join(ROOT, 'dist', 'app.js')
const CORPUS = resolve(ROOT, 'test/fixtures/corpus/spec-kitty-2026-03/kitty-specs')
// The mission of the issue's measurements (8 WPs): a typical read, not the corpus's largest.
const MISSION = '023-documentation-sprint-agent-management-cleanup'
const RSS_GOAL_MIB = 60

const { values } = parseArgs({ options: { runs: { type: 'string', default: '21' } } })
const RUNS = Number(values.runs)
const log = (m: string) => process.stderr.write(`[bench:startup] ${m}\n`)

interface Row {
  name: string
  /** Goal for the median ratio to `node -e 0`; null: reported only. */
  goal: number | null
  run: (i: number) => Promise<ColdRun>
  ratios: number[]
  walls: number[]
  rssKb: number[]
}

const bare = (): Promise<ColdRun> => coldRun('-e', ROOT, ['0'])

/** `node dist/app.js` until `/readyz` answers 200; the process is stopped after. */
async function appColdStart(): Promise<ColdRun> {
  const home = await mkdtemp(join(tmpdir(), 'kitty-bench-app-'))
  const started = performance.now()
  const child = spawn(process.execPath, [APP], {
    cwd: home,
    env: {
      PATH: process.env['PATH'] ?? '',
      HOME: home,
      APP_ID: '1',
      PRIVATE_KEY,
      WEBHOOK_SECRET,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      LOG_FORMAT: 'json',
      KITTY_CACHE_DIR: join(home, 'cache'),
    },
  })
  let output = ''
  child.stdout.on('data', (d: Buffer) => (output += d.toString()))
  child.stderr.on('data', (d: Buffer) => (output += d.toString()))
  const exited = new Promise((done) => child.on('close', done))
  try {
    for (;;) {
      const url = /listening on (http:\/\/[0-9.:]+)/.exec(output)?.[1]
      if (url) {
        const status = await fetch(`${url}/readyz`).then(
          (r) => r.status,
          () => 0,
        )
        if (status === 200) break
      }
      if (child.exitCode !== null) throw new Error(`the App exited:\n${output}`)
      if (performance.now() - started > 30_000) throw new Error(`no /readyz 200 after 30 s:\n${output}`)
      await new Promise((r) => setTimeout(r, 2))
    }
    const wallMs = performance.now() - started
    return { wallMs, maxRssKb: null, code: 0, stdout: '{"success":true}', stderr: '', envelope: { success: true } }
  } finally {
    child.kill('SIGTERM')
    await exited
    await rm(home, { recursive: true, force: true })
  }
}

async function main(): Promise<void> {
  if (Number(process.versions.node.split('.')[0]) < 24) throw new Error('run through npm (Node 24)')
  const loadStart = loadavg()[0]!
  const repo = await prepareRepo(join(ROOT, 'bench', 'tmp'), SCENARIOS.find((s) => s.name === 'corpus')!, CORPUS)
  const runner = await mkdtemp(join(tmpdir(), 'kitty-bench-runner-'))
  const output = join(runner, 'output')
  const kitty = (args: string[]) => () => coldRun(BIN, repo.path, args)
  const specs: Array<Pick<Row, 'name' | 'goal' | 'run'>> = [
    { name: 'contract-version', goal: 1.6, run: kitty(['orchestrator-api', 'contract-version']) },
    {
      name: `mission-state (corpus ${MISSION.slice(0, 3)})`,
      goal: 2.2,
      run: kitty(['orchestrator-api', 'mission-state', '--mission', MISSION]),
    },
    {
      name: 'append-history (corpus, a mutation)',
      goal: 3,
      run: (i) =>
        coldRun(BIN, repo.path, [
          'orchestrator-api',
          'append-history',
          '--mission',
          MISSION,
          '--wp',
          'WP01',
          '--actor',
          'bench',
          '--note',
          `start-up ${i}`,
        ]),
    },
    {
      name: "the Action's contract-version step",
      goal: 2.5,
      run: async () => {
        await writeFile(output, '')
        const run = await coldRun(ACTION, runner, [], {
          HOME: runner,
          RUNNER_TEMP: runner,
          GITHUB_ACTIONS: 'true',
          GITHUB_OUTPUT: output,
          GITHUB_REPOSITORY: 'octo-org/project',
          INPUT_COMMAND: 'contract-version',
          'INPUT_CHECK-RUN': 'false',
        })
        // The Action's envelope is its `envelope` output; stdout is the runner's log.
        const success = /^success<<(.+)\ntrue\n\1$/m.test(await readFile(output, 'utf8'))
        return { ...run, envelope: { success } }
      },
    },
    { name: 'the App: cold start to /readyz 200', goal: null, run: appColdStart },
  ]
  const rows: Row[] = specs.map((r) => ({ ...r, ratios: [], walls: [], rssKb: [] }))
  const bareWalls: number[] = []
  try {
    // One untimed round first: the compile cache and the page cache are warm for every later one.
    for (const row of rows) await row.run(-1)
    for (let i = 0; i < RUNS; i++) {
      for (const row of i % 2 === 0 ? rows : [...rows].reverse()) {
        const before = i % 2 === 0
        const b1 = before ? await bare() : null
        const run = await row.run(i)
        const b2 = before ? null : await bare()
        const floor = (b1 ?? b2)!
        const failure =
          run.code === 0 && run.envelope?.['success'] === true ? null : (failureOf(run) ?? `exit ${run.code}`)
        if (failure) throw new Error(`${row.name}: ${failure} ${run.stdout.slice(0, 300)} ${run.stderr.slice(0, 300)}`)
        row.ratios.push(run.wallMs / floor.wallMs)
        row.walls.push(run.wallMs)
        if (run.maxRssKb !== null) row.rssKb.push(run.maxRssKb)
        bareWalls.push(floor.wallMs)
      }
      log(`round ${i + 1}/${RUNS}`)
    }
  } finally {
    await restoreState(repo.path, repo.pristine)
    await rm(runner, { recursive: true, force: true })
  }
  const loadEnd = loadavg()[0]!
  const over: string[] = []
  console.log('| command | runs | median ms | median ratio to node -e 0 | goal | peak RSS MiB | |')
  console.log('|---|---|---|---|---|---|---|')
  for (const row of rows) {
    const ratio = median(row.ratios)!
    const rss = row.rssKb.length ? Math.max(...row.rssKb) / 1024 : null
    const verdict = row.goal === null ? 'reported' : ratio <= row.goal ? 'within' : 'OVER'
    if (verdict === 'OVER') over.push(`${row.name} ${round(ratio, 2)}× > ${row.goal}×`)
    console.log(
      `| ${row.name} | ${RUNS} | ${round(median(row.walls))} | ${round(ratio, 2)}× | ${row.goal === null ? '' : `≤ ${row.goal}×`} | ${rss === null ? '' : round(rss)} | ${verdict} |`,
    )
  }
  const ms = rows[1]!
  const msRss = ms.rssKb.length ? Math.max(...ms.rssKb) / 1024 : null
  if (msRss !== null && msRss > RSS_GOAL_MIB)
    over.push(`mission-state peak RSS ${round(msRss)} MiB > ${RSS_GOAL_MIB} MiB`)
  console.log('')
  const m = await machine(RSS_METHOD)
  console.log(
    `node -e 0: ${round(median(bareWalls))} ms median over ${bareWalls.length} runs; load average ${round(loadStart, 2)} → ${round(loadEnd, 2)} on ${cpus().length} cores; ${JSON.stringify(m)}`,
  )
  console.log(`mission-state peak RSS ${msRss === null ? '?' : round(msRss)} MiB (goal ≤ ${RSS_GOAL_MIB} MiB)`)
  if (over.length > 0) {
    console.log(`start-up budget exceeded: ${over.join('; ')}`)
    process.exitCode = 1
  } else console.log('start-up budget: every row within its goal')
}

await main()
