// The App, end to end, as GitHub sees it: a signed webhook delivery POSTed to `node dist/app.js`
// (its own process) → the check run `kitty/<command>` completed at the REST stand-in. The repository
// is on the smart-HTTP test server on 127.0.0.1, so git costs are real and the network is loopback.
//   latency   : sequential `/kitty note …` comments (one commit each) on a warm cache: median, p95;
//               --gap ms apart (default 1100): Probot's REST client paces writes per installation at
//               one a second (GitHub's secondary rate limits), so back-to-back deliveries (--gap 0)
//               measure that pacing as much as the App; the engine's own time comes from the App's log
//   throughput: a burst of comment commands on one mission, all at once, to one process and to two
//   npm run bench:app [-- --runs 30 --burst 40]
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import type { AppProcess } from '../../test/helpers/app-process.ts'
import {
  APP_OWN_WARM_UP,
  deliver,
  logLines,
  maintainerComment,
  startAppProcess,
} from '../../test/helpers/app-process.ts'
import { startGitHttpServer } from '../../test/helpers/git-http-server.ts'
import { cleanupTempDirs, makeRepo } from '../../test/helpers/git-repo.ts'
import { startRestStandIn } from '../../test/helpers/rest-stand-in.ts'
import { machine } from './report.ts'
import { median, percentile, round } from './stats.ts'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const TOKEN = 'ghs_BenchInstallationToken'
const M = '099-test-mission'
const { values } = parseArgs({
  options: {
    gap: { type: 'string', default: '1100' },
    runs: { type: 'string', default: '30' },
    burst: { type: 'string', default: '40' },
    warmup: { type: 'string', default: '3' },
  },
})
const RUNS = Number(values.runs)
const BURST = Number(values.burst)
const WARMUP = Number(values.warmup)
const GAP = Number(values.gap)
const log = (m: string) => process.stderr.write(`[bench:app] ${m}\n`)
const wpId = (i: number) => `WP${String(i).padStart(2, '0')}`
const headOf = (i: number) => i.toString(16).padStart(40, 'b')

const git = await startGitHttpServer({ auth: { username: 'x-access-token', password: TOKEN } })
const rest = await startRestStandIn({ contract: false })
rest.installationToken = TOKEN
rest.permissions.set('maintainer', { permission: 'write', role_name: 'write' })
const apps: AppProcess[] = []
let commentId = 2_000_000_000

function comment(cloneUrl: string, pr: number, body: string): unknown {
  return maintainerComment(cloneUrl, pr, ++commentId, body)
}

function repository(name: string, wps: number): string {
  const lanes = Array.from({ length: wps }, (_, i) => ({ id: wpId(i + 1), lane: 'for_review' }))
  git.createBareRepo(`octo-org/${name}`, { from: makeRepo([{ slug: M, wps: lanes }]) })
  for (let i = 1; i <= wps; i++) rest.pulls.set(i, { head: { ref: `${M}-${wpId(i)}`, sha: headOf(i) } })
  return git.repoUrl(`octo-org/${name}`)
}

const checkRunsOf = (name: string) =>
  rest.requests.filter((r) => r.method === 'POST' && r.path === `/repos/octo-org/${name}/check-runs`)

/** Webhook POST → check run completed (its POST reaching the stand-in), one delivery at a time. */
async function latency(app: AppProcess): Promise<{ samples: number[]; failures: number }> {
  const cloneUrl = repository('latency', 1)
  const samples: number[] = []
  let failures = 0
  for (let i = 0; i < WARMUP + RUNS; i++) {
    const seen = checkRunsOf('latency').length
    const started = performance.now()
    const res = await deliver(app.url, 'issue_comment', comment(cloneUrl, 1, `/kitty note bench pass ${i}`))
    const run = checkRunsOf('latency')[seen]
    if (res.status !== 200 || !run || (run.body as { conclusion?: string }).conclusion !== 'success') failures++
    if (i >= WARMUP && run) samples.push(run.at - started)
    if (GAP > 0) await new Promise((r) => setTimeout(r, GAP))
  }
  return { samples, failures }
}

