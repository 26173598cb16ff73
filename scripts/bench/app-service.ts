// The App as a service, as GitHub and an operator see it: the built App (`node dist/app.js`, one or
// three child processes) against the smart-HTTP git test server and the REST stand-in on 127.0.0.1,
// signed deliveries POSTed at once on fresh connections (as GitHub does).
// The deliveries measured are sent from a child process (send-deliveries.ts), signed beforehand.
//   burst        : --burst (500) `/kitty start-review` comments over 5 installations (one repository
//                  each), one replica: acknowledgement latency p50/p99, answered within --window s
//   installations: --deliveries (50) over 5 repositories owned by 1 vs 5 installations, one replica
//   replicas     : the same over 5 installations, 1 vs 3 replicas (round-robin; Redis when the App has
//                  the durable queue, detected in the bundle: before it, REDIS_URL made Probot fetch
//                  ioredis with npx, so it is not set)
//   floor        : the same burst answered by a bare node:http server (read, parse, 202): the machine's own
//                  floor under the acknowledgement figures, at its current load
// "Answered" = the delivery's check run and its reaction both reached the stand-in; REST writes are
// counted per installation (per owner). Peak RSS is sampled from /proc every 250 ms. Every wait is
// bounded by --window; the figures are what was answered by then.
// The receiving threads' CPU time over the burst (schedstat) is reported beside the latency: it is the
// receiver's own cost, which the machine's load does not move the way it moves the latency.
// --github-nice N runs the git test server's `git http-backend` processes at nice N: GitHub's side of
// the worker's fetches and pushes, another machine in production, then yields the cores to the App.
// --node-args="…" starts the Apps with node options (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" or
// "--trace-gc"); they are then stopped with SIGTERM, so a profile is written, and --app-log FILE keeps
// what the (last) App printed.
// --warm-receiver N sends N redeliveries before the burst, as to an App that has been serving a while.
// --settle S leaves the App idle S seconds before the burst (after any warm-up).
// --app-env "NAME=value,…" adds settings to the Apps' environment (e.g. KITTY_WARM_UP_DELIVERIES=0).
// --split-cores pins the Apps to CPU 0 and everything that stands in for GitHub (the sender, the git
// test server and its `git http-backend`, the REST stand-in, Redis) to CPU 1: the App on one core of
// its own, GitHub elsewhere, as in production. The floor is then served from CPU 0 and sent from CPU 1.
//   npm run bench:service [-- --split-cores --burst 500 --deliveries 50 --window 60 --only burst,replicas_3 --app <dist/app.js>
//                            --github-nice 10 --node-args="--trace-gc" --app-log /tmp/app.log]
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import type { AppProcess } from '../../test/helpers/app-process.ts'
import { APP, APP_OWN_WARM_UP, eventPayload, startAppProcess } from '../../test/helpers/app-process.ts'
import { startGitHttpServer } from '../../test/helpers/git-http-server.ts'
import { cleanupTempDirs, makeRepo } from '../../test/helpers/git-repo.ts'
import type { RedisServer } from '../../test/helpers/redis-server.ts'
import { startRedisServer } from '../../test/helpers/redis-server.ts'
import { startRestStandIn } from '../../test/helpers/rest-stand-in.ts'
import { pin } from './pin-cpu.ts'
import type { Outgoing } from './post-delivery.ts'
import { postDelivery } from './post-delivery.ts'
import { machine } from './report.ts'
import { githubDelivery, sendFromChild } from './send-from-child.ts'
import { percentile, round } from './stats.ts'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const TOKEN = 'ghs_ServiceBenchToken0123456789'
const { values } = parseArgs({
  options: {
    burst: { type: 'string', default: '500' },
    deliveries: { type: 'string', default: '50' },
    window: { type: 'string', default: '60' },
    only: { type: 'string' },
    // Another build of the App (e.g. main's, for a before/after table); the tests' build by default.
    app: { type: 'string', default: APP },
    'github-nice': { type: 'string', default: '0' },
    'node-args': { type: 'string', default: '' },
    'app-log': { type: 'string' },
    'split-cores': { type: 'boolean', default: false },
    'warm-receiver': { type: 'string', default: '0' },
    settle: { type: 'string', default: '0' },
    'app-env': { type: 'string', default: '' },
  },
})
const BURST = Number(values.burst)
const DELIVERIES = Number(values.deliveries)
const WINDOW_MS = Number(values.window) * 1000
const GITHUB_NICE = Number(values['github-nice'])
const NODE_ARGS = values['node-args'].split(' ').filter((a) => a !== '')
const INSTALLATIONS = 5
const SPLIT = values['split-cores']
const WARM_RECEIVER = Number(values['warm-receiver'])
const WARM_BATCH = 100
const SETTLE_MS = Number(values.settle) * 1000
/** --app-env "NAME=value,NAME=value": settings for the Apps (e.g. KITTY_WARM_UP_DELIVERIES=0). */
const APP_ENV: Record<string, string> = Object.fromEntries(
  values['app-env']
    .split(',')
    .filter((pair) => pair.includes('='))
    .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
)
const APP_CPU = 0
const GITHUB_CPU = 1
/** WPs per mission (two-digit ids); a repository gets as many missions as its share of a burst needs. */
const PER_MISSION = 50
const log = (m: string) => process.stderr.write(`[bench:service] ${m}\n`)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const BUNDLE = resolve(values.app)
// The bundle may be code-split: look in its chunks too.
const queueWired = [BUNDLE, ...chunksOf(BUNDLE)].some((f) => readFileSync(f, 'utf8').includes('kitty-deliveries'))

