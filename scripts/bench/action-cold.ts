// The Action's cold step, as a runner pays it: a fresh `node dist/index.js` process with an empty
// cache running mission-state on the corpus repository, served by the smart-HTTP test server on
// 127.0.0.1 (check run to the local REST stand-in included), against `git clone --depth 50` of the
// same repository from the same server, run alternately. Plus the bundle's size and the cold start of
// `contract-version` (no repository), beside a bare `node -e 0`.
//   npm run bench:action [-- --runs 10]
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { gzipSync } from 'node:zlib'
import { startGitHttpServer } from '../../test/helpers/git-http-server.ts'
import { startRestStandIn } from '../../test/helpers/rest-stand-in.ts'
import { prepareRepo, SCENARIOS } from './bench-repos.ts'
import { coldRun, nodeStartupMs } from './cold-run.ts'
import { git } from './git-exec.ts'
import { median, percentile, round } from './stats.ts'
import { chooseTarget } from './target.ts'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const ACTION = join(ROOT, 'dist', 'index.js')
const CLI = join(ROOT, 'dist', 'cli.js')
const CORPUS = resolve(ROOT, 'test/fixtures/corpus/spec-kitty-2026-03/kitty-specs')
const TOKEN = 'bench-token'
const { values } = parseArgs({ options: { runs: { type: 'string', default: '10' } } })
const RUNS = Number(values.runs)
const log = (m: string) => process.stderr.write(`[bench:action] ${m}\n`)

/** The entry and every chunk its static imports reach: what a step loads before its first line runs. */
async function staticallyImported(entry: string): Promise<string[]> {
  const seen = new Set([entry])
  for (const file of seen)
    for (const m of (await readFile(file, 'utf8')).matchAll(/(?:\bfrom|\bimport)\s*["'](\.\.?\/[^"']+)["']/g))
      seen.add(resolve(dirname(file), m[1]!))
  return [...seen]
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now()
  await work()
  return performance.now() - started
}

const server = await startGitHttpServer({ auth: { username: 'x-access-token', password: TOKEN } })
const rest = await startRestStandIn({ contract: false })
const temp = await mkdtemp(join(tmpdir(), 'kitty-bench-action-'))
try {
  const repo = await prepareRepo(join(ROOT, 'bench', 'tmp'), SCENARIOS.find((s) => s.name === 'corpus')!, CORPUS)
  const target = await chooseTarget(CLI, repo)
  server.createBareRepo('octo-org/project', { from: repo.path })
  const authed = server.repoUrl('octo-org/project').replace('http://', `http://x-access-token:${TOKEN}@`)

  /** One step as the runner starts it: INPUT_* variables, output and summary files, an empty cache. */
  async function step(i: number, inputs: Record<string, string>, again = false) {
    const dir = join(temp, `step-${inputs['command']}-${i}`)
    // `again`: the same runner directory, so the cache the previous step filled is reused.
    if (!again) await git(temp, ['init', '-q', dir])
    const files = { output: join(dir, 'output'), summary: join(dir, 'summary'), event: join(dir, 'event.json') }
    for (const f of Object.values(files)) await writeFile(f, f.endsWith('.json') ? '{}' : '')
    const env: Record<string, string> = {
      RUNNER_TEMP: dir,
      KITTY_CACHE_DIR: join(dir, 'cache'),
      GITHUB_EVENT_NAME: 'workflow_dispatch',
      GITHUB_EVENT_PATH: files.event,
      GITHUB_OUTPUT: files.output,
      GITHUB_STEP_SUMMARY: files.summary,
      GITHUB_REPOSITORY: 'octo-org/project',
      GITHUB_SERVER_URL: server.url,
      GITHUB_API_URL: rest.url,
      GITHUB_SHA: 'f'.repeat(40),
      GITHUB_ACTOR: 'bench',
      INPUT_TOKEN: TOKEN,
      ...Object.fromEntries(Object.entries(inputs).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v])),
    }
    const run = await coldRun(ACTION, dir, [], env)
    const outputs = await readFile(files.output, 'utf8')
    if (run.code !== 0 || !/success<<[^\n]+\ntrue\n/.test(outputs))
      throw new Error(`step failed (exit ${run.code}): ${run.stdout}${run.stderr}`)
    return run
  }

  log(`corpus repository ${repo.path}, mission ${target.mission}`)
  const steps: number[] = []
  const rss: number[] = []
  const clones: number[] = []
  const warm: number[] = []
  for (let i = 0; i < RUNS; i++) {
    const ran = await step(i, { command: 'mission-state', mission: target.mission })
    steps.push(ran.wallMs)
    if (ran.maxRssKb !== null) rss.push(ran.maxRssKb)
    warm.push((await step(i, { command: 'mission-state', mission: target.mission }, true)).wallMs)
    clones.push(await timed(() => git(temp, ['clone', '-q', '--depth', '50', authed, join(temp, `clone-${i}`)])))
  }
  const versions: number[] = []
  for (let i = 0; i < RUNS; i++)
    versions.push((await step(i, { command: 'contract-version', 'check-run': 'false' })).wallMs)
  const floor = median(await nodeStartupMs(RUNS))
  const files = await staticallyImported(ACTION)
  const bundle = Buffer.concat(await Promise.all(files.map((f) => readFile(f))))
  const size = bundle.length
  const stepMedian = median(steps)!
  const cloneMedian = median(clones)!
  const goal = 1.5 * cloneMedian + 200

  console.log('| measurement | runs | median ms | p95 ms | note |')
  console.log('|---|---|---|---|---|')
  console.log(
    `| Action step, cold (empty cache): mission-state on the corpus, + check run | ${RUNS} | ${round(stepMedian)} | ${round(percentile(steps, 95))} | peak RSS ${rss.length ? round(Math.max(...rss) / 1024) : '?'} MB |`,
  )
  console.log(
    `| Action step, warm cache (KITTY_CACHE_DIR kept, e.g. by actions/cache) | ${RUNS} | ${round(median(warm))} | ${round(percentile(warm, 95))} | what a reused checkout could save at most |`,
  )
  console.log(
    `| git clone --depth 50 of the same repository, same server | ${RUNS} | ${round(cloneMedian)} | ${round(percentile(clones, 95))} | baseline |`,
  )
  console.log(
    `| Action step: contract-version (no repository, no check run) | ${RUNS} | ${round(median(versions))} | ${round(percentile(versions, 95))} | cold start of the bundle |`,
  )
  console.log(`| node -e 0 | ${RUNS} | ${round(floor)} | | floor |`)
  console.log('')
  console.log(
    `bundle dist/index.js and the ${files.length - 1} chunks it imports at start: ${(size / 1024).toFixed(0)} KiB (${(gzipSync(bundle).length / 1024).toFixed(0)} KiB gzipped)`,
  )
  console.log(
    `goal: cold step ≤ 1.5 × clone + 200 ms = ${round(goal)} ms → ${stepMedian <= goal ? 'met' : 'not met'} (${round(stepMedian / cloneMedian, 2)}× the clone)`,
  )
} finally {
  await server.close()
  await rest.close()
  await rm(temp, { recursive: true, force: true })
}