/** A counter summed over a process's /metrics text (all label sets). */
async function counter(app: AppProcess, name: string): Promise<number> {
  const text = await (await fetch(`${app.url}/metrics`)).text()
  return [...text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'gm'))].reduce(
    (n, m) => n + Number(m[1]),
    0,
  )
}

const sumOver = async (targets: AppProcess[], name: string) =>
  (await Promise.all(targets.map((a) => counter(a, name)))).reduce((a, b) => a + b, 0)

/** BURST start-review commands on BURST WPs of one mission, all delivered at once, round-robin over `targets`. */
async function throughput(name: string, targets: AppProcess[]): Promise<Record<string, number>> {
  const cloneUrl = repository(name, BURST)
  // Warm each process's cache of this repository first: the bench measures steady state, not clones.
  for (const app of targets) await deliver(app.url, 'issue_comment', comment(cloneUrl, 1, '/kitty state'))
  const seen = checkRunsOf(name).length
  const cpuBefore = await sumOver(targets, 'process_cpu_seconds_total')
  const retriesBefore = await sumOver(targets, 'kitty_state_conflict_retries_total')
  const started = performance.now()
  await Promise.all(
    Array.from({ length: BURST }, (_, i) =>
      deliver(targets[i % targets.length]!.url, 'issue_comment', comment(cloneUrl, i + 1, '/kitty start-review')),
    ),
  )
  for (let waited = 0; checkRunsOf(name).length < seen + BURST && waited < 300_000; waited += 100)
    await new Promise((r) => setTimeout(r, 100))
  const runs = checkRunsOf(name).slice(seen)
  const last = Math.max(...runs.map((r) => r.at))
  const failures =
    runs.filter((r) => (r.body as { conclusion?: string }).conclusion !== 'success').length + (BURST - runs.length)
  const seconds = (last - started) / 1000
  const cpu = (await sumOver(targets, 'process_cpu_seconds_total')) - cpuBefore
  const retries = (await sumOver(targets, 'kitty_state_conflict_retries_total')) - retriesBefore
  // CPU of the App processes only (git http-backend, the stand-in and this script are not counted).
  return {
    seconds: round(seconds, 2)!,
    perSecond: round(BURST / seconds, 2)!,
    failures,
    app_cpu_ms_per_command: round((cpu * 1000) / BURST)!,
    cas_retries: retries,
  }
}

try {
  apps.push(await startAppProcess(rest.url, APP_OWN_WARM_UP), await startAppProcess(rest.url, APP_OWN_WARM_UP))
  log(`latency: ${WARMUP} warm-up + ${RUNS} sequential deliveries`)
  const lat = await latency(apps[0]!)
  log(`throughput: ${BURST} commands at once, one process`)
  const one = await throughput('burst-one', [apps[0]!])
  log(`throughput: ${BURST} commands at once, two processes`)
  const two = await throughput('burst-two', apps)
  const engine = logLines(apps[0]!.output())
    .filter((l) => l['msg'] === 'engine: append-history done')
    .map((l) => Number(l['duration_ms']))
    .slice(WARMUP, WARMUP + RUNS)
  const result = {
    bench: 'app',
    gap_ms: GAP,
    engine_ms: { median: round(median(engine)), p95: round(percentile(engine, 95)) },
    latency_ms: {
      runs: lat.samples.length,
      median: round(median(lat.samples)),
      p95: round(percentile(lat.samples, 95)),
      max: round(Math.max(...lat.samples)),
      failures: lat.failures,
    },
    goal_p95_ms: 1000,
    throughput: { burst: BURST, one_process: one, two_processes: two },
    machine: await machine('n/a'),
  }
  await mkdir(join(ROOT, 'bench'), { recursive: true })
  await writeFile(join(ROOT, 'bench', 'app-results.json'), JSON.stringify(result, null, 2) + '\n')
  process.stdout.write(JSON.stringify(result, null, 2) + '\n')
} finally {
  for (const app of apps) await app.stop()
  await git.close()
  await rest.close()
  cleanupTempDirs()
}