function chunksOf(bundle: string): string[] {
  const dir = join(dirname(bundle), 'chunks')
  return existsSync(dir) ? readdirSync(dir).map((f) => join(dir, f)) : []
}

// The bench process serves GitHub's side; what it spawns (git http-backend, Redis) inherits the CPU.
if (SPLIT) pin(process.pid, GITHUB_CPU)

const git = await startGitHttpServer({
  auth: { username: 'x-access-token', password: TOKEN },
  ...(GITHUB_NICE === 0 ? {} : { niceness: GITHUB_NICE }),
})
const rest = await startRestStandIn()
rest.installationToken = TOKEN
rest.permissions.set('maintainer', { permission: 'write', role_name: 'write' })
let redis: RedisServer | null = null
let repoCount = 0
let commentId = 3_000_000_000
let deliverySeq = 0

const slugOf = (m: number) => `${String(100 + m).padStart(3, '0')}-bench-mission`
const wpOf = (pr: number) => `WP${String(((pr - 1) % PER_MISSION) + 1).padStart(2, '0')}`
const missionOf = (pr: number) => Math.floor((pr - 1) / PER_MISSION)
const headOf = (pr: number) => pr.toString(16).padStart(40, 'c')

interface Repo {
  owner: string
  name: string
  cloneUrl: string
  installation: number
}

/** A repository with `prs` WPs in for_review, PR n on WP n's branch; its owner stands for its installation. */
function repository(prs: number, installation: number): Repo {
  const owner = `inst-${installation}`
  const name = `svc-${++repoCount}`
  const missions = Array.from({ length: Math.ceil(prs / PER_MISSION) }, (_, m) => ({
    slug: slugOf(m),
    wps: Array.from({ length: Math.min(PER_MISSION, prs - m * PER_MISSION) }, (_, i) => ({
      id: wpOf(i + 1),
      lane: 'for_review',
    })),
  }))
  git.createBareRepo(`${owner}/${name}`, { from: makeRepo(missions) })
  for (let pr = 1; pr <= prs + 1; pr++)
    rest.pulls.set(pr, { head: { ref: `${slugOf(missionOf(pr))}-${wpOf(pr)}`, sha: headOf(pr) } })
  return { owner, name, cloneUrl: git.repoUrl(`${owner}/${name}`), installation }
}

interface Sent {
  repo: Repo
  pr: number
  comment: number
  status: number
  ackMs: number
}

function comment(repo: Repo, pr: number, body: string): { payload: unknown; id: number } {
  const id = ++commentId
  const payload = eventPayload('issue_comment.start-review', repo.cloneUrl, (p) => {
    p.issue.number = pr
    p.comment.id = id
    p.comment.body = body
    p.comment.user.login = 'maintainer'
    p.sender.login = 'maintainer'
    p.installation.id = repo.installation
  })
  return { payload, id }
}

function signed(app: AppProcess, payload: unknown): Outgoing {
  const url = new URL('/api/github/webhooks', app.url).href
  const id = `bench-${++deliverySeq}-${Math.random().toString(36).slice(2)}`
  return githubDelivery(url, 'issue_comment', id, JSON.stringify(payload))
}

/** The burst, sent by send-deliveries.ts in its own process (on GitHub's CPU with --split-cores). */
function sendAll(outgoing: Outgoing[], spacingMs = 0): Promise<Array<{ status: number; ms: number }>> {
  return sendFromChild(outgoing, { spacingMs, ...(SPLIT ? { cpu: GITHUB_CPU } : {}) })
}

