// The start-up budget: cold calls as an orchestrator or a runner makes them, each paired with a bare
// `node -e 0` run right before or after it (the order alternates), so a loaded machine slows both
// sides of a pair alike. The ratio of a row is the median of its pairs' ratios. Exits 1 when a row
// is over its goal; the App's cold start and the share of each phase are reported, not budgeted.
//   npm run bench:startup [-- --runs 21] [-- --build DIR]   (also the last step of npm run bench)
// --build: a folder with another build's bin/ and dist/ (e.g. an older commit's), to compare.
import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { cpus, loadavg, tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { PRIVATE_KEY, WEBHOOK_SECRET } from '../../test/helpers/app-process.ts'
import { prepareRepo, restoreState, SCENARIOS } from './bench-repos.ts'
import { gitEnv } from './git-exec.ts'
import { machine } from './report.ts'
import { median, round } from './stats.ts'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const { values } = parseArgs({ options: { runs: { type: 'string', default: '21' }, build: { type: 'string' } } })
const RUNS = Number(values.runs)
const BUILD = resolve(values.build ?? ROOT)
const BIN = join(BUILD, 'bin', 'kitty.js')
const ACTION = join(BUILD, 'dist', 'index.js')
const APP = join(BUILD, 'dist', 'app.js')
const CORPUS = resolve(ROOT, 'test/fixtures/corpus/spec-kitty-2026-03/kitty-specs')
// The mission of the issue's measurements (8 WPs): a typical read, not the corpus's largest.
const MISSION = '023-documentation-sprint-agent-management-cleanup'
const RSS_GOAL_MIB = 60

const log = (m: string) => process.stderr.write(`[bench:startup] ${m}\n`)

interface Row {
  name: string
  /** Goal for the median ratio to `node -e 0`; null: reported only. */
  goal: number | null
  run: (i: number) => Promise<Run>
  ratios: number[]
  cpuRatios: number[]
  walls: number[]
  rssKb: number[]
}

interface Run {
  wallMs: number
  /** User + system time of the whole process (all its threads), from inside it at exit. */
  cpuMs: number | null
  rssKb: number | null
  code: number
  out: string
  success: boolean
}

// Every process, bare ones included, reports its CPU time and peak RSS as it exits: the same small
// preload on both sides of a pair. CPU time is the steadier figure on a loaded machine.
const MARK = 'KITTY_STARTUP_USAGE'
const PRELOAD = `data:text/javascript,${encodeURIComponent(
  `process.on('exit', () => { const u = process.cpuUsage(); process.getBuiltinModule('node:fs').writeSync(2, '\\n${MARK} ' + (u.user + u.system) + ' ' + process.resourceUsage().maxRSS + '\\n') })`,
)}`

function cold(script: string[], cwd: string, env: Record<string, string> = {}): Promise<Run> {
  return new Promise((done, fail) => {
    const started = performance.now()
    const child = spawn(process.execPath, ['--import', PRELOAD, ...script], { cwd, env: gitEnv(env) })
    let out = ''
    let err = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr.on('data', (d: Buffer) => (err += d.toString()))
    child.on('error', fail)
    child.on('close', (code) => {
      const wallMs = performance.now() - started
      const usage = new RegExp(`${MARK} (\\d+) (\\d+)`).exec(err)
      let success = false
      try {
        success = (JSON.parse(out) as { success?: unknown }).success === true
      } catch {}
      done({
        wallMs,
        cpuMs: usage ? Number(usage[1]) / 1000 : null,
        rssKb: usage ? Number(usage[2]) : null,
        code: code ?? -1,
        out: `${out.slice(0, 300)} ${err.slice(0, 300)}`,
        success,
      })
    })
  })
}

const bare = (): Promise<Run> => cold(['-e', '0'], ROOT)

/** `node dist/app.js` until `/readyz` answers 200; the process is stopped after. */
async function appColdStart(): Promise<Run> {
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
    return { wallMs, cpuMs: null, rssKb: null, code: 0, out: '', success: true }
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
  const kitty = (args: string[]) => () => cold([BIN, ...args], repo.path)
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
        cold(
          [
            BIN,
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
          ],
          repo.path,
        ),
    },
    {
      name: "the Action's contract-version step",
      goal: 2.5,
      run: async () => {
        await writeFile(output, '')
        const run = await cold([ACTION], runner, {
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
        return { ...run, success }
      },
    },
    { name: 'the App: cold start to /readyz 200', goal: null, run: appColdStart },
  ]
  const rows: Row[] = specs.map((r) => ({ ...r, ratios: [], cpuRatios: [], walls: [], rssKb: [] }))
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
        if (run.code !== 0 || !run.success) throw new Error(`${row.name}: exit ${run.code}: ${run.out}`)
        row.ratios.push(run.wallMs / floor.wallMs)
        if (run.cpuMs !== null && floor.cpuMs !== null) row.cpuRatios.push(run.cpuMs / floor.cpuMs)
        row.walls.push(run.wallMs)
        if (run.rssKb !== null) row.rssKb.push(run.rssKb)
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
  console.log('| command | runs | median ms | median ratio to node -e 0 | goal | CPU time ratio | peak RSS MiB | |')
  console.log('|---|---|---|---|---|---|---|---|')
  for (const row of rows) {
    const ratio = median(row.ratios)!
    const rss = row.rssKb.length ? Math.max(...row.rssKb) / 1024 : null
    const verdict = row.goal === null ? 'reported' : ratio <= row.goal ? 'within' : 'OVER'
    if (verdict === 'OVER') over.push(`${row.name} ${round(ratio, 2)}× > ${row.goal}×`)
    console.log(
      `| ${row.name} | ${RUNS} | ${round(median(row.walls))} | ${round(ratio, 2)}× | ${row.goal === null ? '' : `≤ ${row.goal}×`} | ${row.cpuRatios.length ? `${round(median(row.cpuRatios), 2)}×` : ''} | ${rss === null ? '' : round(rss)} | ${verdict} |`,
    )
  }
  const ms = rows[1]!
  const msRss = ms.rssKb.length ? Math.max(...ms.rssKb) / 1024 : null
  if (msRss !== null && msRss > RSS_GOAL_MIB)
    over.push(`mission-state peak RSS ${round(msRss)} MiB > ${RSS_GOAL_MIB} MiB`)
  console.log('')
  const m = await machine('preload: process.resourceUsage().maxRSS at exit')
  console.log(
    `node -e 0: ${round(median(bareWalls))} ms median over ${bareWalls.length} runs; load average ${round(loadStart, 2)} → ${round(loadEnd, 2)} on ${cpus().length} cores; ${JSON.stringify(m)}`,
  )
  if (BUILD !== ROOT) console.log(`build: ${BUILD}`)
  console.log(`mission-state peak RSS ${msRss === null ? '?' : round(msRss)} MiB (goal ≤ ${RSS_GOAL_MIB} MiB)`)
  if (over.length > 0) {
    console.log(`start-up budget exceeded: ${over.join('; ')}`)
    process.exitCode = 1
  } else console.log('start-up budget: every row within its goal')
}

await main()