/** When the delivery's check run and reaction have both reached the stand-in (stand-in clock), or null. */
function answeredAt(s: Sent): number | null {
  let run: number | null = null
  let reaction: number | null = null
  for (const r of rest.requests) {
    if (
      r.method === 'POST' &&
      r.path === `/repos/${s.repo.owner}/${s.repo.name}/check-runs` &&
      (r.body as { head_sha?: string }).head_sha === headOf(s.pr)
    )
      run ??= r.at
    if (r.path.endsWith(`/comments/${s.comment}/reactions`)) reaction ??= r.at
  }
  return run === null || reaction === null ? null : Math.max(run, reaction)
}

interface ThreadTimes {
  /** The receiving (main) threads: ms on a CPU, and ms ready to run but waiting for one. */
  receiver: { cpu: number; waited: number }
  /** ms on a CPU of every thread, by thread name and nice value, e.g. `MainThread/0`, `WorkerThread/10`. */
  byThread: Record<string, number>
}

/**
 * The Apps' threads' times from the kernel's per-thread counts (schedstat: ns on a CPU, ns waiting for
 * one). Unlike the acknowledgement latency, the receiving thread's CPU time does not move with the
 * machine's load, so it compares two builds' receivers even on a busy machine.
 */
function threadTimes(apps: AppProcess[]): ThreadTimes {
  const times: ThreadTimes = { receiver: { cpu: 0, waited: 0 }, byThread: {} }
  for (const { child } of apps)
    for (const tid of readdirSync(`/proc/${child.pid}/task`)) {
      try {
        const task = `/proc/${child.pid}/task/${tid}`
        const [on, queued] = readFileSync(`${task}/schedstat`, 'utf8').split(' ').map(Number) as [number, number]
        const stat = readFileSync(`${task}/stat`, 'utf8')
        // Fields after the name, which is in parentheses and may hold spaces: nice is the 19th field.
        const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))
        const nice = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]
        const key = `${name}/${nice}`
        times.byThread[key] = (times.byThread[key] ?? 0) + on / 1e6
        if (tid === String(child.pid)) {
          times.receiver.cpu += on / 1e6
          times.receiver.waited += queued / 1e6
        }
      } catch {}
    }
  return times
}

function threadDelta(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const delta: Record<string, number> = {}
  for (const [key, ms] of Object.entries(after)) {
    const used = round(ms - (before[key] ?? 0), 0) ?? 0
    if (used > 0) delta[key] = used
  }
  return delta
}

function peakRss(apps: AppProcess[]): { stop(): number } {
  let peakKb = 0
  const timer = setInterval(() => {
    let sum = 0
    for (const app of apps)
      try {
        sum += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${app.child.pid}/status`, 'utf8'))?.[1] ?? 0)
      } catch {}
    peakKb = Math.max(peakKb, sum)
  }, 250)
  return {
    stop() {
      clearInterval(timer)
      return round(peakKb / 1024)!
    },
  }
}

async function startApps(count: number): Promise<AppProcess[]> {
  const env: Record<string, string> = { KITTY_READY_MAX_BACKLOG_MS: '600000', ...APP_OWN_WARM_UP, ...APP_ENV }
  if (count > 1 && queueWired) {
    redis ??= await startRedisServer()
    env['REDIS_URL'] = redis.url
  }
  const apps = await Promise.all(Array.from({ length: count }, () => startAppProcess(rest.url, env, BUNDLE, NODE_ARGS)))
  if (SPLIT) for (const app of apps) pin(app.child.pid!, APP_CPU)
  return apps
}

/** One `/kitty state` per repository per replica, answered, so the measured deliveries find warm caches. */
async function warm(apps: AppProcess[], repos: Repo[], prs: number): Promise<void> {
  const sent: Outgoing[] = []
  const waits = apps.flatMap((app) =>
    repos.map(async (repo) => {
      const { payload, id } = comment(repo, prs + 1, '/kitty state')
      const delivery = signed(app, payload)
      sent.push(delivery)
      await postDelivery(delivery)
      for (const end = Date.now() + 120_000; Date.now() < end; await sleep(200))
        if (rest.requests.some((r) => r.path.endsWith(`/comments/${id}/reactions`))) return
    }),
  )
  await Promise.all(waits)
  await warmReceivers(sent)
  // --settle S: the App idle for S seconds before the burst, so V8's background work from its start-up
  // and the warm-up is done: tells the receiver's cold code apart from work still settling.
  if (SETTLE_MS > 0) await new Promise((done) => setTimeout(done, SETTLE_MS))
}

/**
 * --warm-receiver N: N redeliveries of the warm-up deliveries, in bursts of 100, before the measured
 * burst. Each takes the whole receiving path (verify, parse, a queue transaction that finds the id)
 * and creates no job: the receiver is then as an App that has been serving for a while finds it, its
 * code compiled by V8's optimizing tiers. 0 (the default) measures a receiver's first traffic.
 */
async function warmReceivers(sent: Outgoing[]): Promise<void> {
  for (let done = 0; done < WARM_RECEIVER; done += WARM_BATCH) {
    const batch = Array.from({ length: Math.min(WARM_BATCH, WARM_RECEIVER - done) }, (_, i) => sent[i % sent.length]!)
    const acks = await sendAll(batch)
    const refused = acks.filter((a) => a.status !== 202).length
    if (refused > 0) throw new Error(`receiver warm-up: ${refused} redeliveries were not answered 202`)
  }
}

const TRICKLE_AFTER = 200
const TRICKLE_COUNT = 40
const TRICKLE_SPACING_MS = 100

function spread(ms: number[]): Result['ack_ms'] {
  return { p50: round(percentile(ms, 50)), p99: round(percentile(ms, 99)), max: round(Math.max(...ms)) }
}

/** `/kitty state` reads, one every TRICKLE_SPACING_MS, while a burst is worked: does an ack wait for work? */
async function sendTrickle(repos: Repo[], apps: AppProcess[]): Promise<number[]> {
  const outgoing = Array.from({ length: TRICKLE_COUNT }, (_, i) => {
    const repo = repos[i % repos.length]!
    return signed(apps[i % apps.length]!, comment(repo, 1, '/kitty state').payload)
  })
  return (await sendAll(outgoing, TRICKLE_SPACING_MS)).map((a) => a.ms)
}

interface Result {
  deliveries: number
  installations: number
  replicas: number
  statuses: Record<string, number>
  ack_ms: { p50: number | null; p99: number | null; max: number | null }
  /** CPU the receiving threads used from the burst's first request to its last acknowledgement. */
  receiver_cpu_ms: number
  /** Time the receiving threads were ready to run but waited for a CPU (schedstat), over the same span. */
  receiver_runqueue_ms: number
  /** Every thread's CPU time over the same span, by thread name / nice value. */
  thread_cpu_ms: Record<string, number>
  /** One delivery every TRICKLE_SPACING_MS sent right after the burst, while its backlog is being worked. */
  ack_during_backlog_ms?: { p50: number | null; p99: number | null; max: number | null }
  answered: number
  answered_per_s: number | null
  last_answer_s: number | null
  window_s: number
  rest_writes_by_installation: Record<string, number>
  peak_rss_mb: number
}

async function run(deliveries: number, installations: number, replicas: number): Promise<Result> {
  const apps = await startApps(replicas)
  try {
    const repos = Array.from({ length: INSTALLATIONS }, (_, i) =>
      repository(Math.ceil(deliveries / INSTALLATIONS), installations === 1 ? 1 : i + 1),
    )
    await warm(apps, repos, Math.ceil(deliveries / INSTALLATIONS))
    await sleep(2_000)
    const from = rest.requests.length
    const rss = peakRss(apps)
    const jobs = Array.from({ length: deliveries }, (_, i) => {
      const repo = repos[i % repos.length]!
      const pr = Math.floor(i / repos.length) + 1
      return { repo, pr, ...comment(repo, pr, '/kitty start-review'), app: apps[i % apps.length]! }
    })
    const started = performance.now()
    const before = threadTimes(apps)
    const acks = await sendAll(jobs.map((j) => signed(j.app, j.payload)))
    const after = threadTimes(apps)
    const sent: Sent[] = jobs.map((j, i) => ({
      repo: j.repo,
      pr: j.pr,
      comment: j.id,
      status: acks[i]!.status,
      ackMs: acks[i]!.ms,
    }))
    const trickle = deliveries >= TRICKLE_AFTER ? await sendTrickle(repos, apps) : null
    const answered = () => sent.map(answeredAt).filter((t): t is number => t !== null)
    while (performance.now() - started < WINDOW_MS && answered().length < deliveries) await sleep(500)
    const peak = rss.stop()
    const times = answered()
    const last = times.length === deliveries ? (Math.max(...times) - started) / 1000 : null
    const writes: Record<string, number> = {}
    for (const r of rest.requests.slice(from))
      if (r.method !== 'GET' && r.path.startsWith('/repos/')) {
        const owner = r.path.split('/')[2]!
        writes[owner] = (writes[owner] ?? 0) + 1
      }
    const statuses: Record<string, number> = {}
    for (const s of sent) statuses[s.status] = (statuses[s.status] ?? 0) + 1
    const ackMs = sent.map((s) => s.ackMs)
    return {
      deliveries,
      installations,
      replicas,
      statuses,
      ack_ms: spread(ackMs),
      receiver_cpu_ms: round(after.receiver.cpu - before.receiver.cpu, 0) ?? 0,
      receiver_runqueue_ms: round(after.receiver.waited - before.receiver.waited, 0) ?? 0,
      thread_cpu_ms: threadDelta(before.byThread, after.byThread),
      ...(trickle ? { ack_during_backlog_ms: spread(trickle) } : {}),
      answered: times.length,
      answered_per_s: round(times.length / (last ?? WINDOW_MS / 1000), 2),
      last_answer_s: round(last, 1),
      window_s: WINDOW_MS / 1000,
      rest_writes_by_installation: writes,
      peak_rss_mb: peak,
    }
  } finally {
    for (const a of apps) if (values['app-log']) await writeFile(values['app-log'], a.output())
    // A profile is written at exit, which SIGKILL skips.
    await Promise.all(apps.map((a) => a.stop(NODE_ARGS.length > 0 ? 'SIGTERM' : 'SIGKILL')))
  }
}

/**
 * The floor under the burst's acknowledgement figure on this machine and load: a bare node:http server
 * that reads each body, parses it and answers 202, sent the same burst by the same sender.
 */
async function floor(deliveries: number): Promise<{ ack_ms: Result['ack_ms']; cpu_ms: number }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      JSON.parse(Buffer.concat(chunks).toString('utf8'))
      res.writeHead(202).end('queued\n')
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/github/webhooks`
  const repo = repository(1, 1)
  const body = JSON.stringify(comment(repo, 1, '/kitty start-review').payload)
  const outgoing = Array.from({ length: deliveries }, () => ({
    url,
    headers: { 'content-type': 'application/json' },
    body,
  }))
  // The floor's server stands where the App stood.
  if (SPLIT) pin(process.pid, APP_CPU)
  try {
    // This thread serves the floor; the sender is a child process of its own.
    const before = process.threadCpuUsage()
    const acks = await sendAll(outgoing)
    const used = process.threadCpuUsage(before)
    return { ack_ms: spread(acks.map((a) => a.ms)), cpu_ms: round((used.user + used.system) / 1000, 0) ?? 0 }
  } finally {
    server.close()
    if (SPLIT) pin(process.pid, GITHUB_CPU)
  }
}

const results: Record<string, Result> = {}
const scenarios: Array<[string, () => Promise<Result>]> = [
  ['burst', () => run(BURST, INSTALLATIONS, 1)],
  ['installations_1', () => run(DELIVERIES, 1, 1)],
  ['installations_5', () => run(DELIVERIES, INSTALLATIONS, 1)],
  ['replicas_1', () => run(DELIVERIES, INSTALLATIONS, 1)],
  ['replicas_3', () => run(DELIVERIES, INSTALLATIONS, 3)],
]
try {
  log(`App bundle ${BUNDLE}: durable queue ${queueWired ? 'present' : 'absent'}`)
  for (const [name, scenario] of scenarios) {
    if (values.only && !values.only.split(',').includes(name)) continue
    log(`${name} …`)
    results[name] = await scenario()
    log(`${name}: ${JSON.stringify(results[name])}`)
  }
  const floored = values.only && !values.only.split(',').includes('floor') ? null : await floor(BURST)
  if (floored) log(`floor (bare node:http, same burst): ${JSON.stringify(floored)}`)
  const report = {
    bench: 'app-service',
    queue: queueWired,
    results,
    floor_ack_ms: floored?.ack_ms ?? null,
    floor_cpu_ms: floored?.cpu_ms ?? null,
    github_nice: GITHUB_NICE,
    split_cores: SPLIT,
    warm_receiver: WARM_RECEIVER,
    machine: await machine('/proc VmRSS, summed'),
  }
  await mkdir(join(ROOT, 'bench'), { recursive: true })
  await writeFile(join(ROOT, 'bench', 'app-service-results.json'), `${JSON.stringify(report, null, 2)}\n`)
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`)
} finally {
  await rest.close()
  await git.close()
  await (redis as RedisServer | null)?.stop()
  cleanupTempDirs()
}
